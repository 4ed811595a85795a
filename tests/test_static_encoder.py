"""The static-embedding backend of SentenceEncoder (``static:<folder>``), on the real distilled
artifact in models/static-minilm (model2vec, no torch), with the network refused."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from classifier.model.embed import SentenceEncoder, encode_unique
from classifier.paths import MODELS_DIR, PROJECT_ROOT
from conftest import no_network

STATIC = "static:models/static-minilm"
SENTENCES = [
    "A cat sat on the mat.",
    "A kitten was lying on the rug.",
    "The city council approved the budget for new bus lanes.",
    "Municipal authorities use machine learning to detect potholes in road images.",
    "Computer vision finds damaged streets from photos taken by city vehicles.",
]


@pytest.fixture(scope="module")
def static_encoder() -> SentenceEncoder:
    return SentenceEncoder(STATIC)


def test_vectors_are_unit_length_float32(static_encoder):
    with no_network():
        V = static_encoder.encode(SENTENCES)
    assert V.dtype == np.float32
    assert V.shape == (len(SENTENCES), static_encoder.dim) == (len(SENTENCES), 256)
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-6)
    assert static_encoder.encode([]).shape == (0, 256)


def test_deterministic_across_calls_instances_and_batching(static_encoder):
    with no_network():
        a = static_encoder.encode(SENTENCES)
        b = static_encoder.encode(SENTENCES)
        c = SentenceEncoder(f"static:{MODELS_DIR / 'static-minilm'}", batch_size=2).encode(SENTENCES)
        d = static_encoder.encode(SENTENCES[::-1])[::-1]
    assert np.array_equal(a, b)
    assert np.array_equal(a, c)  # absolute path, other batch size: same bits
    assert np.array_equal(a, d)  # a row does not depend on its neighbours


def test_similar_sentences_are_closer_than_unrelated(static_encoder):
    with no_network():
        cat, kitten, budget, pothole, streets = static_encoder.encode(SENTENCES)
    assert float(cat @ kitten) > float(cat @ budget) + 0.2
    assert float(cat @ kitten) > float(cat @ pothole) + 0.2
    assert float(pothole @ streets) > float(pothole @ cat) + 0.2
    assert float(pothole @ streets) > float(budget @ cat)


def test_version_is_a_folder_hash_distinct_from_minilm(static_encoder):
    version = static_encoder.version
    assert version.startswith("sha256:") and len(version) == len("sha256:") + 16
    minilm = SentenceEncoder()  # the packaged transformer (its version is the package's; no load)
    assert not minilm.model.startswith("static:")
    assert version != minilm.version
    # the same folder by absolute path is the same model
    assert SentenceEncoder(f"static:{PROJECT_ROOT / 'models' / 'static-minilm'}").version == version


def test_version_follows_the_files_not_the_readme(tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(MODELS_DIR / "static-minilm", copy)
    original = SentenceEncoder(f"static:{copy}").version
    (copy / "README.md").write_text("edited documentation\n", encoding="utf-8")
    assert SentenceEncoder(f"static:{copy}").version == original
    config = (copy / "config.json").read_text(encoding="utf-8")
    (copy / "config.json").write_text(config + "\n", encoding="utf-8")
    assert SentenceEncoder(f"static:{copy}").version != original


def test_cache_round_trip_is_bit_identical(static_encoder, tmp_path):
    lists = [SENTENCES[:3], SENTENCES[2:]]
    with no_network():
        first, n = encode_unique(static_encoder, lists, cache_dir=tmp_path)
        assert n == len(SENTENCES) and len(list(tmp_path.glob("*.npy"))) == 1
        again, _ = encode_unique(SentenceEncoder(STATIC), lists, cache_dir=tmp_path)
    for x, y in zip(first, again):
        assert np.array_equal(x, y)


def test_missing_folder_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-model"
    enc = SentenceEncoder(f"static:{missing}")  # construction does not touch the folder
    for use in (lambda: enc.version, lambda: enc.encode(["a sentence"]), lambda: enc.dim):
        with pytest.raises(FileNotFoundError, match="does not exist") as info:
            use()
        assert str(missing) in str(info.value)
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        SentenceEncoder("static:models/does-not-exist").encode(["x"])
    assert str(PROJECT_ROOT / "models" / "does-not-exist") in str(info.value)


def test_folder_without_model_files_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="not a model2vec folder.*model.safetensors, tokenizer.json"):
        SentenceEncoder(f"static:{tmp_path}").encode(["x"])


def test_static_backend_does_not_import_torch():
    code = ("import sys\n"
            "from classifier.model.embed import SentenceEncoder\n"
            f"v = SentenceEncoder({STATIC!r}).encode(['one sentence'])\n"
            "assert v.shape == (1, 256), v.shape\n"
            "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
