"""The review queue: unit-label pairs where the cross-validated model confidently disagrees
with gold — the likeliest coding errors (or model blind spots), for an adjudicator to look at."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from classifier.io.codebook import Codebook
from classifier.io.codes import Coding
from classifier.io.entries import Entry
from classifier.model.cv import CVRun
from classifier.model.features import Features

QUEUE_COLUMNS = ["rank", "id", "city", "title", "group", "label", "gold", "model_says", "model_probability",
                 "confidence", "seeds_disagreeing", "coder_a", "coder_b", "top_sentence"]


def review_queue(entries: Sequence[Entry], features: Features, Y: np.ndarray, runs: Sequence[CVRun],
                 coders: dict[str, Coding], codebook: Codebook) -> list[dict[str, Any]]:
    """Rows ranked by the model's confidence in its disagreement (mean OOF probability).

    A pair is queued when the majority of CV seeds disagree with gold; ``confidence`` is the
    mean probability the model gives to its own side; ``top_sentence`` is the sentence the fold
    model of the first seed finds most supportive of the label.
    """
    P_mean = np.mean([r.proba for r in runs], axis=0)
    votes = np.mean([r.pred for r in runs], axis=0)
    sentence_p = {}
    for test_idx, m in runs[0].fold_models:
        for i in test_idx:
            sentence_p[i] = m.predict_proba(features.sentence_matrix(i))
    rows = []
    for i, e in enumerate(entries):
        for j, (g, lab) in enumerate(codebook.all_labels):
            if round(votes[i, j]) == Y[i, j]:
                continue
            conf = P_mean[i, j] if Y[i, j] == 0 else 1 - P_mean[i, j]
            k = int(np.argmax(sentence_p[i][:, j]))
            row = {"id": e.id, "city": e.city, "title": e.title, "group": g, "label": lab, "gold": int(Y[i, j]),
                   "model_says": "present" if Y[i, j] == 0 else "absent",
                   "model_probability": round(float(P_mean[i, j]), 4), "confidence": round(float(conf), 4),
                   "seeds_disagreeing": int(round(abs(votes[i, j] - Y[i, j]) * len(runs))),
                   "top_sentence": features.sentences[i][k]}
            for name in ("coder_a", "coder_b"):
                codes = coders[name].codes.get(e.id) if name in coders else None
                row[name] = int(lab in codes[g]) if codes is not None else ""
            rows.append(row)
    rows.sort(key=lambda r: (-r["confidence"], r["id"], r["label"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows
