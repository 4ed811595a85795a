"""Per-label linear classifiers over entry features, calibrated, with grouped-CV thresholds.

:class:`AtlasClassifier` is a scikit-learn estimator (``BaseEstimator``/``ClassifierMixin``):
parameters in the constructor and nothing else, fitted state in trailing-underscore attributes,
so ``clone``, ``get_params`` and ``cross_val_predict`` work.  Labels of all codebook groups form
one label matrix (columns in codebook order); the codebook's own constraints are applied in
:meth:`predict` (:meth:`classifier.io.codebook.Codebook.enforce`).

``fit`` runs an inner cross-validation — by city when ``groups`` is given, as the project always
does — to get out-of-fold scores for every training entry.  On those it fits each label's
calibration (Platt scaling: a logistic map of the linear score) and then chooses each label's
threshold by the stated rule *maximum F1 of the calibrated out-of-fold probabilities*.

Why linear: with a few hundred hand-coded entries a regularised logistic regression per label on
frozen features is the simplest model that works, it is fast, and because it is linear the same
weights score each *sentence*, which is what the evidence of a suggestion is made of.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from classifier.errors import InputError
from classifier.io.codebook import Codebook

BUNDLE_FORMAT = "atlas-coder-model/2"
CALIBRATIONS = ("sigmoid", "none")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _f1_over_grid(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """F1 of ``p >= t`` against ``y`` for every threshold ``t`` of ``grid`` at once.

    It runs for every label of every fold; calling ``sklearn.metrics.f1_score`` per candidate
    is 100× slower, so tests check this against sklearn instead.
    """
    y = np.asarray(y).astype(bool)
    pred = np.asarray(p)[None, :] >= np.asarray(grid, dtype=float)[:, None]
    return 2 * (pred & y[None, :]).sum(axis=1) / (pred.sum(axis=1) + y.sum())


def best_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> float:
    """The threshold on ``grid`` with the highest F1; ties go to the one nearest 0.5."""
    if np.asarray(y).astype(bool).sum() == 0:
        return 0.5
    grid = np.asarray(grid, dtype=float)
    keys = list(zip(np.round(_f1_over_grid(y, p, grid), 12), -np.abs(grid - 0.5)))
    return round(float(grid[max(range(len(grid)), key=keys.__getitem__)]), 6)


def _best_f1(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> float:
    if np.asarray(y).astype(bool).sum() == 0:
        return 0.0
    return float(_f1_over_grid(y, p, grid).max())


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: (a, b) with P(y=1 | z) = sigmoid(a z + b), fitted on out-of-fold scores."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y).astype(int)
    if y.min() == y.max():
        return 1.0, 0.0
    lr = LogisticRegression(C=1e4, max_iter=1000).fit(np.asarray(z).reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


class AtlasClassifier(ClassifierMixin, BaseEstimator):
    """One logistic regression per codebook label.

    Parameters
    ----------
    codebook: the coding scheme (label order and constraints).
    C: inverse L2 regularisation strength of each logistic regression.
    class_weight: passed to scikit-learn (``"balanced"`` counters rare labels).
    min_positives: labels with fewer positive (or negative) training units get no classifier;
        their probability is the training prevalence and they are never predicted.
    max_iter: solver iterations.
    cv_folds: folds of the inner (city-grouped) CV for calibration and thresholds.
    threshold_grid: (start, stop, step) of candidate thresholds.
    calibration: ``"sigmoid"`` (Platt scaling on out-of-fold scores) or ``"none"``.
    evidence_sentences: how many supporting sentences to report per predicted label.
    random_state: seeds the inner CV split (the solver itself is deterministic).
    feature_sets: ``None`` (every label uses every column) or candidate column sets, each a
        tuple of ``(start, stop)`` column ranges; each label then uses the candidate with the best
        F1 on the inner city-grouped CV — a per-label choice of model, as concept classifiers
        do.  Unused columns get zero weight, so the fitted model stays one linear map.
    label_blocks: ``None`` or the first columns of blocks that hold one column per label, in
        codebook label order (the cue indicators and definition similarities).  Each label may
        then also choose, as one more candidate, only its own columns of those blocks: its
        keyword rule and its definition similarity, calibrated and thresholded like any other
        candidate.  Labels whose cues beat every learned candidate on the inner CV keep the rule.
    """

    def __init__(self, codebook: Codebook | None = None, *, C: float = 4.0, class_weight: str | None = "balanced",
                 min_positives: int = 3, max_iter: int = 5000, cv_folds: int = 5,
                 threshold_grid: tuple[float, float, float] = (0.05, 0.95, 0.01), calibration: str = "sigmoid",
                 evidence_sentences: int = 2, random_state: int = 13,
                 feature_sets: tuple[tuple[tuple[int, int], ...], ...] | None = None,
                 label_blocks: tuple[int, ...] | None = None):
        self.codebook = codebook
        self.C = C
        self.class_weight = class_weight
        self.min_positives = min_positives
        self.max_iter = max_iter
        self.cv_folds = cv_folds
        self.threshold_grid = threshold_grid
        self.calibration = calibration
        self.evidence_sentences = evidence_sentences
        self.random_state = random_state
        self.feature_sets = feature_sets
        self.label_blocks = label_blocks

    @property
    def labels(self) -> list[tuple[str, str]]:
        return self.codebook.all_labels

    # ------------------------------------------------------------------ fitting
    def _fit_one(self, X, y: np.ndarray) -> tuple[np.ndarray, float, bool]:
        n_pos = int(y.sum())
        if n_pos < self.min_positives or len(y) - n_pos < self.min_positives:
            prev = min(max(n_pos / max(len(y), 1), 1e-6), 1 - 1e-6)
            return np.zeros(X.shape[1]), float(np.log(prev / (1 - prev))), False
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        clf.fit(X, y)
        return clf.coef_[0].astype(np.float64), float(clf.intercept_[0]), True

    def _fit_all(self, X, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        fits = [self._fit_one(X, Y[:, j]) for j in range(Y.shape[1])]
        return np.vstack([f[0] for f in fits]), np.array([f[1] for f in fits]), np.array([f[2] for f in fits])

    def _columns(self, n_features: int, n_labels: int) -> list[list[np.ndarray]]:
        """Candidate column sets, each given per label (global candidates repeat one set)."""
        sets = [np.arange(n_features)] if not self.feature_sets else \
            [np.concatenate([np.arange(a, b) for a, b in cand]) for cand in self.feature_sets]
        candidates = [[cols] * n_labels for cols in sets]
        if self.label_blocks:
            own = [np.array([start + j for start in self.label_blocks]) for j in range(n_labels)]
            candidates.append(own)
            if self.feature_sets:  # the first candidate set (the embedding) with the label's own columns
                candidates.append([np.concatenate([sets[0], o]) for o in own])
        return candidates

    def _inner_scores(self, X, Y, splits, cols: list[np.ndarray]) -> np.ndarray:
        """Out-of-fold linear scores of every label ``j`` using only its columns ``cols[j]``."""
        Z = np.zeros(Y.shape, dtype=np.float64)
        shared = all(c is cols[0] for c in cols)
        for train_idx, test_idx in splits:
            if shared:
                Xc = X[:, cols[0]]
                coef, intercept, _ = self._fit_all(Xc[train_idx], Y[train_idx])
                Z[test_idx] = np.asarray(Xc[test_idx] @ coef.T) + intercept
                continue
            for j, c in enumerate(cols):
                Xc = X[:, c]
                coef_j, intercept_j, _ = self._fit_one(Xc[train_idx], Y[train_idx, j])
                Z[test_idx, j] = np.asarray(Xc[test_idx] @ coef_j) + intercept_j
        return Z

    def fit(self, X, Y, groups: Sequence[str] | None = None) -> "AtlasClassifier":
        """Fit every label; choose its columns, calibrate and tune thresholds on inner OOF scores.

        ``groups`` (the entries' cities) makes the inner CV city-grouped; without it the inner
        folds mix cities, which tunes thresholds on optimistic scores.
        """
        from classifier.model.splits import folds

        if self.codebook is None:
            raise ValueError("AtlasClassifier needs a codebook")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {self.calibration!r}")
        Y = np.asarray(Y, dtype=np.int64)
        if Y.shape != (X.shape[0], len(self.labels)):
            raise ValueError(f"Y must have shape ({X.shape[0]}, {len(self.labels)}), got {Y.shape}")
        grid = np.round(np.arange(self.threshold_grid[0], self.threshold_grid[1] + 1e-9, self.threshold_grid[2]), 6)
        splits = folds(Y, groups, self.cv_folds, self.random_state)
        candidates = self._columns(X.shape[1], Y.shape[1])
        Zs = [self._inner_scores(X, Y, splits, cols) for cols in candidates]
        if len(candidates) == 1:
            choice = np.zeros(Y.shape[1], dtype=int)
        else:  # per label, the candidate whose inner out-of-fold scores reach the best F1
            f1 = np.array([[_best_f1(Y[:, j], _sigmoid(Z[:, j]), grid) for j in range(Y.shape[1])] for Z in Zs])
            choice = np.argmax(f1, axis=0)
        Z = np.column_stack([Zs[choice[j]][:, j] for j in range(Y.shape[1])])
        coef = np.zeros((Y.shape[1], X.shape[1]))
        intercept, trained = np.zeros(Y.shape[1]), np.zeros(Y.shape[1], dtype=bool)
        for j in range(Y.shape[1]):
            cols = candidates[choice[j]][j]
            c, intercept[j], trained[j] = self._fit_one(X[:, cols], Y[:, j])
            coef[j, cols] = c
        self.coef_, self.intercept_, self.trained_, self.feature_set_ = coef, intercept, trained, choice
        if self.calibration == "sigmoid":
            cal = [fit_platt(Z[:, j], Y[:, j]) if self.trained_[j] else (1.0, 0.0) for j in range(Y.shape[1])]
        else:
            cal = [(1.0, 0.0)] * Y.shape[1]
        self.calibration_ = np.array(cal, dtype=np.float64)
        self.oof_proba_ = self._calibrate(Z)
        self.thresholds_ = np.array([best_threshold(Y[:, j], self.oof_proba_[:, j], grid) if self.trained_[j] else 1.0
                                     for j in range(Y.shape[1])])
        self.n_positive_ = Y.sum(axis=0)
        return self

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("AtlasClassifier is not fitted")

    def decision_function(self, X) -> np.ndarray:
        """Uncalibrated linear scores (one column per label)."""
        self._check_fitted()
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def _calibrate(self, Z: np.ndarray) -> np.ndarray:
        return _sigmoid(Z * self.calibration_[:, 0] + self.calibration_[:, 1])

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, one column per codebook label."""
        return self._calibrate(self.decision_function(X))

    def predict(self, X, proba: np.ndarray | None = None) -> np.ndarray:
        """Binary label matrix after thresholds and the codebook's constraints."""
        P = self.predict_proba(X) if proba is None else proba
        return self.codebook.enforce((P >= self.thresholds_).astype(np.int64), P / np.maximum(self.thresholds_, 1e-9))

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        params = {k: v for k, v in self.get_params().items() if k != "codebook"}
        return {
            "params": params,
            "labels": [
                {"group": g, "label": lab, "trained": bool(self.trained_[j]), "n_positive": int(self.n_positive_[j]),
                 "threshold": float(self.thresholds_[j]), "intercept": float(self.intercept_[j]),
                 "calibration": [float(v) for v in self.calibration_[j]],
                 "feature_set": int(self.feature_set_[j]),
                 "coef": [float(v) for v in self.coef_[j]]}
                for j, (g, lab) in enumerate(self.labels)
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], codebook: Codebook) -> "AtlasClassifier":
        params = dict(d["params"])
        params["threshold_grid"] = tuple(params["threshold_grid"])
        if params.get("feature_sets") is not None:
            params["feature_sets"] = tuple(tuple(tuple(r) for r in cand) for cand in params["feature_sets"])
        if params.get("label_blocks") is not None:
            params["label_blocks"] = tuple(params["label_blocks"])
        model = cls(codebook=codebook, **params)
        stored = [(x["group"], x["label"]) for x in d["labels"]]
        if stored != model.labels:
            raise InputError(codebook.path, "model labels do not match the codebook (retrain with `atlas-coder train`)")
        model.coef_ = np.array([x["coef"] for x in d["labels"]], dtype=np.float64)
        model.intercept_ = np.array([x["intercept"] for x in d["labels"]], dtype=np.float64)
        model.calibration_ = np.array([x["calibration"] for x in d["labels"]], dtype=np.float64)
        model.thresholds_ = np.array([x["threshold"] for x in d["labels"]], dtype=np.float64)
        model.trained_ = np.array([x["trained"] for x in d["labels"]], dtype=bool)
        model.n_positive_ = np.array([x["n_positive"] for x in d["labels"]], dtype=np.int64)
        model.feature_set_ = np.array([x.get("feature_set", 0) for x in d["labels"]], dtype=np.int64)
        return model
