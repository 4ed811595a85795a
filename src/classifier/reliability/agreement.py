"""Per-label and per-group agreement between two or more label files (``atlas-coder agree``).

For every codebook label the codes of each file form a binary (present / absent) rating; units
missing from a file are missing data.  Statistics: units coded by ≥ 2 files, prevalence per
coder, percent agreement and Cohen's kappa (pairwise, averaged over pairs when there are more
than two files), Krippendorff's alpha (nominal, all coders) and Gwet's AC1, each with a 95%
percentile bootstrap interval over units (seeded).  A group's statistics pool all of its
unit × label decisions, resampling whole units.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from classifier.io.codebook import Codebook
from classifier.io.codes import Coding
from classifier.reliability.coefficients import (ac1, alpha_nominal, bootstrap_weights, kappa_binary, pair_table,
                                    percent_agreement, percentile_ci, value_counts)

RELIABLE, TENTATIVE = 0.800, 0.667
MIN_PAIRABLE_UNITS = 10
MIN_POSITIVE_UNITS = 5
VERDICT_RULE = (f"reliable: alpha >= {RELIABLE:.3f}; tentative: {TENTATIVE:.3f} <= alpha < {RELIABLE:.3f}; "
                f"unreliable: alpha < {TENTATIVE:.3f}; insufficient data: fewer than {MIN_PAIRABLE_UNITS} units "
                f"coded by at least two coders, fewer than {MIN_POSITIVE_UNITS} units that any coder coded present, "
                "or alpha undefined (every code identical)")


def verdict(alpha: float, n_pairable: int, n_positive: int) -> str:
    if n_pairable < MIN_PAIRABLE_UNITS or n_positive < MIN_POSITIVE_UNITS or not np.isfinite(alpha):
        return "insufficient data"
    if alpha >= RELIABLE:
        return "reliable"
    return "tentative" if alpha >= TENTATIVE else "unreliable"


def rating_matrix(codings: Sequence[Coding], units: Sequence[str], group: str, label: str) -> np.ndarray:
    """(coders × units) 0/1 codes with nan where the coder did not code the unit."""
    r = np.full((len(codings), len(units)), np.nan)
    for i, c in enumerate(codings):
        for j, u in enumerate(units):
            if u in c.codes:
                r[i, j] = float(label in c.codes[u].get(group, []))
    return r


def _stats(R: np.ndarray, unit_of_row: np.ndarray, n_units: int, W: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """Statistics for rows of binary ratings R (coders × rows); rows belong to units for resampling."""
    counts = value_counts(R, 2)
    Wr = W[:, unit_of_row]
    ones = np.ones((1, len(unit_of_row)))
    out: dict[str, Any] = {}
    pairable = counts.sum(axis=1) >= 2
    out["n_pairable"] = int(len(set(unit_of_row[pairable].tolist())))
    out["n_positive_units"] = int(len(set(unit_of_row[counts[:, 1] > 0].tolist())))
    out["prevalence"] = {n: (round(float(np.nanmean(R[i])), 4) if np.any(~np.isnan(R[i])) else None) for i, n in enumerate(names)}
    for key, fn in (("alpha", alpha_nominal), ("ac1", ac1)):
        out[key] = float(fn(counts, ones)[0])
        out[f"{key}_ci"] = percentile_ci(fn(counts, Wr))
    kappas, pas, kappa_boot, pa_boot, pairs = [], [], [], [], {}
    for (i, a), (j, b) in itertools.combinations(enumerate(names), 2):
        cells, both = pair_table(R[i], R[j])
        if not both.any():
            continue
        k, p = float(kappa_binary(cells, ones)[0]), float(percent_agreement(cells, ones)[0])
        kb, pb = kappa_binary(cells, Wr), percent_agreement(cells, Wr)
        pairs[f"{a} ~ {b}"] = {"n": int(both.sum()), "kappa": k, "kappa_ci": percentile_ci(kb),
                               "percent_agreement": p, "percent_agreement_ci": percentile_ci(pb)}
        kappas.append(k), pas.append(p), kappa_boot.append(kb), pa_boot.append(pb)
    with np.errstate(invalid="ignore"):
        out["kappa"] = float(np.mean(kappas)) if kappas else float("nan")
        out["kappa_ci"] = percentile_ci(np.mean(kappa_boot, axis=0)) if kappas else (float("nan"),) * 2
        out["percent_agreement"] = float(np.mean(pas)) if pas else float("nan")
        out["percent_agreement_ci"] = percentile_ci(np.mean(pa_boot, axis=0)) if pas else (float("nan"),) * 2
    out["pairs"] = pairs
    out["verdict"] = verdict(out["alpha"], out["n_pairable"], out["n_positive_units"])
    return out


def agreement(codings: Sequence[Coding], codebook: Codebook, *, n_resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The full agreement report as a JSON-ready dict (labels, groups, disagreements)."""
    if len(codings) < 2:
        raise ValueError("agreement needs at least two codings")
    names = [c.name for c in codings]
    units = sorted(set().union(*(c.codes.keys() for c in codings)))
    W = bootstrap_weights(len(units), n_resamples, seed)
    unit_idx = np.arange(len(units))
    labels, groups = [], []
    group_rows: dict[str, list[np.ndarray]] = {g: [] for g in codebook.group_keys}
    for g, lab in codebook.all_labels:
        R = rating_matrix(codings, units, g, lab)
        group_rows[g].append(R)
        stats = _stats(R, unit_idx, len(units), W, names)
        coded = ~np.isnan(R)
        disagree = [units[j] for j in range(len(units)) if coded[:, j].sum() >= 2 and np.nanmax(R[:, j]) != np.nanmin(R[:, j])]
        labels.append({"group": g, "label": lab, **stats, "disagreements": disagree})
    for g in codebook.group_keys:
        R = np.concatenate(group_rows[g], axis=1)
        rows_unit = np.tile(unit_idx, len(group_rows[g]))
        groups.append({"group": g, **_stats(R, rows_unit, len(units), W, names)})
    return {
        "coders": names,
        "n_units": len(units),
        "units_per_coder": {c.name: len(c.codes) for c in codings},
        "codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256},
        "bootstrap": {"resamples": n_resamples, "seed": seed, "interval": "95% percentile, units resampled"},
        "verdict_rule": VERDICT_RULE,
        "labels": labels,
        "groups": groups,
    }
