"""Shared fixtures: the real embedding model (loaded once), a network-free context, and one
training run on the bundled corpus with a real MLflow store in a temporary folder."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import pytest

from classifier.paths import DATA_DIR, PROJECT_ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@contextlib.contextmanager
def no_network():
    """Refuse every internet socket connection (AF_INET/AF_INET6) inside the block."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise ConnectionRefusedError(f"network disabled in tests: {address!r}")
        return real_connect(self, address, *args)

    def refuse_ex(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise ConnectionRefusedError(f"network disabled in tests: {address!r}")
        return real_connect_ex(self, address, *args)

    socket.socket.connect, socket.socket.connect_ex = refuse, refuse_ex
    real_create = socket.create_connection
    socket.create_connection = lambda *a, **k: (_ for _ in ()).throw(ConnectionRefusedError("network disabled in tests"))
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex
        socket.create_connection = real_create


@pytest.fixture(scope="session")
def mlflow_uri(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    return uri


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory) -> Path:
    """One embedding cache for the session: the corpus is encoded once, by the first user."""
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(scope="session")
def trained(tmp_path_factory, mlflow_uri, embedding_cache):
    """Train once on the bundled corpus, network refused, logging to a temporary MLflow store."""
    from classifier.model.train import train

    out = tmp_path_factory.mktemp("model") / "atlas-coder"
    with no_network():
        res = train(DATA_DIR, out, cache_dir=embedding_cache, progress=False)
    return res


@pytest.fixture()
def cli_cache(tmp_path, trained, embedding_cache) -> Path:
    """An ATLAS_CODER_CACHE folder for CLI subprocesses, holding the corpus's embeddings already
    (the encoder still loads; only re-encoding the corpus is skipped)."""
    import shutil

    folder = tmp_path / "atlas-cache"
    shutil.copytree(embedding_cache, folder / "embeddings")
    return folder


@pytest.fixture(scope="session")
def corpus():
    from classifier.io.corpus import load_corpus

    return load_corpus(DATA_DIR)


@pytest.fixture(scope="session")
def corpus_entries():
    from classifier.io.entries import read_entries
    from classifier.paths import CORPUS_DIR

    return read_entries(CORPUS_DIR / "initiatives.jsonl")


@pytest.fixture()
def entries_file(tmp_path, corpus_entries) -> Path:
    """A JSONL file with the first 12 real corpus entries (a new 'batch' for prediction)."""
    import json

    path = tmp_path / "entries.jsonl"
    records = [{k: v for k, v in e.to_record().items() if k != "documents"} for e in corpus_entries[:12]]  # no stored documents here
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    import subprocess
    import sys

    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "classifier", *args], capture_output=True, text=True,
                          cwd=cwd or PROJECT_ROOT, env=full_env, timeout=600)
