"""``atlas-coder evaluate`` end to end on the corpus (one CV repetition to stay fast), with its
numbers re-computed independently from the files it writes."""

from __future__ import annotations


import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from classifier.io.codebook import load_codebook
from classifier.io.codes import read_labels
from classifier.paths import ANNOTATIONS_DIR, EXTERNAL_DIR

pytestmark = pytest.mark.slow  # end-to-end: real embedding model, training, MLflow


@pytest.fixture(scope="session")
def evaluation(tmp_path_factory, mlflow_uri, trained, embedding_cache):
    from classifier.config import load_config
    from classifier.io.corpus import load_corpus
    from classifier.model.features import featurize_with_config
    from classifier.pipeline import log_evaluation
    from classifier.reliability.evaluate import evaluate
    from classifier.reports.evaluation import write_evaluation

    out = tmp_path_factory.mktemp("evaluation")
    cache = embedding_cache
    cfg, corpus = load_config(), load_corpus()
    features = featurize_with_config(corpus.coded_entries, cfg, codebook=corpus.codebook, cache_dir=cache)
    ev = evaluate(corpus, features, cfg, seeds=1, n_resamples=1000, bundle=trained.bundle,
                  external_dir=EXTERNAL_DIR, cache_dir=cache)
    write_evaluation(ev, corpus.codebook, out)
    log_evaluation(ev.report, out, 1, 1000)
    return out, ev.report


def _matrix(recs, ids, group, label):
    return np.array([float(label in recs[u].codes[group]) for u in ids])


def test_files_written_and_logged(evaluation, mlflow_uri):
    import mlflow

    out, report = evaluation
    for name in ("evaluation.html", "evaluation.md", "evaluation.json", "review_queue.csv", "model_oof.jsonl"):
        assert (out / name).exists(), name
    html = (out / "evaluation.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "<table>" in html and "Brier" in html
    assert html.index("<h1>") < html.index("Method:") < html.index("<img"), "title and summary come before the plots"
    assert "not independent humans" in html and "no city has entries on both sides" in html
    header = (out / "review_queue.csv").read_text().splitlines()[0].split(",")
    assert header[:6] == ["rank", "id", "city", "title", "group", "label"]
    assert set(report["comparisons"]) == {"model ~ gold", "coder_a ~ coder_b", "coder_a ~ gold", "coder_b ~ gold"}
    mlflow.set_tracking_uri(mlflow_uri)
    run = mlflow.MlflowClient().get_run(report["mlflow_run_id"])
    assert "model_vs_gold.sector.alpha" in run.data.metrics


def test_numbers_match_independent_computation(evaluation):
    out, report = evaluation
    cb = load_codebook()
    model = read_labels(out / "model_oof.jsonl", cb)
    gold = read_labels(ANNOTATIONS_DIR / "gold.jsonl", cb)
    a = read_labels(ANNOTATIONS_DIR / "coder_a.jsonl", cb)
    b = read_labels(ANNOTATIONS_DIR / "coder_b.jsonl", cb)
    ids = sorted(gold)
    for key, (x, y) in {"model ~ gold": (model, gold), "coder_a ~ coder_b": (a, b)}.items():
        for row in report["comparisons"][key]["labels"]:
            rx, ry = _matrix(x, ids, row["group"], row["label"]), _matrix(y, ids, row["group"], row["label"])
            if len(set(rx) | set(ry)) > 1:
                alpha = krippendorff.alpha(reliability_data=np.vstack([rx, ry]), level_of_measurement="nominal")
                assert row["alpha"] == pytest.approx(alpha, abs=1e-9), (key, row["label"])
                assert row["kappa"] == pytest.approx(cohen_kappa_score(rx, ry), abs=1e-9)
            assert row["f1_mean"] == pytest.approx(f1_score(ry, rx, zero_division=0), abs=1e-4)
            assert row["percent_agreement"] == pytest.approx(np.mean(rx == ry))


@pytest.mark.skipif(not (EXTERNAL_DIR / "cases.jsonl").exists(), reason="external AI Watch data not present")
def test_external_check_counts(evaluation):
    _, report = evaluation
    ext = report["external"]
    assert ext["n_cases"] == 143
    assert ext["application_recall"] == pytest.approx(ext["counts"]["application"] / 143, abs=1e-4)
    assert 0 <= ext["share_coded_regulatory"] <= 1 and 0 <= ext["sector_hit_rate"] <= 1
