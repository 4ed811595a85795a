"""Agreement statistics checked against published worked examples and independent
implementations (the krippendorff package, scikit-learn, statsmodels, plain-loop formulas)."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa

from classifier.io.codes import Coding
from classifier.reliability.agreement import agreement, verdict
from classifier.io.codebook import load_codebook
from classifier.reliability.coefficients import (ac1, alpha_nominal, bootstrap_weights, kappa_binary, pair_table,
                                    percent_agreement, value_counts)
from conftest import run_cli

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example:
# 4 observers, 12 units, missing values; published alpha = 0.743.
KRIPP_EXAMPLE = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
])
# Cohen's kappa textbook example (50 units: yes/yes 20, yes/no 5, no/yes 10, no/no 15): kappa = 0.4.
A = np.array([1] * 25 + [0] * 25, float)
B = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15, float)


def ac1_loop(R: np.ndarray, q: int) -> float:
    """Gwet's AC1 written out unit by unit (Gwet 2014, eq. 4.x for missing ratings)."""
    units = R.shape[1]
    pa_terms, pis = [], np.zeros(q)
    n_rated = 0
    for u in range(units):
        vals = [int(v) for v in R[:, u] if not np.isnan(v)]
        if vals:
            n_rated += 1
            for k in range(q):
                pis[k] += vals.count(k) / len(vals)
        if len(vals) >= 2:
            pa_terms.append(sum(vals.count(k) * (vals.count(k) - 1) for k in range(q)) / (len(vals) * (len(vals) - 1)))
    pa = sum(pa_terms) / len(pa_terms)
    pi = pis / n_rated
    pe = sum(p * (1 - p) for p in pi) / (q - 1)
    return (pa - pe) / (1 - pe)


def test_alpha_matches_krippendorffs_published_example():
    assert alpha_nominal(value_counts(KRIPP_EXAMPLE - 1))[0] == pytest.approx(0.743, abs=5e-4)


@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_krippendorff_package_with_missing_data(seed):
    rng = np.random.default_rng(seed)
    R = (rng.random((3, 60)) < 0.35).astype(float)
    R[rng.random(R.shape) < 0.25] = nan
    ref = krippendorff.alpha(reliability_data=R, level_of_measurement="nominal")
    assert alpha_nominal(value_counts(R, 2))[0] == pytest.approx(ref, abs=1e-12)


def test_kappa_and_percent_agreement_match_textbook_and_libraries():
    cells, both = pair_table(A, B)
    assert kappa_binary(cells)[0] == pytest.approx(0.4)
    assert kappa_binary(cells)[0] == pytest.approx(cohen_kappa_score(A, B))
    table = np.array([[20, 5], [10, 15]])
    assert kappa_binary(cells)[0] == pytest.approx(cohens_kappa(table).kappa)
    assert percent_agreement(cells)[0] == pytest.approx(0.7)


def test_ac1_hand_computed_and_loop():
    # pa = 0.7; pi(yes) = (25/50 + 30/50)/2 = 0.55; pe = 2 * 0.55 * 0.45 = 0.495
    expected = (0.7 - 0.495) / (1 - 0.495)
    R = np.vstack([A, B])
    assert ac1(value_counts(R, 2))[0] == pytest.approx(expected)
    rng = np.random.default_rng(7)
    M = rng.integers(0, 3, size=(4, 40)).astype(float)
    M[rng.random(M.shape) < 0.3] = nan
    assert ac1(value_counts(M, 3))[0] == pytest.approx(ac1_loop(M, 3))


def test_bootstrap_weights_reproduce_explicit_resampling():
    rng = np.random.default_rng(3)
    R = (rng.random((2, 30)) < 0.4).astype(float)
    W = bootstrap_weights(30, 50, seed=11)
    counts = value_counts(R, 2)
    fast = alpha_nominal(counts, W)
    for b in range(5):  # the same resample done the slow way: repeat units by their weight
        idx = np.repeat(np.arange(30), W[b].astype(int))
        slow = krippendorff.alpha(reliability_data=R[:, idx], level_of_measurement="nominal")
        assert fast[b] == pytest.approx(slow, abs=1e-12)
    assert np.array_equal(W, bootstrap_weights(30, 50, seed=11))


def test_undefined_alpha_and_label_nobody_used():
    R = np.zeros((2, 20))
    assert np.isnan(alpha_nominal(value_counts(R, 2))[0])
    assert verdict(float("nan"), 20, 0) == "insufficient data"
    assert verdict(0.81, 50, 10) == "reliable" and verdict(0.7, 50, 10) == "tentative" and verdict(0.5, 50, 10) == "unreliable"
    assert verdict(0.9, 50, 4) == "insufficient data"


def _codes(pt, sec, sub=(), th=()):
    return {"policy_type": list(pt), "sector": list(sec), "governance_subcategory": list(sub), "themes": list(th)}


def test_agreement_report_on_label_files_with_missing_units():
    cb = load_codebook()
    rng = np.random.default_rng(0)
    ids = [f"u{i}" for i in range(40)]
    a, b, c = {}, {}, {}
    for i, u in enumerate(ids):
        sec = ["mobility"] if rng.random() < 0.4 else ["public_sector"]
        a[u] = _codes(["application"], sec)
        flip = rng.random() < 0.15
        b[u] = _codes(["application"], (["public_sector"] if sec == ["mobility"] else ["mobility"]) if flip else sec)
        if i % 4:  # coder c skipped a quarter of the units: missing, not disagreement
            c[u] = _codes(["application"], sec)
    rep = agreement([Coding("a", a), Coding("b", b), Coding("c", c)], cb, n_resamples=500, seed=1)
    row = next(r for r in rep["labels"] if r["label"] == "mobility")
    R = np.array([[float("mobility" in d[u]["sector"]) if u in d else nan for u in ids] for d in (a, b, c)])
    assert row["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=R, level_of_measurement="nominal"))
    kab = cohen_kappa_score(R[0], R[1])
    mask = ~np.isnan(R[2])
    kac, kbc = cohen_kappa_score(R[0, mask], R[2, mask]), cohen_kappa_score(R[1, mask], R[2, mask])
    assert row["pairs"]["a ~ b"]["kappa"] == pytest.approx(kab)
    assert row["kappa"] == pytest.approx(np.mean([kab, kac, kbc]))
    assert row["pairs"]["a ~ c"]["n"] == 30
    assert row["alpha_ci"][0] <= row["alpha"] <= row["alpha_ci"][1]
    assert sorted(row["disagreements"]) == sorted(u for j, u in enumerate(ids) if np.nanmax(R[:, j]) != np.nanmin(R[:, j]))
    unused = next(r for r in rep["labels"] if r["label"] == "law")
    assert unused["verdict"] == "insufficient data" and np.isnan(unused["alpha"]) and unused["disagreements"] == []
    # group statistics pool the unit x label decisions of the group
    g = next(r for r in rep["groups"] if r["group"] == "sector")
    Rg = np.concatenate([np.array([[float(lab in d[u]["sector"]) if u in d else nan for u in ids] for d in (a, b, c)])
                         for lab in cb.labels("sector")], axis=1)
    assert g["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=Rg, level_of_measurement="nominal"))


def test_agree_cli_on_the_corpus_coders(tmp_path):
    from classifier.paths import ANNOTATIONS_DIR

    res = run_cli("agree", str(ANNOTATIONS_DIR / "coder_a.jsonl"), str(ANNOTATIONS_DIR / "coder_b.jsonl"),
                  "--out", str(tmp_path), "--resamples", "1000")
    assert res.returncode == 0, res.stderr
    rep = json.loads((tmp_path / "agreement.json").read_text())
    assert rep["coders"] == ["coder_a", "coder_b"] and rep["bootstrap"]["resamples"] == 1000
    assert {r["label"] for r in rep["labels"]} == {lab for _, lab in load_codebook().all_labels}
    assert "Krippendorff's alpha" in (tmp_path / "agreement.md").read_text()
    assert (tmp_path / "disagreements.csv").read_text().startswith("group,label,id")
