"""The registered pyfunc (``models:/atlas-coder@champion``) scores a pandas DataFrame, a Spark
DataFrame (``mlflow.pyfunc.spark_udf`` on a local-mode Spark), and answers over REST
(``mlflow models serve`` on 127.0.0.1) — each with the same codes as ``predict_entries``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from classifier.model.pyfunc import INPUT_COLUMNS, output_columns

CHAMPION_URI = "models:/atlas-coder@champion"


@pytest.fixture(scope="module")
def sample(corpus_entries):
    """Six real corpus entries from different cities, without their stored documents (the
    pyfunc's input is the entry's fields only)."""
    import dataclasses

    return [dataclasses.replace(e, documents=[], document_texts={}) for e in corpus_entries[::30][:6]]


@pytest.fixture(scope="module")
def reference(trained, sample):
    """``{id: {group: "label;label"}}`` from the reference prediction with the trained bundle."""
    from classifier.model.predict import predict_entries

    groups = trained.bundle.codebook.group_keys
    return {p.id: {g: ";".join(p.codes[g]) for g in groups} for p in predict_entries(sample, trained.bundle)}


def frame(entries):
    import pandas as pd

    return pd.DataFrame([{c: getattr(e, c) for c in INPUT_COLUMNS} for e in entries], columns=list(INPUT_COLUMNS))


def codes_by_id(records, groups) -> dict[str, dict[str, str]]:
    return {r["id"]: {g: r[g] for g in groups} for r in records}


@pytest.fixture(scope="module")
def pandas_output(trained, mlflow_uri, sample):
    import mlflow

    mlflow.set_tracking_uri(mlflow_uri)
    model = mlflow.pyfunc.load_model(CHAMPION_URI)
    return model, model.predict(frame(sample))


def test_pyfunc_from_registry_predicts_pandas(trained, pandas_output, sample, reference):
    from mlflow.types import DataType

    model, out = pandas_output
    cb = trained.bundle.codebook
    groups = cb.group_keys
    inputs = model.metadata.get_input_schema()
    assert inputs.input_names() == list(INPUT_COLUMNS)
    assert all(t == DataType.string for t in inputs.input_types())
    assert model.metadata.get_output_schema().input_names() == output_columns(groups)
    assert list(out.columns) == output_columns(groups)
    assert list(out["id"]) == [e.id for e in sample]
    assert codes_by_id(out.to_dict("records"), groups) == reference
    assert any(v for codes in reference.values() for v in codes.values()), "sample has no predicted codes at all"
    for s in out["scores"]:
        scores = json.loads(s)
        assert {g: sorted(scores[g]) for g in scores} == {g: sorted(cb.labels(g)) for g in groups}
        assert all(0.0 <= p <= 1.0 for g in scores for p in scores[g].values())
    for e in out["evidence"]:
        assert isinstance(json.loads(e), dict)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (java not on PATH)")
def test_spark_udf_scores_a_spark_dataframe(trained, mlflow_uri, pandas_output, sample, monkeypatch):
    import mlflow
    from pyspark.sql import SparkSession
    from pyspark.sql.functions import struct
    from pyspark.sql.types import StringType, StructField, StructType

    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    mlflow.set_tracking_uri(mlflow_uri)
    groups = trained.bundle.codebook.group_keys
    spark = (SparkSession.builder.master("local[1]").appName("atlas-coder-test")
             .config("spark.ui.enabled", "false")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.memory", "512m")
             # a short-lived test JVM: C1-only JIT and the serial GC halve the start-up (~8 s → ~4 s)
             .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .getOrCreate())
    try:
        result_type = StructType([StructField(c, StringType()) for c in output_columns(groups)])
        udf = mlflow.pyfunc.spark_udf(spark, CHAMPION_URI, env_manager="local", result_type=result_type)
        sdf = spark.createDataFrame(frame(sample)).repartition(1)
        rows = sdf.select(udf(struct(*INPUT_COLUMNS)).alias("p")).select("p.*").collect()
    finally:
        spark.stop()
    got = [r.asDict() for r in rows]
    _, expected = pandas_output
    assert sorted(got, key=lambda r: r["id"]) == sorted(expected.to_dict("records"), key=lambda r: r["id"])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, timeout: float = 60.0):
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


@pytest.mark.slow
def test_mlflow_models_serve_answers_on_loopback(trained, mlflow_uri, sample, reference, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    # `mlflow models serve` starts `uvicorn` by name from PATH, so the virtualenv's bin folder must
    # be on PATH (as in an activated venv) even when the tests run as `.venv/bin/python -m pytest`.
    bindir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bindir, "mlflow"), "models", "serve", "-m", CHAMPION_URI, "--env-manager", "local",
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_uri, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mlflow models serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if http("GET", f"{base}/ping", timeout=5)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow models serve did not answer /ping within 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        two = frame(sample[:2])
        payload = {"dataframe_split": {"columns": list(two.columns), "data": two.values.tolist()}}
        status, body = http("POST", f"{base}/invocations", json.dumps(payload).encode())
        assert status == 200
        preds = json.loads(body)["predictions"]
        groups = trained.bundle.codebook.group_keys
        assert [p["id"] for p in preds] == [e.id for e in sample[:2]]
        assert codes_by_id(preds, groups) == {e.id: reference[e.id] for e in sample[:2]}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
