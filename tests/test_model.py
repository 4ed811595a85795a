"""Unit tests of the classifier's decision logic on small numeric arrays."""

import numpy as np

from classifier.io.codebook import load_codebook
from classifier.model.classifier import AtlasClassifier, best_threshold


def _fitted_stub(cb):
    m = AtlasClassifier(codebook=cb)
    L = len(cb.all_labels)
    m.coef_, m.intercept_ = np.zeros((L, 2)), np.zeros(L)
    m.thresholds_ = np.full(L, 0.5)
    m.calibration_ = np.tile([1.0, 0.0], (L, 1))
    m.feature_set_ = np.zeros(L, dtype=int)
    return m


def test_best_threshold_maximises_f1():
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.35, 0.4, 0.8, 0.9])
    t = best_threshold(y, p, np.round(np.arange(0.05, 0.96, 0.01), 2))
    assert 0.35 < t <= 0.4  # the only cut that separates perfectly


def test_constraints_force_one_policy_type_and_sector_and_drop_orphan_subcategories():
    cb = load_codebook()
    m = _fitted_stub(cb)
    labels = cb.all_labels
    P = np.full((1, len(labels)), 0.1)
    P[0, labels.index(("policy_type", "regulatory"))] = 0.4
    P[0, labels.index(("sector", "mobility"))] = 0.3
    P[0, labels.index(("governance_subcategory", "law"))] = 0.9
    pred = m.predict(None, proba=P)[0]
    chosen = {labels[j] for j in np.flatnonzero(pred)}
    assert chosen == {("policy_type", "regulatory"), ("sector", "mobility")}


def test_subcategory_kept_with_governance_of_ai():
    cb = load_codebook()
    m = _fitted_stub(cb)
    labels = cb.all_labels
    P = np.full((1, len(labels)), 0.1)
    for key in [("policy_type", "regulatory"), ("sector", "governance_of_ai"), ("governance_subcategory", "law")]:
        P[0, labels.index(key)] = 0.9
    chosen = {labels[j] for j in np.flatnonzero(m.predict(None, proba=P)[0])}
    assert ("governance_subcategory", "law") in chosen


def test_best_threshold_f1_agrees_with_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1)
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    t = best_threshold(y, p, grid)
    scores = {round(g, 2): f1_score(y, p >= g) for g in grid}
    assert scores[round(t, 2)] == max(scores.values())


def test_label_keeps_its_keyword_rule_when_the_rule_beats_the_learned_candidates():
    """label_blocks: a label whose own cue column is the signal chooses its own columns alone,
    and the fitted model puts weight only there (one linear map over all columns)."""
    cb = load_codebook()
    L = len(cb.all_labels)
    rng = np.random.default_rng(0)
    n, d = 120, 30
    Y = rng.integers(0, 2, (n, L))
    Y[:, 0] = 1  # policy_type needs at least one label; keep the first constant-ish but valid
    Y[:5, 0] = 0
    emb = rng.normal(size=(n, d))                    # noise: carries no label
    cues = Y.astype(float)                          # each label's own cue column is its label
    defs = rng.normal(size=(n, L))
    X = np.hstack([emb, cues, defs])
    cities = [f"c{i % 12}" for i in range(n)]
    m = AtlasClassifier(codebook=cb, feature_sets=(((0, d),), ((0, d + 2 * L),)), label_blocks=(d, d + L),
                        random_state=1).fit(X, Y, groups=cities)
    j = 5
    assert m.feature_set_[j] in (2, 3)               # own columns, alone or with the vectors
    if m.feature_set_[j] == 2:
        assert set(np.flatnonzero(m.coef_[j])) <= {d + j, d + L + j}
    assert (m.predict(X)[:, j] == Y[:, j]).mean() > 0.95
    clone = AtlasClassifier.from_dict(m.to_dict(), cb)
    assert clone.label_blocks == (d, d + L)
    assert np.allclose(clone.predict_proba(X), m.predict_proba(X))
