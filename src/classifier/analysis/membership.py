"""The membership comparison as a report: every row of the study's table, with its uncertainty.

:func:`membership_report` takes a :class:`~classifier.analysis.compare.ComparisonData` and returns
JSON-ready rows: cities, initiatives, initiatives per city, then every label, each with members
n (%), non-members n (%), unknown n (%), the member − non-member difference in percentage points
with a cluster-bootstrap interval, the city-level permutation p, the GEE odds ratio, Fisher's p
(ignores clustering) and the leave-one-city-out range.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from classifier.analysis.compare import (GROUPS, ComparisonData, bootstrap_draws, estimate, fisher, gee_logit,
                                         leave_one_city_out, permutation_test)

#: Figures of the published comparison on its own sample (161 initiatives, 30 cities), from
#: ../shared/codebook.md: never the same sample as the project's corpus.
PUBLISHED = {
    "source": "the published hand-coded comparison (161 initiatives from 30 cities: 15 CCDR members, 15 non-members)",
    "cities": {"member": 15, "non-member": 15},
    "initiatives": {"member": 93, "non-member": 68},
    "labels": {"application": (56, 56), "regulatory": (53, 27), "governance_of_ai": (43, 13),
               "guidelines_standards": (27, 8)},
}


def _ci(values: np.ndarray, level: float = 0.95) -> list[float | None]:
    v = values[np.isfinite(values)]
    if not len(v):
        return [None, None]
    lo, hi = np.percentile(v, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return [float(lo), float(hi)]


def membership_report(data: ComparisonData, *, n_boot: int = 2000, n_perm: int = 2000, seed: int = 0,
                      agreement: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The comparison table as data.  ``agreement``: label → model-vs-gold verdict (reliable,
    tentative, unreliable, ...), used to flag labels whose model labels cannot carry a finding."""
    rng = np.random.default_rng(seed)
    est = estimate(data, n_boot, rng)
    p_perm = permutation_test(data, n_perm, rng)
    loo = leave_one_city_out(data)
    grp = np.asarray(data.group)
    cities = np.asarray(data.cities)
    counts = {g: int((grp == g).sum()) for g in GROUPS}
    n_cities = {g: len(set(cities[grp == g])) for g in GROUPS}
    both = (grp == "member") | (grp == "non-member")
    member = (grp == "member").astype(int)

    # initiatives per city: mean over cities, bootstrap over cities
    per_city = {}
    for g in GROUPS:
        sizes = np.array([(cities[grp == g] == c).sum() for c in sorted(set(cities[grp == g]))], dtype=float)
        per_city[g] = sizes
    boot_pc = {}
    for g, sizes in per_city.items():
        if len(sizes):
            W = bootstrap_draws(len(sizes), n_boot, rng)
            boot_pc[g] = W @ sizes / len(sizes)
    rows: list[dict[str, Any]] = [
        {"kind": "count", "key": "cities", "label": "cities", **{g: {"n": n_cities[g]} for g in GROUPS}},
        {"kind": "count", "key": "initiatives", "label": "initiatives", **{g: {"n": counts[g]} for g in GROUPS}},
    ]
    pc_row: dict[str, Any] = {"kind": "mean", "key": "per_city", "label": "initiatives per city"}
    for g in GROUPS:
        pc_row[g] = {"mean": float(per_city[g].mean()) if len(per_city[g]) else None}
    if "member" in boot_pc and "non-member" in boot_pc:
        pc_row["diff"] = float(per_city["member"].mean() - per_city["non-member"].mean())
        pc_row["diff_ci"] = _ci(boot_pc["member"] - boot_pc["non-member"])
        pooled = np.r_[per_city["member"], per_city["non-member"]]
        k = len(per_city["member"])
        perm = [pooled[idx[:k]].mean() - pooled[idx[k:]].mean() for idx in (rng.permutation(len(pooled)) for _ in range(n_perm))]
        pc_row["p_perm"] = float((1 + np.sum(np.abs(perm) >= abs(pc_row["diff"]) - 1e-12)) / (n_perm + 1))
    rows.append(pc_row)

    for j, (group_key, lab) in enumerate(data.labels):
        row: dict[str, Any] = {"kind": "label", "group": group_key, "key": lab, "label": lab}
        for g in GROUPS:
            if g in est.point:
                raw_n = int(data.used[grp == g, j].sum())
                row[g] = {"n": raw_n, "share_raw": raw_n / counts[g], "share": float(est.point[g][j]),
                          "ci": _ci(est.boot[g][:, j])}
            else:
                row[g] = None
        if row["member"] and row["non-member"]:
            row["diff"] = row["member"]["share"] - row["non-member"]["share"]
            row["diff_raw"] = row["member"]["share_raw"] - row["non-member"]["share_raw"]
            row["diff_ci"] = _ci(est.boot["member"][:, j] - est.boot["non-member"][:, j])
            row["p_perm"] = float(p_perm[j])
            row["gee"] = gee_logit(data.used[both, j], member[both], cities[both])
            row["fisher_p"] = fisher(row["member"]["n"], counts["member"], row["non-member"]["n"], counts["non-member"])
            if loo["min"] is not None:
                row["loo"] = {"min": float(loo["min"][j]), "max": float(loo["max"][j]),
                              "most_influential": loo["most_influential"][j],
                              "sign_stable": bool(np.sign(loo["min"][j]) == np.sign(loo["max"][j]) != 0)}
        verdict = (agreement or {}).get(lab)
        row["agreement"] = verdict
        row["flag"] = bool(data.corrected and verdict is not None and verdict not in ("reliable", "tentative"))
        rows.append(row)
    return {"rows": rows, "n_boot": n_boot, "n_perm": n_perm, "seed": seed, "corrected": data.corrected,
            "pooled_correction_groups": est.pooled_groups, "published": PUBLISHED,
            "n_gold": int(data.gold_mask.sum()), "n_model_labelled": int(data.from_model.sum()) if data.corrected else 0}
