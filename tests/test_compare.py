"""The membership comparison: counts, cluster bootstrap and permutation test on known cases,
the model-error correction on simulated corpora, and the CLI's outputs and errors."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from classifier.analysis.compare import ComparisonData, estimate, permutation_test
from classifier.analysis.membership import membership_report
from classifier.cli import main
from classifier.io.cities import read_cities
from classifier.io.codebook import load_codebook
from classifier.io.codes import read_labels
from classifier.io.entries import read_entries
from classifier.paths import CORPUS_DIR, DATA_DIR

LABELS = [("g", "a")]


def _data(cities, groups, y, *, f=None, gold_mask=None, f_oof=None, from_model=None, corrected=False):
    n = len(cities)
    y = np.asarray(y).reshape(n, -1)
    f = y if f is None else np.asarray(f).reshape(n, -1)
    gm = np.ones(n, dtype=bool) if gold_mask is None else np.asarray(gold_mask)
    oof = f if f_oof is None else np.asarray(f_oof).reshape(n, -1)
    fm = np.zeros(n, dtype=bool) if from_model is None else np.asarray(from_model)
    used = np.where(fm[:, None], f, y)
    return ComparisonData([f"e{i}" for i in range(n)], list(cities), list(groups), LABELS * y.shape[1] if y.shape[1] == 1
                          else [("g", f"l{j}") for j in range(y.shape[1])], used, gm, y, oof, fm, corrected=corrected)


def _two_groups(rng, n_cities=20, per_city=8, p_member=0.4, p_non=0.4, spread=0.0):
    cities, groups, y = [], [], []
    for c in range(2 * n_cities):
        member = c < n_cities
        p = np.clip((p_member if member else p_non) + rng.normal(0, spread), 0.01, 0.99)
        for _ in range(per_city):
            cities.append(f"c{c}")
            groups.append("member" if member else "non-member")
            y.append(int(rng.random() < p))
    return cities, groups, np.array(y)


def test_identical_groups_give_no_difference_and_large_p():
    rng = np.random.default_rng(1)
    covered = large_p = 0
    diffs = []
    for rep_no in range(10):
        cities, groups, y = _two_groups(rng, p_member=0.3, p_non=0.3)
        rep = membership_report(_data(cities, groups, y), n_boot=400, n_perm=400, seed=rep_no)
        row = next(r for r in rep["rows"] if r["kind"] == "label")
        covered += row["diff_ci"][0] < 0 < row["diff_ci"][1]
        large_p += row["p_perm"] > 0.05
        diffs.append(row["diff"])
    assert covered >= 8 and large_p >= 8
    assert abs(np.mean(diffs)) < 0.03


def test_planted_difference_is_found():
    rng = np.random.default_rng(3)
    cities, groups, y = _two_groups(rng, p_member=0.7, p_non=0.2)
    rep = membership_report(_data(cities, groups, y), n_boot=500, n_perm=500, seed=2)
    row = next(r for r in rep["rows"] if r["kind"] == "label")
    assert row["diff_ci"][0] > 0.3 and row["p_perm"] < 0.01
    assert row["gee"]["odds_ratio"] > 3 and row["gee"]["p"] < 0.01


def test_permutation_keeps_cities_together():
    """One member city with many positives: the city-level test must not call that a finding,
    while Fisher's test (ignoring clustering) does."""
    cities = ["big"] * 40 + [f"m{i}" for i in range(4) for _ in range(5)] + [f"n{i}" for i in range(5) for _ in range(8)]
    groups = ["member"] * 60 + ["non-member"] * 40
    y = [1] * 30 + [0] * 10 + [0] * 20 + [int(i % 5 == 0) for i in range(40)]
    rep = membership_report(_data(cities, groups, y), n_boot=500, n_perm=999, seed=0)
    row = next(r for r in rep["rows"] if r["kind"] == "label")
    assert row["fisher_p"] < 0.01
    assert row["p_perm"] > 0.1
    assert row["loo"]["most_influential"] == "big" and not row["loo"]["sign_stable"]


def _simulated_corpus(rng, sens=0.6, spec=0.95, gold_share=0.3):
    """Entries in 30+30 cities; true labels with city heterogeneity; a model that misses 40% of
    positives; a random share of entries hand-coded (their model labels are the same noisy ones)."""
    cities, groups, y = _two_groups(rng, n_cities=30, per_city=6, p_member=0.5, p_non=0.3, spread=0.1)
    f = np.where(y == 1, rng.random(len(y)) < sens, rng.random(len(y)) > spec).astype(int)
    gold = rng.random(len(y)) < gold_share
    return cities, groups, y, f, gold


def test_corrected_intervals_cover_the_truth_and_uncorrected_ones_do_not():
    """Over repeated simulated corpora, the corrected 95% intervals of the member share (true 0.5)
    and of the member − non-member difference (true 0.2) cover the truth about 95% of the time;
    the uncorrected intervals of the share almost never do (the model misses 40% of positives)."""
    rng = np.random.default_rng(7)
    hits = Counter()
    runs = 120
    for _ in range(runs):
        cities, groups, y, f, gold = _simulated_corpus(rng)
        everyone = np.ones(len(y), dtype=bool)
        for corrected in (True, False):
            data = _data(cities, groups, y, f=f, gold_mask=gold, f_oof=f, from_model=everyone, corrected=corrected)
            est = estimate(data, 400, np.random.default_rng(rng.integers(1 << 30)))
            share = np.percentile(est.boot["member"][:, 0], [2.5, 97.5])
            diff = np.percentile(est.boot["member"][:, 0] - est.boot["non-member"][:, 0], [2.5, 97.5])
            hits[("share", corrected)] += share[0] <= 0.5 <= share[1]
            hits[("diff", corrected)] += diff[0] <= 0.2 <= diff[1]
    assert 0.88 <= hits[("share", True)] / runs <= 1.0
    assert 0.88 <= hits[("diff", True)] / runs <= 1.0
    assert hits[("share", False)] / runs < 0.1
    assert hits[("diff", False)] < hits[("diff", True)]


def test_corrected_prevalence_matches_ppi_reference():
    """Without clustering, one group, model labels for every entry: the corrected share is the
    prediction-powered point estimate of ppi-python (lambda = 1)."""
    from ppi_py import ppi_mean_pointestimate

    rng = np.random.default_rng(11)
    n = 300
    y = (rng.random(n) < 0.4).astype(int)
    f = np.where(y == 1, rng.random(n) < 0.7, rng.random(n) < 0.1).astype(int)
    gold = rng.random(n) < 0.25
    cities = [f"c{i}" for i in range(n)]
    data = _data(cities, ["member"] * n, y, f=f, gold_mask=gold, f_oof=f, from_model=np.ones(n, dtype=bool),
                 corrected=True)
    est = estimate(data, 10, np.random.default_rng(0))
    ref = ppi_mean_pointestimate(y[gold].astype(float), f[gold].astype(float), f.astype(float), lam=1)
    assert est.point["member"][0] == pytest.approx(float(np.ravel(ref)[0]))


def test_permutation_of_corrected_estimates_runs_and_is_valid_under_the_null():
    rng = np.random.default_rng(5)
    small = 0
    for _ in range(40):
        cities, groups, y = _two_groups(rng, n_cities=10, per_city=6, p_member=0.4, p_non=0.4)
        f = np.where(y == 1, rng.random(len(y)) < 0.7, rng.random(len(y)) < 0.1).astype(int)
        gold = rng.random(len(y)) < 0.4
        data = _data(cities, groups, y, f=f, gold_mask=gold, f_oof=f, from_model=~gold, corrected=True)
        small += permutation_test(data, 199, rng)[0] < 0.05
    assert small <= 6  # about 5% of 40 under the null


# ---------------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "hand"
    assert main(["compare", "--out", str(out), "--no-tracking", "--resamples", "200", "--permutations", "200"]) == 0
    return out


def test_counts_match_the_label_files(hand):
    cb = load_codebook()
    rep = json.loads((hand / "compare.json").read_text())
    cities = read_cities(CORPUS_DIR / "cities.csv")
    entries = read_entries(CORPUS_DIR / "initiatives.jsonl", documents_root=DATA_DIR)
    gold = read_labels(DATA_DIR / "annotations" / "gold.jsonl", cb)
    status = {e.id: {True: "member", False: "non-member", None: "unknown"}[cities[e.city].ccdr_member] for e in entries}
    rows = {r["key"]: r for r in rep["rows"]}
    n = Counter(status[u] for u in gold)
    assert {g: rows["initiatives"][g]["n"] for g in n} == dict(n)
    assert rows["cities"]["member"]["n"] == len({e.city for e in entries if status[e.id] == "member" and e.id in gold})
    for g, lab in cb.all_labels:
        want = Counter(status[u] for u, r in gold.items() if lab in r.codes[g])
        for grp in ("member", "non-member", "unknown"):
            assert rows[lab][grp]["n"] == want[grp], (lab, grp)
            assert rows[lab][grp]["share"] == pytest.approx(want[grp] / n[grp])


def test_outputs_in_every_format(hand):
    for name in ("compare.md", "compare.csv", "compare.tex", "compare.html", "compare.json"):
        assert (hand / name).stat().st_size > 0
    tex = (hand / "compare.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "governance\\_of\\_ai" in tex
    assert "95\\% cluster-bootstrap" in tex and "textbackslash" not in tex  # escaped once, not twice
    md = (hand / "compare.md").read_text()
    assert "ignores clustering" in md and "different sample" in md
    html = (hand / "compare.html").read_text()
    assert "data:image/png;base64," in html and "published study" in html


def test_assume_is_a_labelled_scenario(tmp_path):
    cities = read_cities(CORPUS_DIR / "cities.csv")
    unknown = next(c for c, v in cities.items() if v.ccdr_member is None)
    out = tmp_path / "s"
    assert main(["compare", "--out", str(out), "--no-tracking", "--resamples", "50", "--permutations", "50",
                 "--assume", f"{unknown}=yes"]) == 0
    md = (out / "compare.md").read_text()
    assert f"scenario: {unknown} counted as a member" in md


def test_bad_input_is_one_line_with_file_line_field_and_writes_nothing(tmp_path, capsys):
    src = (CORPUS_DIR / "cities.csv").read_text().splitlines()
    header, rows = src[0], src[1:]
    bad_cities = tmp_path / "cities.csv"
    bad_cities.write_text("\n".join([header] + rows[1:]) + "\n")  # the first city is missing
    missing_city = rows[0].split(",")[0]
    out = tmp_path / "out"
    assert main(["compare", "--cities", str(bad_cities), "--out", str(out), "--no-tracking"]) == 2
    err = capsys.readouterr().err
    assert "initiatives.jsonl" in err and "field 'city'" in err and missing_city in err and "line" in err
    assert not out.exists() or not any(out.iterdir())

    odd = tmp_path / "odd.csv"
    odd.write_text("\n".join([header] + [rows[0].replace(",yes,", ",maybe,", 1).replace(",no,", ",maybe,", 1)
                                          .replace(",unknown,", ",maybe,", 1)] + rows[1:]) + "\n")
    assert main(["compare", "--cities", str(odd), "--out", str(out), "--no-tracking"]) == 2
    err = capsys.readouterr().err
    assert "odd.csv" in err and "line 2" in err and "ccdr_member" in err

    gold = tmp_path / "gold.jsonl"
    lines = (DATA_DIR / "annotations" / "gold.jsonl").read_text().splitlines()
    extra = json.loads(lines[0])
    extra["id"] = "no-such-entry"
    gold.write_text("\n".join(lines + [json.dumps(extra)]) + "\n")
    assert main(["compare", "--gold", str(gold), "--out", str(out), "--no-tracking"]) == 2
    err = capsys.readouterr().err
    assert f"line {len(lines) + 1}" in err and "field 'id'" in err and "no-such-entry" in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
