"""Precision, recall and F1 per label and per group (micro and macro), from scikit-learn."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def prf(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of binary predictions ``p`` against ``y`` (0 where undefined)."""
    from sklearn.metrics import precision_recall_fscore_support

    y, p = np.asarray(y).astype(int), np.asarray(p).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(y, p, average="binary", zero_division=0)
    return {"precision": round(float(precision), 4), "recall": round(float(recall), 4), "f1": round(float(f1), 4),
            "support": int(y.sum())}


def multilabel_scores(Y: np.ndarray, P: np.ndarray, labels: Sequence[tuple[str, str]],
                      groups: Sequence[str]) -> dict[str, Any]:
    """``{"labels": {label: prf}, "groups": {group: {micro_f1, micro_precision, micro_recall, macro_f1}}}``.

    Macro F1 averages over labels with at least one positive unit (a label nobody used cannot
    be scored).
    """
    from sklearn.metrics import precision_recall_fscore_support

    per_label = {lab: prf(Y[:, j], P[:, j]) for j, (_, lab) in enumerate(labels)}
    per_group = {}
    for g in groups:
        cols = [j for j, (gg, _) in enumerate(labels) if gg == g]
        mp, mr, mf, _ = precision_recall_fscore_support(Y[:, cols], P[:, cols], average="micro", zero_division=0)
        scored = [per_label[labels[j][1]]["f1"] for j in cols if Y[:, j].sum() > 0]
        per_group[g] = {"micro_f1": round(float(mf), 4), "micro_precision": round(float(mp), 4),
                        "micro_recall": round(float(mr), 4),
                        "macro_f1": round(float(np.mean(scored)), 4) if scored else 0.0}
    return {"labels": per_label, "groups": per_group}
