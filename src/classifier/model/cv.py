"""Cross-validated predictions: every corpus entry predicted by a model that never saw its city.

Each repetition (seed) splits the *cities* into folds (:mod:`classifier.model.splits`), fits a
full :class:`AtlasClassifier` on the other folds — which calibrates and tunes its thresholds with
its own inner city-grouped CV — and predicts the held-out fold.  No entry, and no other entry of
the same city, influences its own prediction: this is how users meet the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.base import clone

from classifier.model.classifier import AtlasClassifier
from classifier.model.splits import folds


@dataclass
class CVRun:
    """One CV repetition: out-of-fold probabilities and constrained 0/1 predictions, and which
    fold model predicted each entry."""

    seed: int
    proba: np.ndarray
    pred: np.ndarray
    fold_models: list[tuple[np.ndarray, AtlasClassifier]]


def out_of_fold(estimator: AtlasClassifier, X, Y: np.ndarray, groups: Sequence[str] | None, seed: int, n_folds: int,
                progress: bool | None = None) -> CVRun:
    """One repetition of k-fold CV (city-grouped when ``groups`` is given) with nested tuning."""
    from tqdm import tqdm

    groups_arr = None if groups is None else np.asarray(groups)
    P = np.zeros(Y.shape)
    pred = np.zeros(Y.shape, dtype=np.int64)
    models = []
    for train_idx, test_idx in tqdm(folds(Y, groups, n_folds, seed), desc=f"out-of-fold CV, seed {seed}",
                                    disable=None if progress is None else not progress, leave=False):
        m = clone(estimator).set_params(random_state=seed)
        m.fit(X[train_idx], Y[train_idx], groups=None if groups_arr is None else groups_arr[train_idx])
        P[test_idx] = m.predict_proba(X[test_idx])
        pred[test_idx] = m.predict(None, proba=P[test_idx])
        models.append((test_idx, m))
    return CVRun(seed, P, pred, models)


def repeated_out_of_fold(estimator: AtlasClassifier, X, Y: np.ndarray, groups: Sequence[str] | None,
                         seeds: Sequence[int], n_folds: int, progress: bool | None = None) -> list[CVRun]:
    return [out_of_fold(estimator, X, Y, groups, s, n_folds, progress) for s in seeds]
