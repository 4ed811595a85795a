"""Cross-validation and the review queue on synthetic arrays (no embedding model)."""

import numpy as np

from classifier.io.codebook import load_codebook
from classifier.io.codes import Coding
from classifier.io.entries import Entry
from classifier.model.classifier import AtlasClassifier
from classifier.model.cv import out_of_fold
from classifier.model.features import Features
from classifier.reliability.review import review_queue

CB = load_codebook()
L = len(CB.all_labels)


def _data(n=60, seed=0):
    """Separable data: label j is present when feature j is positive."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, L))
    Y = (X > 0).astype(int)
    return X + np.where(Y, 1.0, -1.0), Y  # a margin of at least 1 around zero


def test_every_entry_is_predicted_by_a_model_that_never_saw_it():
    X, Y = _data()
    cities = [f"city{k % 12}" for k in range(len(X))]
    run = out_of_fold(AtlasClassifier(CB, cv_folds=2), X, Y, cities, seed=1, n_folds=3, progress=False)
    held_out = np.concatenate([idx for idx, _ in run.fold_models])
    assert sorted(held_out.tolist()) == list(range(len(X)))
    for idx, _ in run.fold_models:  # no city on both sides of a fold
        train = np.setdiff1d(np.arange(len(X)), idx)
        assert not {cities[i] for i in idx} & {cities[i] for i in train}
    for idx, model in run.fold_models:
        np.testing.assert_allclose(run.proba[idx], model.predict_proba(X[idx]))
    assert ((run.proba >= 0.5) == Y).mean() > 0.8  # separable: the out-of-fold model mostly gets it right


def test_review_queue_puts_a_miscoded_unit_first():
    X, Y = _data(seed=3)
    j = CB.all_labels.index(("themes", "transparency"))
    i = int(np.argmax(X[:, j]))  # the entry with the clearest signal for transparency...
    Y_gold = Y.copy()
    Y_gold[i, j] = 0  # ...coded without it by mistake
    ids = [f"e{k}" for k in range(len(X))]
    feats = Features(ids, X, [[f"sentence of {u}"] for u in ids], [x[None, :] for x in X], len(ids), "mean", "m", "1")
    entries = [Entry(u, "City", "Country", f"title {u}", "text") for u in ids]
    runs = [out_of_fold(AtlasClassifier(CB, cv_folds=2), X, Y_gold, None, seed=s, n_folds=3, progress=False) for s in (1, 2)]
    coders = {"coder_a": Coding.from_matrix("coder_a", ids, Y, CB)}
    queue = review_queue(entries, feats, Y_gold, runs, coders, CB)
    top = queue[0]
    assert (top["id"], top["label"], top["gold"], top["model_says"]) == (ids[i], "transparency", 0, "present")
    assert top["coder_a"] == 1 and top["coder_b"] == ""
    assert [r["rank"] for r in queue] == list(range(1, len(queue) + 1))
