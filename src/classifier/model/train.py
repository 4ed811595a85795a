"""Training: corpus + features → fitted :class:`AtlasClassifier` → bundle → MLflow registry.

:func:`fit` is the pure step (arrays in, classifier and metadata out).  :func:`train` is what
``atlas-coder train`` calls, and it is transactional:

1. it holds a lock on the bundle path, so concurrent trainings run one after the other;
2. it writes the new bundle beside the old one and checks it by loading it;
3. it logs the run to MLflow and registers the model version (no alias yet);
4. in one uninterruptible step it swaps the new bundle into place and moves ``@champion``.

An interrupt before step 4 leaves the previous bundle and champion untouched; the bundle on
disk and ``models:/atlas-coder@champion`` are always the same model.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier import __version__
from classifier.config import TrainingConfig, load_config
from classifier.errors import DataWarning, InputError
from classifier.io.atomic import check_output_dir, deferred_interrupts, exclusive_lock, remembered_interrupts
from classifier.io.corpus import Corpus, load_corpus, sha256_file
from classifier.model.bundle import Bundle, load_bundle_dir, staged_bundle_dir, swap_into_place, write_bundle_dir
from classifier.model.classifier import AtlasClassifier
from classifier.model.features import Features, featurize_with_config
from classifier.paths import CACHE_DIR, DEFAULT_MODEL, PROJECT_ROOT
from classifier.reliability.metrics import multilabel_scores

#: Below this many gold-coded entries training still runs, with a warning.
MIN_TRAINING_ENTRIES = 50


def fingerprint(corpus: Corpus, config: TrainingConfig) -> str:
    """What the model is a function of: codebook, training data, configuration, code version."""
    parts = [corpus.codebook.sha256, corpus.sha256, config.sha256, __version__]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return Path(path).name


def data_warnings(corpus: Corpus, model: AtlasClassifier) -> list[str]:
    """What makes this training run weak, in words (small corpus, labels too rare to learn)."""
    out = []
    n = len(corpus.gold)
    if n < MIN_TRAINING_ENTRIES:
        out.append(f"only {n} gold-coded entries (fewer than {MIN_TRAINING_ENTRIES}): the model and its "
                   "cross-validated scores will be unreliable")
    untrained = [lab for (g, lab), ok in zip(model.labels, model.trained_) if not ok]
    if untrained:
        out.append(f"{len(untrained)} label(s) have fewer than {model.min_positives} positive (or negative) entries "
                   f"and will never be suggested: {', '.join(untrained)}")
    return out


def fit(corpus: Corpus, features: Features, config: TrainingConfig) -> tuple[AtlasClassifier, dict[str, Any]]:
    """Fit the classifier on the gold-coded entries; return it with the bundle's metadata."""
    if features.ids != corpus.coded_ids:
        features = features.take(corpus.coded_ids)
    Y = corpus.Y()
    cities = [e.city for e in corpus.coded_entries]
    model = AtlasClassifier(codebook=corpus.codebook, **config.classifier_params(),
                            feature_sets=features.candidate_sets(),
                            label_blocks=features.label_blocks()).fit(features.X, Y, groups=cities)
    cv = multilabel_scores(Y, model.predict(None, proba=model.oof_proba_), model.labels, corpus.codebook.group_keys)
    metadata = {
        "atlas_coder_version": __version__,
        "codebook": {"name": corpus.codebook.name, "version": corpus.codebook.version, "sha256": corpus.codebook.sha256},
        "training_data": {
            "entries": {"path": _rel(corpus.entries_path), "sha256": sha256_file(corpus.entries_path)},
            "labels": {"path": _rel(corpus.gold_path), "sha256": sha256_file(corpus.gold_path)},
            "sha256": corpus.sha256,
            "n_units": len(features.ids),
            "n_sentences": features.n_unique_sentences,
        },
        "embedding": {"model": features.embedding_model, "version": features.embedding_version,
                      "dim": int(features.X.shape[1]), "pooling": config.embedding.pooling,
                      "batch_size": config.embedding.batch_size,
                      "max_document_sentences": config.embedding.max_document_sentences,
                      "features": asdict(config.features), "layout": [list(b) for b in features.layout]},
        "seed": config.seed,
        "config": {"sha256": config.sha256, "resolved": config.to_dict()},
        "fingerprint": fingerprint(corpus, config),
        # city-grouped inner CV; calibration and thresholds were tuned on these same out-of-fold
        # predictions, so they are optimistic; `atlas-coder evaluate` nests the tuning
        "cv_metrics": cv,
    }
    return model, metadata


@dataclass
class TrainResult:
    bundle: Bundle
    path: Path
    reused: bool
    tracking: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def _reusable(out: Path, fp: str) -> Bundle | None:
    if not (out / "model.json").exists():
        return None
    try:
        existing = load_bundle_dir(out)
    except InputError:
        return None
    return existing if existing.metadata.get("fingerprint") == fp else None


def train(data_dir: str | Path | None = None, out: str | Path | None = None, seed: int | None = None,
          config: TrainingConfig | str | Path | None = None, *, corpus: Corpus | None = None,
          features: Features | None = None, reuse: bool = False, track: bool = True,
          cache_dir: str | Path | None = CACHE_DIR / "embeddings", progress: bool | None = None) -> TrainResult:
    """Train on the hand-coded corpus and put the bundle at ``out`` (transactionally, see above).

    ``corpus`` and ``features`` may be passed in when the caller already has them (the main job
    does); otherwise they are loaded from ``data_dir``.  With ``reuse=True`` an existing bundle
    whose fingerprint matches is kept as it is.
    """
    start = time.perf_counter()
    cfg = config if isinstance(config, TrainingConfig) else load_config(config)
    cfg = cfg.with_seed(seed)
    out = Path(out) if out is not None else DEFAULT_MODEL
    check_output_dir(out)
    corpus = corpus or load_corpus(data_dir)
    fp = fingerprint(corpus, cfg)
    if reuse and (existing := _reusable(out, fp)) is not None:
        return TrainResult(existing, out, reused=True, seconds=time.perf_counter() - start)

    if features is None:
        features = featurize_with_config(corpus.coded_entries, cfg, codebook=corpus.codebook, cache_dir=cache_dir,
                                         progress=progress)
    model, metadata = fit(corpus, features, cfg)
    notes = data_warnings(corpus, model)
    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)

    tracking: dict[str, str] = {}
    with exclusive_lock(out.parent / f".{out.name}.lock", "another training run on this model"), \
            remembered_interrupts() as interrupted:
        if track:
            from classifier.tracking import reconcile_champion

            reconcile_champion(out)  # mends a champion left behind by a hard kill of an earlier run
        with staged_bundle_dir(out) as staged:
            write_bundle_dir(staged, model, metadata)
            bundle = load_bundle_dir(staged)  # refuse to install a bundle that does not load
            if track:
                from classifier.tracking import log_training_run, set_champion

                params = {**cfg.classifier_params(), "embedding_model": cfg.embedding.model,
                          "pooling": cfg.embedding.pooling, "embedding_version": features.embedding_version,
                          "n_units": len(corpus.gold), "fingerprint": fp[:16]}
                tracking = log_training_run(staged, metadata, params, metadata["cv_metrics"], corpus.codebook.path)
            if interrupted():  # an interrupt swallowed on the way (e.g. in a __del__) still counts
                raise KeyboardInterrupt
            with deferred_interrupts():
                swap_into_place(staged, out)
                if track:
                    set_champion(tracking["model_version"])
    bundle.path = str(out)
    return TrainResult(bundle, out, reused=False, tracking=tracking, seconds=time.perf_counter() - start, warnings=notes)
