"""Cross-validated predictions: every corpus entry predicted by a model that never saw it.

Each repetition (seed) splits the entries into folds, fits a full :class:`AtlasClassifier` on
the other folds (which tunes its own thresholds with an inner CV) and predicts the held-out
fold, so no entry influences its own prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from classifier.model.classifier import AtlasClassifier


@dataclass
class CVRun:
    """One CV repetition: out-of-fold probabilities and constrained 0/1 predictions, and which
    fold model predicted each entry."""

    seed: int
    proba: np.ndarray
    pred: np.ndarray
    fold_models: list[tuple[np.ndarray, AtlasClassifier]]


def out_of_fold(X: np.ndarray, Y: np.ndarray, params: dict[str, Any], seed: int, folds: int,
                progress: bool | None = None) -> CVRun:
    """One repetition of k-fold CV with nested threshold tuning."""
    from tqdm import tqdm

    base = AtlasClassifier(**{**params, "seed": seed})
    P = np.zeros(Y.shape)
    pred = np.zeros(Y.shape, dtype=np.int64)
    models = []
    for train_idx, test_idx in tqdm(base.cv_splits(Y, folds, seed), desc=f"out-of-fold CV, seed {seed}",
                                    disable=None if progress is None else not progress, leave=False):
        m = AtlasClassifier(**{**params, "seed": seed}).fit(X[train_idx], Y[train_idx], progress=False)
        P[test_idx] = m.predict_proba(X[test_idx])
        pred[test_idx] = m.predict(None, proba=P[test_idx])
        models.append((test_idx, m))
    return CVRun(seed, P, pred, models)


def repeated_out_of_fold(X: np.ndarray, Y: np.ndarray, params: dict[str, Any], seeds: list[int], folds: int,
                         progress: bool | None = None) -> list[CVRun]:
    return [out_of_fold(X, Y, params, s, folds, progress) for s in seeds]
