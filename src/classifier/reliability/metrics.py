"""Precision, recall and F1 per label and per group (micro and macro) for binary label matrices."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def prf(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    y, p = np.asarray(y, bool), np.asarray(p, bool)
    tp, fp, fn = float(np.sum(y & p)), float(np.sum(~y & p)), float(np.sum(y & ~p))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": int(y.sum())}


def multilabel_scores(Y: np.ndarray, P: np.ndarray, labels: Sequence[tuple[str, str]],
                      groups: Sequence[str]) -> dict[str, Any]:
    """``{"labels": {label: prf}, "groups": {group: {micro_f1, macro_f1}}}``.

    Macro F1 averages over labels with at least one positive unit (a label nobody used cannot
    be scored).
    """
    per_label = {lab: prf(Y[:, j], P[:, j]) for j, (_, lab) in enumerate(labels)}
    per_group = {}
    for g in groups:
        cols = [j for j, (gg, _) in enumerate(labels) if gg == g]
        micro = prf(Y[:, cols].ravel(), P[:, cols].ravel())
        scored = [per_label[labels[j][1]]["f1"] for j in cols if Y[:, j].sum() > 0]
        per_group[g] = {"micro_f1": micro["f1"], "micro_precision": micro["precision"], "micro_recall": micro["recall"],
                        "macro_f1": round(float(np.mean(scored)), 4) if scored else 0.0}
    return {"labels": per_label, "groups": per_group}
