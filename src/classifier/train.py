"""Training: hand-coded corpus → fitted :class:`AtlasClassifier` → bundle → MLflow run.

``train()`` is what ``atlas-coder train`` calls.  The result is fully determined by the corpus,
the codebook, the training configuration and the seed (their hashes form the bundle's
*fingerprint*), so ``make run`` can reuse a committed bundle whose fingerprint still matches.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier import __version__
from classifier.bundle import Bundle, load_bundle, save_bundle, sha256_file
from classifier.codebook import Codebook, load_codebook
from classifier.config import TrainingConfig, load_config
from classifier.data import Entry, LabelRecord, read_entries, read_labels
from classifier.embed import SentenceEncoder
from classifier.errors import InputError
from classifier.features import featurize
from classifier.metrics import multilabel_scores
from classifier.model import AtlasClassifier, label_matrix
from classifier.paths import CACHE_DIR, DATA_DIR, DEFAULT_MODEL, PROJECT_ROOT


@dataclass
class Corpus:
    """The hand-coded training data: entries joined with their gold codes."""

    entries: list[Entry]
    gold: dict[str, LabelRecord]
    codebook: Codebook
    entries_path: Path
    gold_path: Path

    @property
    def coded_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.id in self.gold]

    def Y(self) -> np.ndarray:
        return label_matrix([self.gold[e.id].codes for e in self.coded_entries], self.codebook)

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for p in (self.entries_path, self.gold_path):
            h.update(sha256_file(p).encode())
        return h.hexdigest()


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return Path(path).name


def load_corpus(data_dir: str | Path | None = None, codebook: Codebook | None = None) -> Corpus:
    """Read ``corpus/initiatives.jsonl`` and ``annotations/gold.jsonl`` under ``data_dir``."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    codebook = codebook or load_codebook(data_dir / "annotations" / "codebook.yaml")
    entries_path = data_dir / "corpus" / "initiatives.jsonl"
    gold_path = data_dir / "annotations" / "gold.jsonl"
    entries = read_entries(entries_path)
    gold = read_labels(gold_path, codebook)
    ids = {e.id for e in entries}
    unknown = [uid for uid in gold if uid not in ids]
    if unknown:
        raise InputError(gold_path, f"gold codes for id {unknown[0]!r}, which is not in {entries_path.name}", field="id")
    return Corpus(entries, gold, codebook, entries_path, gold_path)


def fingerprint(corpus: Corpus, config: TrainingConfig) -> str:
    parts = [corpus.codebook.sha256, corpus.sha256, config.sha256, __version__]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def cv_metrics(model: AtlasClassifier, Y: np.ndarray) -> dict[str, Any]:
    """Scores of the out-of-fold predictions made while tuning thresholds.

    The thresholds were chosen on these same predictions, so the figures are optimistic;
    ``atlas-coder evaluate`` gives estimates with thresholds tuned inside each training fold.
    """
    pred = model.predict(None, proba=model.oof_proba_)
    return multilabel_scores(Y, pred, model.labels, model.codebook.group_keys)


@dataclass
class TrainResult:
    bundle: Bundle
    path: Path
    reused: bool
    tracking: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def train(data_dir: str | Path | None = None, out: str | Path | None = None, seed: int | None = None,
          config: TrainingConfig | str | Path | None = None, *, reuse: bool = False, track: bool = True,
          cache_dir: str | Path | None = CACHE_DIR / "embeddings", progress: bool | None = None) -> TrainResult:
    """Train the classifier on the hand-coded corpus and write the bundle to ``out``.

    With ``reuse=True`` an existing bundle at ``out`` whose fingerprint matches the data, codebook,
    configuration and code version is kept as it is (no retraining).
    """
    import time

    start = time.perf_counter()
    cfg = config if isinstance(config, TrainingConfig) else load_config(config)
    cfg = cfg.with_seed(seed)
    out = Path(out) if out is not None else DEFAULT_MODEL
    corpus = load_corpus(data_dir)
    fp = fingerprint(corpus, cfg)
    if reuse and (out / "model.json").exists():
        try:
            existing = load_bundle(out)
        except InputError:
            existing = None
        if existing is not None and existing.metadata.get("fingerprint") == fp:
            return TrainResult(existing, out, reused=True, seconds=time.perf_counter() - start)

    encoder = SentenceEncoder(cfg.embedding_model, batch_size=cfg.batch_size, show_progress=progress)
    entries = corpus.coded_entries
    feats = featurize(entries, encoder, pooling=cfg.pooling, max_document_sentences=cfg.max_document_sentences,
                      cache_dir=cache_dir)
    Y = corpus.Y()
    model = AtlasClassifier(codebook=corpus.codebook, **cfg.classifier_params()).fit(feats.X, Y, progress=progress)
    metadata = {
        "atlas_coder_version": __version__,
        "codebook": {"name": corpus.codebook.name, "version": corpus.codebook.version, "sha256": corpus.codebook.sha256},
        "training_data": {
            "entries": {"path": _rel(corpus.entries_path), "sha256": sha256_file(corpus.entries_path)},
            "labels": {"path": _rel(corpus.gold_path), "sha256": sha256_file(corpus.gold_path)},
            "sha256": corpus.sha256,
            "n_units": len(entries),
            "n_sentences": feats.n_unique_sentences,
        },
        "embedding": {"model": encoder.model, "version": encoder.version, "dim": int(feats.X.shape[1]),
                      "pooling": cfg.pooling, "max_document_sentences": cfg.max_document_sentences},
        "seed": cfg.seed,
        "config": {"sha256": cfg.sha256},
        "fingerprint": fp,
        "cv_metrics": cv_metrics(model, Y),
    }
    save_bundle(out, model, metadata)
    bundle = load_bundle(out)
    tracking: dict[str, str] = {}
    if track:
        from classifier.tracking import log_training_run

        params = {**cfg.classifier_params(), "embedding_model": cfg.embedding_model, "pooling": cfg.pooling,
                  "embedding_version": encoder.version, "n_units": len(entries), "fingerprint": fp[:16]}
        tracking = log_training_run(out, metadata, params, metadata["cv_metrics"], corpus.codebook.path)
    return TrainResult(bundle, out, reused=False, tracking=tracking, seconds=time.perf_counter() - start)
