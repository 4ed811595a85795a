"""The model as one more coder: agreement and precision/recall of every pair of codings.

Each comparison is an agreement report (:func:`classifier.reliability.agreement.agreement`)
with precision, recall and F1 of the first coding against the second added per label.  When
the first coding has several versions (the model over CV seeds), agreement statistics and P/R/F1
are averaged over them (mean ± sd) and the bootstrap intervals come from the first.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from classifier.io.codebook import Codebook
from classifier.io.codes import Coding
from classifier.reliability.agreement import agreement
from classifier.reliability.metrics import prf

STATS = ("alpha", "kappa", "ac1", "percent_agreement")


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    v = np.array(values, dtype=float)
    if not np.isfinite(v).any():
        return float("nan"), float("nan")
    return float(np.nanmean(v)), float(np.nanstd(v))


def compare(versions: Sequence[Coding], reference: Coding, ids: Sequence[str], codebook: Codebook, *,
            n_resamples: int = 1000) -> dict[str, Any]:
    """Agreement of ``versions`` (one or more codings of the same coder) with ``reference``."""
    reps = [agreement([v, reference], codebook, n_resamples=n_resamples, seed=s) for s, v in enumerate(versions)]
    rep = reps[0]
    if len(versions) > 1:
        for section in ("labels", "groups"):
            for i, row in enumerate(rep[section]):
                for stat in STATS:
                    row[f"{stat}_mean"], row[f"{stat}_sd"] = _mean_sd([r[section][i][stat] for r in reps])
    ref = reference.matrix(ids, codebook)
    mats = [v.matrix(ids, codebook) for v in versions]
    for j, row in enumerate(rep["labels"]):
        scores = [prf(ref[:, j], M[:, j]) for M in mats]
        for m in ("precision", "recall", "f1"):
            row[f"{m}_mean"], row[f"{m}_sd"] = _mean_sd([s[m] for s in scores])
        row["support"] = int(ref[:, j].sum())
    return rep
