"""Training is transactional: a lock, the new bundle written beside the old, then one atomic
swap and the registry update.  The bundle on disk and ``models:/atlas-coder@champion`` are
always the same model, and an interrupt at any point leaves the previous model usable.

Real processes, real signals, a real MLflow store in a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classifier.model.bundle import load_bundle_dir, save_bundle, swap_into_place
from classifier.paths import DEFAULT_MODEL, PROJECT_ROOT


def _content(folder: Path) -> str:
    return json.loads((folder / "model.json").read_text())["content_sha256"]


def _champion(uri: str) -> tuple[str, str]:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri)
    mv = client.get_model_version_by_alias("atlas-coder", "champion")
    return str(mv.version), mv.tags["content_sha256"]


def _env(tmp_path: Path, cache: Path) -> dict[str, str]:
    return {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}",
            "ATLAS_CODER_CACHE": str(cache)}


def _train(env, out: Path, seed: int, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "classifier", "train", "--out", str(out), "--seed", str(seed)],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ------------------------------------------------------------------ the swap itself (no training)


def test_swap_exchanges_whole_folders(tmp_path):
    old, new = tmp_path / "m", tmp_path / ".m.new"
    shutil.copytree(DEFAULT_MODEL, old)
    shutil.copytree(DEFAULT_MODEL, new)
    (new / "marker").write_text("new")
    swap_into_place(new, old)
    assert (old / "marker").read_text() == "new"
    assert new.exists() and not (new / "marker").exists()  # the previous bundle, for the caller to delete


def test_swap_without_atomic_exchange_still_never_loses_the_bundle(tmp_path, monkeypatch):
    import classifier.model.bundle as bundle_mod

    monkeypatch.setattr(bundle_mod, "_exchange", lambda a, b: False)  # a system without renameat2
    old, new = tmp_path / "m", tmp_path / ".m.new"
    shutil.copytree(DEFAULT_MODEL, old)
    shutil.copytree(DEFAULT_MODEL, new)
    (new / "marker").write_text("new")
    real_rename = os.rename
    calls = []

    def failing_second_rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError("disk gone")
        return real_rename(src, dst)

    monkeypatch.setattr(bundle_mod.os, "rename", failing_second_rename)
    with pytest.raises(OSError):
        swap_into_place(new, old)
    monkeypatch.setattr(bundle_mod.os, "rename", real_rename)
    assert load_bundle_dir(old) and not (old / "marker").exists(), "the old bundle is back in place"


def test_save_bundle_leaves_no_temporary_folders(tmp_path):
    b = load_bundle_dir(DEFAULT_MODEL)
    meta = {k: v for k, v in b.metadata.items() if k not in ("format", "content_sha256")}
    save_bundle(tmp_path / "m", b.classifier, meta)
    save_bundle(tmp_path / "m", b.classifier, meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert _content(tmp_path / "m") == b.content_sha256


# ------------------------------------------------------------------ real training processes


@pytest.mark.slow
def test_interrupt_during_mlflow_logging_keeps_the_previous_model_and_champion(tmp_path, cli_cache):
    env = _env(tmp_path, cli_cache)
    out = tmp_path / "m"
    first = _train(env, out, 1)
    assert first.wait(timeout=600) == 0, first.stderr.read()
    before = (out / "model.json").read_bytes()
    champion_before = _champion(env["MLFLOW_TRACKING_URI"])
    assert champion_before[1] == _content(out)

    second = _train(env, out, 2)
    deadline = time.time() + 300
    while not list(tmp_path.glob(".m.new-*/model.json")):  # the new bundle is staged: logging has begun
        assert second.poll() is None and time.time() < deadline, "training ended before it staged a bundle"
        time.sleep(0.05)
    time.sleep(0.3)
    second.send_signal(signal.SIGINT)
    assert second.wait(timeout=120) == 130, second.stderr.read()
    assert (out / "model.json").read_bytes() == before, "the previous bundle is untouched"
    assert _champion(env["MLFLOW_TRACKING_URI"]) == champion_before
    assert sorted(p.name for p in tmp_path.glob(".m*") if not p.name.endswith(".lock")) == [], "no staged folder left"
    load_bundle_dir(out)


@pytest.mark.slow
def test_concurrent_trainings_leave_disk_and_champion_the_same_model(tmp_path, cli_cache):
    env = _env(tmp_path, cli_cache)  # a fresh store: both processes would create the database
    out = tmp_path / "m"
    procs = [_train(env, out, seed) for seed in (3, 4)]
    results = [(p.wait(timeout=900), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    version, content = _champion(env["MLFLOW_TRACKING_URI"])
    assert version == "2" and content == _content(out)
    assert json.loads((out / "model.json").read_text())["seed"] in (3, 4)

    # SIGKILL cannot be deferred: simulate its worst moment (bundle swapped, alias not yet moved)
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    client.set_registered_model_alias("atlas-coder", "champion", "1")
    res = subprocess.run([sys.executable, "-m", "classifier", "info", "--model", str(out)], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True)
    assert "DIFFERENT model" in res.stdout, res.stdout + res.stderr
    from classifier.tracking import reconcile_champion

    saved = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = env["MLFLOW_TRACKING_URI"]
    try:
        assert reconcile_champion(out) == "2"  # what the next training run does first
    finally:
        if saved is None:
            os.environ.pop("MLFLOW_TRACKING_URI")
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved
    assert _champion(env["MLFLOW_TRACKING_URI"]) == ("2", _content(out))
