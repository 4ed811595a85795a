"""CCDR members vs non-members: label prevalences, differences and their uncertainty.

Initiatives are nested in cities, and cities (not initiatives) joined the coalition, so every
interval and test here treats the city as the unit of resampling:

* **intervals**: a cluster bootstrap that resamples cities with replacement within each group
  (all of a drawn city's initiatives come along) — percentile intervals;
* **test**: a city-level permutation test that reshuffles membership among the member and
  non-member cities (group sizes kept) — two-sided, ``(1 + #{|d*| >= |d|}) / (R + 1)``;
* **model-based**: a GEE logit with city clusters and robust standard errors (statsmodels),
  reported as an odds ratio;
* **Fisher's exact test** on the initiative-level 2×2 table, labelled as ignoring clustering.

Labels from a model carry its errors.  :func:`prevalence` corrects them the way
prediction-powered inference does (Angelopoulos et al. 2023): the model's share, plus the mean
of ``gold − model`` on hand-coded entries whose model labels were predicted without seeing their
city (city-grouped out-of-fold), estimated within the group.  Because the correction is computed
inside every bootstrap and permutation draw, its own uncertainty is in the intervals and tests.
Entries that carry gold labels in the hybrid variant simply count with their gold labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

GROUPS = ("member", "non-member", "unknown")


@dataclass
class ComparisonData:
    """Per entry: city, its group, the labels to compare and, for the correction, gold and the
    model's out-of-fold labels where a hand coding exists.

    ``used``: the labels counted (n × L, 0/1): gold, model or hybrid.
    ``gold_mask``: entries with a hand coding; ``gold`` and ``model_oof`` are read only there.
    ``corrected``: whether model labels enter ``used`` (model or hybrid variant) and a correction applies.
    ``from_model``: entries whose ``used`` row is a model label (all entries for ``model``; the
    entries without gold for ``hybrid``); only they receive the correction.
    """

    ids: list[str]
    cities: list[str]
    group: list[str]
    labels: list[tuple[str, str]]
    used: np.ndarray
    gold_mask: np.ndarray
    gold: np.ndarray
    model_oof: np.ndarray
    from_model: np.ndarray
    corrected: bool = False
    min_gold: int = 10   # fewer hand-coded entries in a group: its correction borrows the pooled one

    def __post_init__(self) -> None:
        n, L = self.used.shape
        for name in ("gold", "model_oof"):
            if getattr(self, name).shape != (n, L):
                raise ValueError(f"{name} must have shape {(n, L)}")
        if len(self.cities) != n or len(self.group) != n or len(self.ids) != n:
            raise ValueError("ids, cities and group need one value per entry")
        bad = set(self.group) - set(GROUPS)
        if bad:
            raise ValueError(f"unknown group(s) {bad}")


@dataclass
class CityTable:
    """Sums per city (rows) of the quantities the estimators need, for one group."""

    names: list[str]
    n: np.ndarray          # entries
    used: np.ndarray       # (cities × L) sum of counted labels over entries not receiving a correction,
                           # plus model labels of entries that do
    m: np.ndarray          # entries receiving the correction (model-labelled)
    n_gold: np.ndarray     # hand-coded entries (rectifier sample)
    rect: np.ndarray       # (cities × L) sum of gold − model_oof over hand-coded entries

    def take(self, idx: np.ndarray) -> "CityTable":
        return CityTable([self.names[i] for i in idx], self.n[idx], self.used[idx], self.m[idx], self.n_gold[idx],
                         self.rect[idx])


def city_table(data: ComparisonData, group: str) -> CityTable:
    rows = [i for i, g in enumerate(data.group) if g == group]
    names = sorted({data.cities[i] for i in rows})
    pos = {c: k for k, c in enumerate(names)}
    L = data.used.shape[1]
    t = CityTable(names, np.zeros(len(names)), np.zeros((len(names), L)), np.zeros(len(names)), np.zeros(len(names)),
                  np.zeros((len(names), L)))
    for i in rows:
        k = pos[data.cities[i]]
        t.n[k] += 1
        t.used[k] += data.used[i]
        if data.corrected and data.from_model[i]:
            t.m[k] += 1
        if data.gold_mask[i]:
            t.n_gold[k] += 1
            t.rect[k] += data.gold[i] - data.model_oof[i]
    return t


def prevalence(t: CityTable, W: np.ndarray, corrected: bool, pooled_rect: np.ndarray | None = None) -> np.ndarray:
    """Share of entries with each label, for every row of city weights ``W`` (draws × cities).

    Corrected: ``(Σ used + m · Δ) / Σ n`` with ``Δ = Σ rect / Σ n_gold`` over the same weighted
    cities (or ``pooled_rect`` per draw when given: a group with too few hand-coded entries).
    """
    n = W @ t.n
    share = (W @ t.used)
    if corrected:
        if pooled_rect is None:
            ng = W @ t.n_gold
            delta = np.divide(W @ t.rect, ng[:, None], out=np.zeros((W.shape[0], t.rect.shape[1])), where=ng[:, None] > 0)
        else:
            delta = pooled_rect
        share = share + (W @ t.m)[:, None] * delta
    return np.divide(share, n[:, None], out=np.full(share.shape, np.nan), where=n[:, None] > 0)


def bootstrap_draws(n_cities: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """B bootstrap resamples of cities as multiplicity weights (B × n_cities), drawn from ``rng``
    (the seeded twin of :func:`classifier.reliability.coefficients.bootstrap_weights`)."""
    if n_cities == 0:
        return np.zeros((B, 0))
    return rng.multinomial(n_cities, np.full(n_cities, 1.0 / n_cities), size=B).astype(float)


@dataclass
class Estimates:
    point: dict[str, np.ndarray]                    # group -> (L,) prevalence
    boot: dict[str, np.ndarray]                     # group -> (B, L)
    pooled_groups: list[str] = field(default_factory=list)  # groups whose correction borrowed the pooled one


def estimate(data: ComparisonData, n_boot: int, rng: np.random.Generator) -> Estimates:
    """Point estimates and cluster-bootstrap draws of every group's prevalences."""
    tables = {g: city_table(data, g) for g in GROUPS}
    point, boot, pooled = {}, {}, []
    draws = {g: bootstrap_draws(len(t.names), n_boot, rng) for g, t in tables.items()}
    # the pooled correction (all hand-coded entries), per draw, from the same city draws
    all_rect = sum((draws[g] @ tables[g].rect for g in GROUPS), np.zeros((n_boot, data.used.shape[1])))
    all_ng = sum((draws[g] @ tables[g].n_gold for g in GROUPS), np.zeros(n_boot))
    pooled_draw = np.divide(all_rect, all_ng[:, None], out=np.zeros_like(all_rect), where=all_ng[:, None] > 0)
    tot_ng = sum(tables[g].n_gold.sum() for g in GROUPS)
    pooled_point = (sum(tables[g].rect.sum(axis=0) for g in GROUPS) / tot_ng)[None, :] if tot_ng else None
    for g, t in tables.items():
        if not t.names:
            continue
        borrow = data.corrected and t.m.sum() > 0 and t.n_gold.sum() < data.min_gold
        if borrow:
            pooled.append(g)
        one = np.ones((1, len(t.names)))
        point[g] = prevalence(t, one, data.corrected, pooled_point if borrow else None)[0]
        boot[g] = prevalence(t, draws[g], data.corrected, pooled_draw if borrow else None)
    return Estimates(point, boot, pooled)


def permutation_test(data: ComparisonData, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """Two-sided city-level permutation p-value of member − non-member, per label."""
    a, b = city_table(data, "member"), city_table(data, "non-member")
    if not a.names or not b.names:
        return np.full(data.used.shape[1], np.nan)
    both = CityTable(a.names + b.names, np.r_[a.n, b.n], np.r_[a.used, b.used], np.r_[a.m, b.m],
                     np.r_[a.n_gold, b.n_gold], np.r_[a.rect, b.rect])
    k = len(a.names)
    M = np.zeros((n_perm + 1, len(both.names)))
    M[0, :k] = 1
    for r in range(1, n_perm + 1):
        M[r, rng.permutation(len(both.names))[:k]] = 1
    pooled = None
    if data.corrected and both.n_gold.sum() and (a.n_gold.sum() < data.min_gold or b.n_gold.sum() < data.min_gold):
        pooled = both.rect.sum(axis=0)[None, :] / both.n_gold.sum()
    d = prevalence(both, M, data.corrected, pooled) - prevalence(both, 1 - M, data.corrected, pooled)
    obs = np.abs(d[0])
    return (1 + (np.abs(d[1:]) >= obs - 1e-12).sum(axis=0)) / (n_perm + 1)


def gee_logit(y: np.ndarray, member: np.ndarray, cities: Sequence[str]) -> dict[str, float] | None:
    """Odds ratio member vs non-member from a GEE logit with city clusters (robust SE)."""
    if y.min() == y.max() or len(set(cities)) < 4:
        return None
    import warnings

    import statsmodels.api as sm

    X = sm.add_constant(member.astype(float))
    codes = np.unique(np.asarray(cities), return_inverse=True)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.GEE(y.astype(float), X, groups=codes, family=sm.families.Binomial(),
                         cov_struct=sm.cov_struct.Independence()).fit()
            b, se, p = float(res.params[1]), float(res.bse[1]), float(res.pvalues[1])
        except Exception:  # perfect separation and the like: no estimate rather than a wrong one
            return None
    if not np.isfinite(b) or not np.isfinite(se) or se > 50:
        return None
    return {"odds_ratio": float(np.exp(b)), "ci": [float(np.exp(b - 1.96 * se)), float(np.exp(b + 1.96 * se))],
            "p": p}


def fisher(a: int, n_a: int, b: int, n_b: int) -> float:
    from scipy.stats import fisher_exact

    return float(fisher_exact([[a, n_a - a], [b, n_b - b]]).pvalue)


def leave_one_city_out(data: ComparisonData) -> dict[str, Any]:
    """How member − non-member moves when each member or non-member city is left out in turn."""
    a, b = city_table(data, "member"), city_table(data, "non-member")
    if len(a.names) < 2 or len(b.names) < 2:
        return {"min": None, "max": None, "most_influential": None}
    one_a, one_b = np.ones((1, len(a.names))), np.ones((1, len(b.names)))
    base = prevalence(a, one_a, data.corrected)[0] - prevalence(b, one_b, data.corrected)[0]
    rows, names = [], []
    for table, other, sign in ((a, b, 1), (b, a, -1)):
        W = 1 - np.eye(len(table.names))
        p_out = prevalence(table, W, data.corrected)
        p_other = prevalence(other, np.ones((1, len(other.names))), data.corrected)
        rows.append(sign * (p_out - p_other))
        names += table.names
    D = np.vstack(rows)
    worst = np.argmax(np.abs(D - base), axis=0)
    return {"min": D.min(axis=0), "max": D.max(axis=0), "most_influential": [names[i] for i in worst]}
