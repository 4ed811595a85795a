"""Per-label linear classifiers over entry embeddings, with CV-tuned thresholds and evidence.

:class:`AtlasClassifier` follows the scikit-learn estimator conventions: parameters are set in
the constructor, ``fit`` learns ``coef_``, ``intercept_`` and ``thresholds_`` and nothing else is
hidden.  Labels of all codebook groups form one label matrix (columns in codebook order); the
codebook's constraints are applied in :meth:`AtlasClassifier.predict`.

Why linear: with ~200 hand-coded entries, a regularised logistic regression per label on frozen
sentence embeddings is the simplest model that works, it is fast, and because it is linear the
same weights score each *sentence*, which is what the evidence of a suggestion is made of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from classifier.config import TrainingConfig
from classifier.errors import InputError
from classifier.io.codebook import Codebook

_DEFAULT = TrainingConfig()  # the one place hyperparameter defaults are written

BUNDLE_FORMAT = "atlas-coder-model/1"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def best_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> float:
    """The threshold on ``grid`` with the highest F1; ties go to the one nearest 0.5."""
    y = y.astype(bool)
    if y.sum() == 0:
        return 0.5
    best, best_key = 0.5, (-1.0, 0.0)
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & y))
        f1 = 2 * tp / (pred.sum() + y.sum()) if (pred.sum() + y.sum()) else 0.0
        key = (round(f1, 12), -abs(t - 0.5))
        if key > best_key:
            best, best_key = float(t), key
    return round(best, 6)


@dataclass
class AtlasClassifier:
    """One logistic regression per codebook label on pooled sentence embeddings.

    Parameters
    ----------
    codebook: the coding scheme (label order and constraints).
    C: inverse L2 regularisation strength of each logistic regression.
    class_weight: passed to scikit-learn (``"balanced"`` counters rare labels).
    cv_folds: folds of the multilabel-stratified CV that tunes each label's threshold.
    min_positives: labels with fewer positive (or negative) training units get no classifier;
        their probability is the training prevalence and they are never predicted.
    threshold_grid: (start, stop, step) of candidate thresholds.
    evidence_sentences: how many supporting sentences to report per predicted label.
    seed: seeds the CV split (the solver itself is deterministic).
    """

    codebook: Codebook
    C: float = _DEFAULT.C
    class_weight: str | None = _DEFAULT.class_weight
    cv_folds: int = _DEFAULT.cv_folds
    min_positives: int = _DEFAULT.min_positives
    threshold_grid: tuple[float, float, float] = _DEFAULT.threshold_grid
    evidence_sentences: int = _DEFAULT.evidence_sentences
    seed: int = _DEFAULT.seed
    max_iter: int = _DEFAULT.max_iter

    # fitted state
    coef_: np.ndarray | None = field(default=None, init=False, repr=False)
    intercept_: np.ndarray | None = field(default=None, init=False, repr=False)
    thresholds_: np.ndarray | None = field(default=None, init=False, repr=False)
    trained_: np.ndarray | None = field(default=None, init=False, repr=False)
    n_positive_: np.ndarray | None = field(default=None, init=False, repr=False)
    oof_proba_: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def labels(self) -> list[tuple[str, str]]:
        return self.codebook.all_labels

    def params(self) -> dict[str, Any]:
        return {"C": self.C, "class_weight": self.class_weight, "cv_folds": self.cv_folds,
                "min_positives": self.min_positives, "threshold_grid": list(self.threshold_grid),
                "evidence_sentences": self.evidence_sentences, "seed": self.seed, "max_iter": self.max_iter}

    # ------------------------------------------------------------------ fitting
    def _fit_one(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, bool]:
        n_pos = int(y.sum())
        if n_pos < self.min_positives or len(y) - n_pos < self.min_positives:
            prev = min(max(n_pos / max(len(y), 1), 1e-6), 1 - 1e-6)
            return np.zeros(X.shape[1]), float(np.log(prev / (1 - prev))), False
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        clf.fit(X, y)
        return clf.coef_[0].astype(np.float64), float(clf.intercept_[0]), True

    def _fit_all(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        fits = [self._fit_one(X, Y[:, j]) for j in range(Y.shape[1])]
        return (np.vstack([f[0] for f in fits]), np.array([f[1] for f in fits]), np.array([f[2] for f in fits]))

    def cv_splits(self, Y: np.ndarray, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Multilabel-stratified folds (iterative stratification) over all label columns."""
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        mskf = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        return list(mskf.split(np.zeros((len(Y), 1)), Y))

    def out_of_fold_proba(self, X: np.ndarray, Y: np.ndarray, splits, progress: bool | None = None) -> np.ndarray:
        from tqdm import tqdm

        oof = np.zeros(Y.shape, dtype=np.float64)
        for train_idx, test_idx in tqdm(splits, desc="cross-validation", disable=None if progress is None else not progress, leave=False):
            coef, intercept, _ = self._fit_all(X[train_idx], Y[train_idx])
            oof[test_idx] = _sigmoid(X[test_idx] @ coef.T + intercept)
        return oof

    def fit(self, X: np.ndarray, Y: np.ndarray, progress: bool | None = None) -> "AtlasClassifier":
        """Fit every label; tune thresholds on out-of-fold probabilities of a seeded CV."""
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.int64)
        if Y.shape != (len(X), len(self.labels)):
            raise ValueError(f"Y must have shape ({len(X)}, {len(self.labels)}), got {Y.shape}")
        grid = np.round(np.arange(self.threshold_grid[0], self.threshold_grid[1] + 1e-9, self.threshold_grid[2]), 6)
        self.oof_proba_ = self.out_of_fold_proba(X, Y, self.cv_splits(Y, self.cv_folds, self.seed), progress)
        self.coef_, self.intercept_, self.trained_ = self._fit_all(X, Y)
        self.thresholds_ = np.array([best_threshold(Y[:, j], self.oof_proba_[:, j], grid) if self.trained_[j] else 1.0
                                     for j in range(Y.shape[1])])
        self.n_positive_ = Y.sum(axis=0)
        return self

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if self.coef_ is None:
            raise RuntimeError("AtlasClassifier is not fitted")

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated-by-CV-threshold probabilities, one column per codebook label."""
        return _sigmoid(self.decision_function(X))

    def predict(self, X: np.ndarray | None, proba: np.ndarray | None = None) -> np.ndarray:
        """Binary label matrix after thresholds and the codebook's constraints."""
        P = self.predict_proba(X) if proba is None else proba
        return self.apply_constraints(P, (P >= self.thresholds_).astype(np.int64))

    def apply_constraints(self, P: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """Enforce min_labels (best label by probability/threshold ratio) and 'requires' rules."""
        pred = pred.copy()
        col = {lab: j for j, lab in enumerate(self.labels)}
        for g in self.codebook.groups:
            cols = [col[(g.key, lab)] for lab in g.label_keys]
            if g.min_labels:
                for i in np.where(pred[:, cols].sum(axis=1) < g.min_labels)[0]:
                    ratio = P[i, cols] / np.maximum(self.thresholds_[cols], 1e-9)
                    for k in np.argsort(-ratio, kind="stable")[: g.min_labels]:
                        pred[i, cols[k]] = 1
            if g.requires:
                missing = pred[:, col[g.requires]] == 0
                pred[np.ix_(missing, cols)] = 0
        return pred

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "params": self.params(),
            "labels": [
                {"group": g, "label": lab, "trained": bool(self.trained_[j]), "n_positive": int(self.n_positive_[j]),
                 "threshold": float(self.thresholds_[j]), "intercept": float(self.intercept_[j]),
                 "coef": [float(v) for v in self.coef_[j]]}
                for j, (g, lab) in enumerate(self.labels)
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], codebook: Codebook) -> "AtlasClassifier":
        params = dict(d["params"])
        params["threshold_grid"] = tuple(params["threshold_grid"])
        model = cls(codebook=codebook, **params)
        stored = [(x["group"], x["label"]) for x in d["labels"]]
        if stored != model.labels:
            raise InputError(codebook.path, "model labels do not match the codebook (retrain with `atlas-coder train`)")
        model.coef_ = np.array([x["coef"] for x in d["labels"]], dtype=np.float64)
        model.intercept_ = np.array([x["intercept"] for x in d["labels"]], dtype=np.float64)
        model.thresholds_ = np.array([x["threshold"] for x in d["labels"]], dtype=np.float64)
        model.trained_ = np.array([x["trained"] for x in d["labels"]], dtype=bool)
        model.n_positive_ = np.array([x["n_positive"] for x in d["labels"]], dtype=np.int64)
        return model
