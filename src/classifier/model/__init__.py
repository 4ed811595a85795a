"""The model: sentence embeddings → entry features → per-label classifiers → bundle.

``embed`` (sentence vectors) → ``features`` (entry matrix) → ``classifier`` (fit / predict) →
``bundle`` (the versioned JSON artefact) → ``train`` / ``predict`` (user-level operations) →
``pyfunc`` (the same model for MLflow serving and Spark).
"""
