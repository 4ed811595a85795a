"""The bundle on small synthetic data: round trip, content hash, field-by-field checks."""

import json
import math

import numpy as np
import pytest

from classifier.errors import InputError
from classifier.io.codebook import load_codebook
from classifier.model.bundle import load_bundle_dir, save_bundle
from classifier.model.classifier import AtlasClassifier

CB = load_codebook()


@pytest.fixture(scope="module")
def tiny_model():
    rng = np.random.default_rng(0)
    L = len(CB.all_labels)
    X = rng.normal(size=(40, 6))
    Y = (X @ rng.normal(size=(6, L)) > 0.5).astype(int)
    model = AtlasClassifier(codebook=CB, cv_folds=3).fit(X, Y)
    meta = {"codebook": {"sha256": CB.sha256}, "embedding": {"model": "m", "version": "1", "dim": 6, "pooling": "mean"},
            "fingerprint": "f" * 64, "training_data": {"n_units": 40}}
    return model, meta, X


def test_round_trip_gives_the_same_predictions(tiny_model, tmp_path):
    model, meta, X = tiny_model
    save_bundle(tmp_path / "b", model, meta)
    loaded = load_bundle_dir(tmp_path / "b")
    np.testing.assert_array_equal(loaded.classifier.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.classifier.predict(X), model.predict(X))
    assert len(loaded.content_sha256) == 64


def _damage(tmp_path, tiny_model, edit):
    model, meta, _ = tiny_model
    save_bundle(tmp_path / "b", model, meta)
    path = tmp_path / "b" / "model.json"
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("edit, field", [
    (lambda d: d.pop("embedding"), "embedding"),
    (lambda d: d["classifier"]["labels"][0]["coef"].pop(), "classifier.labels[0].coef"),
    (lambda d: d["classifier"]["labels"][1].__setitem__("intercept", "NaN"), "classifier.labels[1]"),
    (lambda d: d["classifier"]["labels"][1].__setitem__("threshold", math.inf), "classifier.labels[1]"),
    (lambda d: d["classifier"]["labels"][2]["coef"].__setitem__(0, 123.0), "content_sha256"),
    (lambda d: d.__setitem__("format", "other/9"), "format"),
])
def test_damaged_bundle_is_refused_naming_the_field(tmp_path, tiny_model, edit, field):
    path = _damage(tmp_path, tiny_model, edit)
    with pytest.raises(InputError) as err:
        load_bundle_dir(path.parent)
    assert err.value.field == field and str(path) in str(err.value)


def test_bundle_never_contains_nan(tmp_path, tiny_model):
    model, meta, _ = tiny_model
    bad = {**meta, "cv_metrics": {"f1": float("nan")}}
    with pytest.raises(ValueError):
        save_bundle(tmp_path / "b", model, bad)
    assert not (tmp_path / "b").exists(), "nothing half-written"
