"""Agreement coefficients for nominal codes, with missing data and unit-resampling bootstraps.

All coefficients are computed from per-unit sufficient statistics, so a bootstrap resample is
just a vector of unit weights (how often each unit was drawn): thousands of resamples cost one
matrix product instead of thousands of loops.

Conventions
-----------
* ``ratings`` is a (coders × units) float array of category codes (0, 1, … for nominal values)
  with ``np.nan`` where a coder did not code a unit (missing data, never a disagreement).
* Krippendorff's alpha (nominal) uses all coders; units with fewer than two codes are not
  pairable and drop out (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").
* Gwet's AC1 is the multi-rater form with missing ratings (Gwet 2014, Handbook of Inter-Rater
  Reliability, ch. 4): observed agreement over units with ≥ 2 ratings, chance agreement from
  category prevalences averaged over units with ≥ 1 rating.
* Cohen's kappa and percent agreement are pairwise, on units both coders coded.
Undefined values (e.g. alpha when every code is the same) are returned as ``nan``.
"""

from __future__ import annotations

import numpy as np


def value_counts(ratings: np.ndarray, categories: int | None = None) -> np.ndarray:
    """Units × categories matrix: how many coders gave each category to each unit."""
    r = np.asarray(ratings, dtype=float)
    if categories is None:
        finite = r[~np.isnan(r)]
        categories = int(finite.max()) + 1 if finite.size else 1
    counts = np.zeros((r.shape[1], categories))
    for c in range(categories):
        counts[:, c] = np.sum(r == c, axis=0)
    return counts


def _weights(n_units: int, weights: np.ndarray | None) -> np.ndarray:
    """(B × units) weights; a single row of ones for the plain estimate."""
    if weights is None:
        return np.ones((1, n_units))
    return np.atleast_2d(np.asarray(weights, dtype=float))


def alpha_nominal(counts: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Krippendorff's alpha for nominal data from unit value counts; one value per weight row."""
    counts = np.asarray(counts, dtype=float)
    W = _weights(len(counts), weights)
    m = counts.sum(axis=1)
    pairable = m >= 2
    c, mu = counts[pairable], m[pairable]
    # disagreeing pairs within each unit, scaled by 1/(m_u - 1): sum over c != k of n_uc n_uk/(m_u-1)
    d_unit = (mu**2 - np.sum(c**2, axis=1)) / (mu - 1)
    Wp = W[:, pairable]
    n_c = Wp @ c                       # (B × categories) pairable values per category
    n = n_c.sum(axis=1)
    d_o = Wp @ d_unit
    d_e = n**2 - np.sum(n_c**2, axis=1)  # sum over c != k of n_c n_k
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - (n - 1) * d_o / d_e
    out[d_e <= 0] = np.nan
    return out


def ac1(counts: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Gwet's AC1 (multi-rater, missing ratings allowed) from unit value counts."""
    counts = np.asarray(counts, dtype=float)
    q = counts.shape[1]
    W = _weights(len(counts), weights)
    m = counts.sum(axis=1)
    rated, pairable = m >= 1, m >= 2
    pa_unit = np.zeros(len(counts))
    pa_unit[pairable] = np.sum(counts[pairable] * (counts[pairable] - 1), axis=1) / (m[pairable] * (m[pairable] - 1))
    share = np.zeros_like(counts)
    share[rated] = counts[rated] / m[rated, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = (W @ (pa_unit * pairable)) / (W @ pairable.astype(float))
        pi = (W @ share) / (W @ rated.astype(float))[:, None]
        pe = np.sum(pi * (1 - pi), axis=1) / (q - 1) if q > 1 else np.zeros(len(W))
        out = (pa - pe) / (1 - pe)
    out[~np.isfinite(out)] = np.nan
    return out


def pair_table(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit 2×2 indicator columns (a1b1, a1b0, a0b1, a0b0) for binary codes, and a mask of
    units both coders coded."""
    both = ~np.isnan(a) & ~np.isnan(b)
    a1, b1 = (a == 1) & both, (b == 1) & both
    a0, b0 = (a == 0) & both, (b == 0) & both
    cells = np.stack([a1 & b1, a1 & b0, a0 & b1, a0 & b0], axis=1).astype(float)
    return cells, both


def kappa_binary(cells: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Cohen's kappa for two coders and binary codes from :func:`pair_table` cells."""
    W = _weights(len(cells), weights)
    t = W @ cells  # (B × 4)
    n = t.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (t[:, 0] + t[:, 3]) / n
        pa1, pb1 = (t[:, 0] + t[:, 1]) / n, (t[:, 0] + t[:, 2]) / n
        pe = pa1 * pb1 + (1 - pa1) * (1 - pb1)
        out = (po - pe) / (1 - pe)
    out[~np.isfinite(out)] = np.nan
    return out


def percent_agreement(cells: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    W = _weights(len(cells), weights)
    t = W @ cells
    with np.errstate(divide="ignore", invalid="ignore"):
        return (t[:, 0] + t[:, 3]) / t.sum(axis=1)


def bootstrap_weights(n_units: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples × n_units) multiplicities of a unit bootstrap (sampling with replacement)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_resamples).astype(float)


def percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the finite bootstrap values (nan, nan when there are none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(v, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (float(lo), float(hi))
