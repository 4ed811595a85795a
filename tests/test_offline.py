"""Offline, proven: ``train`` and ``predict`` run in a process without network (a network
namespace where the machine allows one), and a Python audit hook records every attempt to
look up or connect to a non-loopback host, background threads included (tests/netguard.py).

The environment is cleaned of the variables that would switch telemetry off by accident (CI
markers, pytest's own variable, the offline switches), so the package must do it itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.paths import ANNOTATIONS_DIR, PROJECT_ROOT

GUARD = Path(__file__).with_name("netguard.py")
SCRUB = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK",
         "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY")


def _netns_available() -> bool:
    unshare = shutil.which("unshare")
    return bool(unshare) and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0


NETNS = _netns_available()


def guarded(tmp: Path, *args: str, env: dict[str, str] | None = None, netns: bool = NETNS):
    """Run the CLI under the audit hook (and without network, where possible)."""
    report = tmp / f"attempts-{len(list(tmp.glob('attempts-*')))}.jsonl"
    full_env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    full_env.update(env or {})
    cmd = [sys.executable, str(GUARD), str(report), *args]
    if netns:
        cmd = ["unshare", "-n", *cmd]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT, env=full_env, timeout=600)
    attempts = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    return res, attempts


def test_the_guard_sees_mlflow_telemetry_when_a_user_switches_it_on(tmp_path):
    """The check can fail: with telemetry explicitly enabled, MLflow looks up its telemetry host."""
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}",
           "MLFLOW_DISABLE_TELEMETRY": "false", "DO_NOT_TRACK": "false"}
    res, attempts = guarded(tmp_path, "agree", str(ANNOTATIONS_DIR / "coder_a.jsonl"), str(ANNOTATIONS_DIR / "coder_b.jsonl"),
                            "--resamples", "20", "--out", str(tmp_path / "agree"), env=env, netns=False)
    assert res.returncode == 0, res.stderr
    assert attempts, "telemetry switched on by the user should have tried to reach its host"


@pytest.mark.slow
def test_train_and_predict_without_network(tmp_path, entries_file, cli_cache):
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}", "ATLAS_CODER_CACHE": str(cli_cache)}
    res, attempts = guarded(tmp_path, "train", "--out", str(tmp_path / "model"), env=env)
    assert res.returncode == 0, res.stderr
    assert attempts == []
    for model in (str(tmp_path / "model"), "models:/atlas-coder@champion"):
        out = tmp_path / f"p{len(model)}.jsonl"
        res, attempts = guarded(tmp_path, "predict", str(entries_file), "--out", str(out), "--model", model, env=env)
        assert res.returncode == 0, res.stderr
        assert attempts == []
        assert len(out.read_text().splitlines()) == 12
    if not NETNS:
        pytest.skip("ran with the audit hook only: this machine allows no network namespace")
