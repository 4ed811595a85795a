"""MLflow tracking: runs, the registered ``atlas-coder`` pyfunc model and its ``champion`` alias.

The default store is SQLite inside the project (``mlruns/mlflow.db``, artifacts beside it in
``mlruns/artifacts``); ``MLFLOW_TRACKING_URI`` overrides it.  Every training run logs its
parameters, CV metrics and codebook, and the model as an MLflow ``pyfunc`` (with a signature)
that carries the JSON bundle, so the same registered model serves this CLI,
``mlflow.pyfunc.load_model``, ``mlflow models serve`` and ``mlflow.pyfunc.spark_udf``.

Writes to the store hold a file lock beside the SQLite file, so two processes never create the
database or register versions at the same time.  Telemetry is off (:mod:`classifier.offline`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any, Iterator, Mapping

from classifier.errors import InputError
from classifier.offline import ensure_offline
from classifier.paths import PROJECT_ROOT

REGISTERED_NAME = "atlas-coder"
EXPERIMENT = "atlas-coder"
CHAMPION = "champion"
MODEL_ARTIFACT = "model"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{PROJECT_ROOT / 'mlruns' / 'mlflow.db'}"


def _sqlite_dir() -> Path | None:
    uri = tracking_uri()
    return Path(uri[len("sqlite:///"):]).parent if uri.startswith("sqlite:///") else None


def _mlflow():
    ensure_offline()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    warnings.filterwarnings("ignore", module="mlflow")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    folder = _sqlite_dir()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


@contextlib.contextmanager
def store_lock() -> Iterator[None]:
    """Serialise writes to a SQLite store (creating it, registering versions, moving aliases)."""
    folder = _sqlite_dir()
    if folder is None:
        yield
        return
    from classifier.io.atomic import exclusive_lock

    with exclusive_lock(folder / ".mlflow.lock", "another process writing to the MLflow store"):
        yield


def _experiment_id(mlflow, name: str) -> str:
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    folder = _sqlite_dir()
    artifacts = (folder / "artifacts").resolve().as_uri() if folder is not None else None
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


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v) if isinstance(v, (list, dict, tuple)) else v) for k, v in params.items()}


def log_training_run(bundle_dir: Path, metadata: Mapping[str, Any], params: Mapping[str, Any],
                     metrics: Mapping[str, Any], codebook_path: str | Path) -> dict[str, str]:
    """Log a training run and register its pyfunc model as a new version (no alias yet).

    The caller moves ``@champion`` with :func:`set_champion` once the bundle is in place.
    """
    from classifier.model.pyfunc import log_pyfunc_model

    mlflow = _mlflow()
    with store_lock():
        client = mlflow.MlflowClient()
        with mlflow.start_run(experiment_id=_experiment_id(mlflow, EXPERIMENT), run_name="train") as run:
            mlflow.log_params(_params(params))
            mlflow.log_metrics(_flat_metrics(metrics))
            mlflow.set_tags({"codebook_sha256": metadata["codebook"]["sha256"],
                             "training_data_sha256": metadata["training_data"]["sha256"],
                             "embedding_model": metadata["embedding"]["model"]})
            mlflow.log_artifact(str(codebook_path), artifact_path="codebook")
            info = log_pyfunc_model(Path(bundle_dir), MODEL_ARTIFACT)
            try:
                client.get_registered_model(REGISTERED_NAME)
            except Exception:  # not registered yet
                client.create_registered_model(REGISTERED_NAME)
            mv = client.create_model_version(REGISTERED_NAME, source=info.model_uri, run_id=run.info.run_id,
                                             tags={"content_sha256": _bundle_hash(bundle_dir),
                                                   "fingerprint": metadata["fingerprint"]})
    return {"run_id": run.info.run_id, "model_version": str(mv.version), "tracking_uri": tracking_uri(),
            "model_uri": info.model_uri}


def set_champion(version: str) -> None:
    mlflow = _mlflow()
    with store_lock():
        mlflow.MlflowClient().set_registered_model_alias(REGISTERED_NAME, CHAMPION, version)


def _bundle_hash(bundle_dir: Path) -> str | None:
    try:
        return json.loads((Path(bundle_dir) / "model.json").read_text(encoding="utf-8")).get("content_sha256")
    except (OSError, ValueError):
        return None


def champion_state(bundle_dir: Path) -> tuple[str | None, bool]:
    """(champion version, whether it is the same model as the bundle in ``bundle_dir``)."""
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    try:
        mv = client.get_model_version_by_alias(REGISTERED_NAME, CHAMPION)
    except Exception:  # no registered model or no alias yet
        return None, False
    return str(mv.version), mv.tags.get("content_sha256") == _bundle_hash(bundle_dir)


def reconcile_champion(bundle_dir: Path) -> str | None:
    """Point ``@champion`` at the registered version of the bundle on disk, if they differ.

    Interrupts (SIGINT, SIGTERM) cannot separate the swap of the bundle from the alias update,
    but a hard kill (SIGKILL, power loss) in that instant can; the next training run mends it
    here.  Returns the version the alias was moved to, or None.
    """
    content = _bundle_hash(bundle_dir)
    if content is None:
        return None
    version, same = champion_state(bundle_dir)
    if version is None or same:
        return None
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    found = client.search_model_versions(f"name='{REGISTERED_NAME}' and tags.content_sha256='{content}'")
    if not found:
        return None
    newest = max(found, key=lambda v: int(v.version))
    with store_lock():
        client.set_registered_model_alias(REGISTERED_NAME, CHAMPION, newest.version)
    return str(newest.version)


def log_report_run(name: str, params: Mapping[str, Any], metrics: Mapping[str, Any], artifacts_dir: str | Path) -> str:
    """Log an evaluation / agreement run with its report files."""
    mlflow = _mlflow()
    with store_lock():
        with mlflow.start_run(experiment_id=_experiment_id(mlflow, EXPERIMENT), run_name=name) as run:
            mlflow.log_params(_params(params))
            mlflow.log_metrics(_flat_metrics(metrics))
            mlflow.log_artifacts(str(artifacts_dir), artifact_path="report")
    return run.info.run_id


def _relocated(artifact_uri: str, mlflow) -> str:
    """The artifact URI, moved along with the store when the checkout was moved or copied.

    The experiment records its artifact location as an absolute ``file:`` URI; when that folder
    no longer exists but a store of the project's layout (``artifacts/`` beside the SQLite file)
    does, the same relative path is looked up there.
    """
    from urllib.parse import unquote, urlparse

    folder = _sqlite_dir()
    if folder is None or not artifact_uri.startswith("file:") or Path(unquote(urlparse(artifact_uri).path)).exists():
        return artifact_uri
    exp = mlflow.get_experiment_by_name(EXPERIMENT)
    recorded = exp.artifact_location.rstrip("/") if exp is not None else ""
    if recorded and artifact_uri.startswith(recorded):
        return (folder / "artifacts").resolve().as_uri() + artifact_uri[len(recorded):]
    return artifact_uri


def download_bundle(uri: str, dst: Path) -> Path:
    """Download a registered model (e.g. ``models:/atlas-coder@champion``) into ``dst`` and
    return the folder of its JSON bundle."""
    mlflow = _mlflow()
    try:
        from mlflow.store.artifact.models_artifact_repo import ModelsArtifactRepository

        source = ModelsArtifactRepository.get_underlying_uri(uri) if uri.startswith("models:/") else uri
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=_relocated(source, mlflow), dst_path=str(dst)))
    except Exception as exc:
        raise InputError(uri, f"cannot load model from the MLflow registry at {tracking_uri()}: {str(exc).splitlines()[0]}") from None
    for candidate in (local / "artifacts" / "bundle", local):
        if (candidate / "model.json").exists():
            return candidate
    raise InputError(uri, "the registered model holds no atlas-coder bundle (model.json)")
