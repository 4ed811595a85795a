"""Where the project's bundled files live (codebook, corpus, annotations, default model)."""

from __future__ import annotations

import os
from pathlib import Path

#: Project root: the repository checkout (src/classifier/ → two levels up).
PROJECT_ROOT = Path(os.environ.get("ATLAS_CODER_HOME", Path(__file__).resolve().parents[2]))
DATA_DIR = PROJECT_ROOT / "data"
ANNOTATIONS_DIR = DATA_DIR / "annotations"
CORPUS_DIR = DATA_DIR / "corpus"
DOCUMENTS_DIR = DATA_DIR / "documents"
HUMAN_KIT_DIR = DATA_DIR / "human_coding"
DEFAULT_STORE = ANNOTATIONS_DIR / "store.sqlite"
DEFAULT_CODEBOOK = ANNOTATIONS_DIR / "codebook.yaml"
MODELS_DIR = PROJECT_ROOT / "models"
DEFAULT_MODEL = MODELS_DIR / "atlas-coder"
TRAINING_CONFIG = PROJECT_ROOT / "training" / "config.yaml"
REPORTS_DIR = PROJECT_ROOT / "reports"
CACHE_DIR = Path(os.environ.get("ATLAS_CODER_CACHE", PROJECT_ROOT / ".cache"))
EXTERNAL_DIR = PROJECT_ROOT.parent / "shared" / "data" / "aiwatch_t6"
