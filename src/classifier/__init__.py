"""atlas-coder: pre-label, validate and compare codings of city AI initiatives.

The package is a pipeline of small modules, each with one job, used in this order:

``codebook`` (label scheme) → ``data`` (entries, label files, cities) → ``text`` (texts and
sentences) → ``embed`` (sentence embeddings) → ``model`` (per-group classifiers, thresholds,
constraints, evidence) → ``train`` / ``predict`` (the user-level operations) → ``agreement`` /
``evaluate`` (reliability reports).  The CLI in ``cli`` is a thin layer over these functions.

Heavy libraries (torch, sentence-transformers, mlflow, sklearn) are imported lazily inside the
functions that need them so that ``atlas-coder --help`` stays fast.
"""

__version__ = "0.1.0"
