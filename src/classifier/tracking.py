"""MLflow tracking: every training run is logged and its bundle registered as ``atlas-coder``.

The default store is SQLite inside the project (``mlruns/mlflow.db``, artifacts beside it in
``mlruns/artifacts``); ``MLFLOW_TRACKING_URI`` overrides it.  The newest trained bundle gets the
registry alias ``champion`` (aliases, not the deprecated stages).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Mapping

from classifier.paths import PROJECT_ROOT

REGISTERED_NAME = "atlas-coder"
EXPERIMENT = "atlas-coder"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{PROJECT_ROOT / 'mlruns' / 'mlflow.db'}"


def _mlflow():
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    warnings.filterwarnings("ignore", module="mlflow")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    return mlflow


def _experiment_id(mlflow, name: str) -> str:
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    uri = tracking_uri()
    artifacts = None
    if uri.startswith("sqlite:///"):
        artifacts = (Path(uri[len("sqlite:///"):]).parent / "artifacts").resolve().as_uri()
    return mlflow.create_experiment(name, artifact_location=artifacts)


def _flat_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in metrics.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flat_metrics(v, key + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and v == v:
            out[key.replace("@", "_")] = float(v)
    return out


def log_training_run(bundle_dir: Path, metadata: Mapping[str, Any], params: Mapping[str, Any],
                     metrics: Mapping[str, Any], codebook_path: str | Path) -> dict[str, str]:
    """Log params, CV metrics, codebook and bundle; register the bundle and make it champion."""
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    with mlflow.start_run(experiment_id=_experiment_id(mlflow, EXPERIMENT), run_name="train") as run:
        mlflow.log_params({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in params.items()})
        mlflow.log_metrics(_flat_metrics(metrics))
        mlflow.set_tags({"codebook_sha256": metadata["codebook"]["sha256"],
                         "training_data_sha256": metadata["training_data"]["sha256"],
                         "embedding_model": metadata["embedding"]["model"]})
        mlflow.log_artifact(str(codebook_path), artifact_path="codebook")
        mlflow.log_artifacts(str(bundle_dir), artifact_path="model")
        try:
            client.create_registered_model(REGISTERED_NAME)
        except Exception:  # already registered
            pass
        mv = client.create_model_version(REGISTERED_NAME, source=f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
        client.set_registered_model_alias(REGISTERED_NAME, "champion", mv.version)
    return {"run_id": run.info.run_id, "model_version": str(mv.version), "tracking_uri": tracking_uri()}


def log_report_run(name: str, params: Mapping[str, Any], metrics: Mapping[str, Any], artifacts_dir: str | Path) -> str:
    """Log an evaluation / agreement run with its report files."""
    mlflow = _mlflow()
    with mlflow.start_run(experiment_id=_experiment_id(mlflow, EXPERIMENT), run_name=name) as run:
        mlflow.log_params({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in params.items()})
        mlflow.log_metrics(_flat_metrics(metrics))
        mlflow.log_artifacts(str(artifacts_dir), artifact_path="report")
    return run.info.run_id


def download_model(uri: str) -> Path:
    """Fetch a registered bundle (e.g. ``models:/atlas-coder@champion``) to a local folder."""
    from classifier.errors import InputError

    mlflow = _mlflow()
    try:
        return Path(mlflow.artifacts.download_artifacts(uri, dst_path=tempfile.mkdtemp(prefix="atlas-model-")))
    except Exception as exc:
        raise InputError(uri, f"cannot load model from the MLflow registry at {tracking_uri()}: {str(exc).splitlines()[0]}") from None
