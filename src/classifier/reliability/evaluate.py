"""``atlas-coder evaluate``: the model as one more coder, judged like the human coders.

Steps, each its own function: cross-validated predictions (:mod:`classifier.model.cv`) →
comparisons with gold and between coders (:mod:`classifier.reliability.comparisons`) → the
review queue (:mod:`classifier.reliability.review`) → the external check
(:mod:`classifier.reliability.external`).  :func:`evaluate` returns the report as data; writing
it is :func:`classifier.reports.evaluation.write_evaluation`'s job.

Every setting comes from the training configuration passed in, so ``run --seed N`` and
``train --config X`` are evaluated with the settings they trained with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.config import TrainingConfig
from classifier.io.codes import Coding
from classifier.io.corpus import Corpus
from classifier.model.bundle import Bundle
from classifier.model.classifier import AtlasClassifier
from classifier.model.cv import CVRun, repeated_out_of_fold
from classifier.model.features import Features
from classifier.reliability.comparisons import compare
from classifier.reliability.review import review_queue

METHOD = ("repeated k-fold CV by city (multilabel-stratified over cities: no city has entries on both sides of a "
          "fold, so every prediction is for a city the model never saw); calibration and thresholds tuned by an inner "
          "city-grouped CV inside each training fold; model rows: agreement and P/R/F1 averaged over seeds "
          "(mean ± sd), bootstrap CI from the first seed")


def calibration_report(Y, runs: list[CVRun], cb, bins: int = 10) -> dict[str, Any]:
    """How far the out-of-fold probabilities can be read as probabilities.

    Brier score per label (mean over seeds) and per group (mean over its labels), and a
    reliability curve of all labels pooled (first seed; quantile bins): for the entries given
    probability about p, the share that gold codes present should be about p.
    """
    import numpy as np
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    labels = cb.all_labels
    brier = {lab: float(np.mean([brier_score_loss(Y[:, j], r.proba[:, j]) for r in runs]))
             for j, (_, lab) in enumerate(labels)}
    by_group = {g: float(np.mean([brier[lab] for gg, lab in labels if gg == g])) for g in cb.group_keys}
    y, p = Y.ravel(), runs[0].proba.ravel()
    true, pred = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    return {"brier_by_label": brier, "brier_by_group": by_group,
            "reliability": {"predicted": [float(v) for v in pred], "observed": [float(v) for v in true]},
            "note": "out-of-fold, city-grouped; Platt scaling fitted on the inner CV of each training fold"}


@dataclass
class Evaluation:
    report: dict[str, Any]          # JSON-ready: comparisons, external check, settings
    model_oof: Coding               # the first seed's out-of-fold codes
    queue: list[dict[str, Any]]     # review queue rows
    runs: list[CVRun]


def evaluate(corpus: Corpus, features: Features, config: TrainingConfig, *, seeds: int = 3, folds: int = 5,
             n_resamples: int = 1000, bundle: Bundle | None = None, external_dir: str | Path | None = None,
             cache_dir: str | Path | None = None, progress: bool | None = None) -> Evaluation:
    """Evaluate on the gold-coded entries; ``features`` may hold more entries than those."""
    cb = corpus.codebook
    ids = corpus.coded_ids
    feats = features if features.ids == ids else features.take(ids)
    Y = corpus.Y()
    estimator = AtlasClassifier(codebook=cb, **config.classifier_params(), feature_sets=feats.candidate_sets(),
                                 label_blocks=feats.label_blocks())
    seed_list = [config.seed + s for s in range(seeds)]
    cities = [e.city for e in corpus.coded_entries]
    runs = repeated_out_of_fold(estimator, feats.X, Y, cities, seed_list, folds, progress)
    gold = corpus.gold_coding()
    coders = corpus.coder_codings()
    model_versions = [Coding.from_matrix("model", ids, r.pred, cb) for r in runs]

    comparisons = {"model ~ gold": compare(model_versions, gold, ids, cb, n_resamples=n_resamples)}
    names = list(coders)
    if len(names) >= 2:
        comparisons[f"{names[0]} ~ {names[1]}"] = compare([coders[names[0]]], coders[names[1]], ids, cb, n_resamples=n_resamples)
    for name in names:
        comparisons[f"{name} ~ gold"] = compare([coders[name]], gold, ids, cb, n_resamples=n_resamples)

    queue = review_queue(corpus.coded_entries, feats, Y, runs, coders, cb)
    calibration = calibration_report(Y, runs, cb)
    external = None
    if bundle is not None and external_dir is not None and Path(external_dir, "cases.jsonl").exists():
        from classifier.reliability.external import external_check

        external = external_check(bundle, external_dir, cache_dir=cache_dir)
    report = {
        "codebook": {"name": cb.name, "version": cb.version, "sha256": cb.sha256},
        "training_data_sha256": corpus.sha256, "config_sha256": config.sha256,
        "n_units": len(ids), "n_cities": len(set(cities)), "seeds": seed_list, "folds": folds, "method": METHOD,
        "coders_note": ("coder_a, coder_b and the adjudicator are sessions of one AI model, not independent humans: "
                        "their agreement is an upper bound on what independent human coders would reach"),
        "comparisons": comparisons, "calibration": calibration, "external": external, "review_queue_size": len(queue),
    }
    oof = Coding(f"model (out-of-fold, seed {seed_list[0]})", model_versions[0].codes)
    return Evaluation(report, oof, queue, runs)
