"""atlas-coder: pre-label, validate and compare codings of city AI initiatives.

Data flows one way through the sub-packages:

``io`` (codebook, entries + documents, codes, corpus) → ``text`` (sentences) → ``model``
(embeddings, features, per-label classifiers, bundle, train, predict) → ``reliability``
(agreement statistics, cross-validated evaluation) → ``reports`` (Markdown / HTML / JSON from
templates).  ``pipeline`` chains them for the main job; ``cli`` only parses arguments and calls
these functions; ``tracking`` logs to MLflow.

Heavy libraries (torch, sentence-transformers, mlflow, sklearn) are imported lazily inside the
functions that need them so that ``atlas-coder --help`` stays fast.
"""

from classifier.offline import ensure_offline

ensure_offline()

__version__ = "0.2.0"
