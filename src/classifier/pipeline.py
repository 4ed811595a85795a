"""The main job behind ``make run``, top-down: load once, featurise once, pass everything down.

config → corpus → features (every corpus entry, one encoding pass) → train (or reuse the
bundle) → predict the corpus from the same features → evaluate on the same features with the
same config → reports.  Each step is an API call a notebook user can make on their own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.paths import CACHE_DIR, DEFAULT_MODEL, EXTERNAL_DIR, REPORTS_DIR

OUTPUTS = ("predictions.jsonl", "summary.md", "summary.json")  # plus evaluation/ and compare/{hand,model,hybrid}/


@dataclass
class MainJobResult:
    summary: str
    out_dir: Path
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def run_main_job(data_dir: str | Path | None = None, out_dir: str | Path | None = None, *,
                 seed: int | None = None, config: str | Path | None = None, model: str | Path | None = None,
                 evaluation: bool = True, seeds: int = 3, n_resamples: int = 1000,
                 external_dir: str | Path | None = EXTERNAL_DIR, track: bool = True,
                 cache_dir: str | Path | None = CACHE_DIR / "embeddings", progress: bool | None = None) -> MainJobResult:
    from classifier.config import load_config
    from classifier.io.atomic import atomic_write_text, check_output_dir
    from classifier.io.codes import Coding
    from classifier.io.corpus import load_corpus
    from classifier.io.tables import json_dumps
    from classifier.model.features import featurize_with_config
    from classifier.model.predict import predict_features, write_predictions
    from classifier.model.train import train
    from classifier.reports.render import render

    out_dir = check_output_dir(out_dir if out_dir is not None else REPORTS_DIR)
    timings: dict[str, float] = {}

    def timed(name: str, start: float) -> None:
        timings[name] = round(time.perf_counter() - start, 2)

    t = time.perf_counter()
    cfg = load_config(config).with_seed(seed)
    corpus = load_corpus(data_dir)
    timed("load", t)
    t = time.perf_counter()
    features = featurize_with_config(corpus.entries, cfg, codebook=corpus.codebook, cache_dir=cache_dir,
                                     progress=progress)
    timed("featurize", t)
    t = time.perf_counter()
    res = train(corpus=corpus, features=features, config=cfg, out=model or DEFAULT_MODEL, reuse=True, track=track,
                progress=progress)
    timed("train", t)
    bundle, cb = res.bundle, corpus.codebook
    t = time.perf_counter()
    preds = predict_features(corpus.entries, features, bundle)
    write_predictions(out_dir / "predictions.jsonl", preds, cb)
    timed("predict", t)

    ev_report = None
    eval_dir = out_dir / "evaluation"
    if evaluation:
        from classifier.reliability.evaluate import evaluate
        from classifier.reports.evaluation import write_evaluation

        t = time.perf_counter()
        ev = evaluate(corpus, features, cfg, seeds=seeds, n_resamples=n_resamples, bundle=bundle,
                      external_dir=external_dir, cache_dir=cache_dir, progress=progress)
        write_evaluation(ev, cb, eval_dir)
        if track:
            log_evaluation(ev.report, eval_dir, seeds, n_resamples)
        ev_report = ev.report
        timed("evaluate", t)

    comparisons: dict[str, Any] = {}
    if evaluation:
        t = time.perf_counter()
        comparisons = compare_membership(corpus, preds, ev, out_dir / "compare", data_dir=data_dir, track=track)
        timed("compare", t)

    gold_counts = corpus.gold_coding().label_counts(cb)
    predicted_counts = Coding("model", {p.id: p.codes for p in preds}).label_counts(cb)
    cv = bundle.metadata["cv_metrics"]
    summary = render("summary.md.j2", cb=cb, model_path=res.path, reused=res.reused, train_seconds=res.seconds,
                     fingerprint=bundle.metadata["fingerprint"], n_entries=len(corpus.entries), n_gold=len(corpus.gold),
                     predictions_path=out_dir / "predictions.jsonl", cv=cv, gold_counts=gold_counts,
                     predicted_counts=predicted_counts, ev=ev_report, evaluation_dir=eval_dir, timings=timings,
                     comparisons=comparisons)
    atomic_write_text(out_dir / "summary.md", summary)
    atomic_write_text(out_dir / "summary.json", json_dumps(
        {"model": bundle.metadata["fingerprint"], "codebook_sha256": cb.sha256, "reused_model": res.reused,
         "n_entries": len(corpus.entries), "gold_counts": gold_counts, "predicted_counts": predicted_counts, "cv": cv,
         "timings": timings}))
    return MainJobResult(summary, out_dir, timings, res.warnings)


def compare_membership(corpus, preds, ev, out_dir: Path, *, data_dir=None, track: bool = True,
                       n_boot: int = 2000, n_perm: int = 2000) -> dict[str, Any]:
    """The membership comparison with hand, model and hybrid labels, reusing the main job's
    predictions and its evaluation's city-grouped out-of-fold codes (no retraining)."""
    from classifier.analysis.inputs import ModelLabels, comparison_data
    from classifier.analysis.membership import membership_report
    from classifier.analysis.run import comparison_meta
    from classifier.io.cities import read_cities
    from classifier.paths import DATA_DIR
    from classifier.reliability.agreement import agreement
    from classifier.reports.compare import write_comparison

    cb = corpus.codebook
    cities = read_cities(Path(data_dir or DATA_DIR) / "corpus" / "cities.csv")
    oof = dict(ev.model_oof.codes)
    rep = agreement([ev.model_oof, corpus.gold_coding()], cb, n_resamples=1, seed=0)
    model = ModelLabels({p.id: p.codes for p in preds}, oof,
                        "hand-coded entries take the evaluation's city-grouped out-of-fold model labels (first seed)",
                        {s["label"]: s["verdict"] for s in rep["labels"]})
    summary = {}
    for variant in ("hand", "model", "hybrid"):
        data, notes = comparison_data(corpus.entries, cities, cb, corpus.gold, variant, model)
        report = membership_report(data, n_boot=n_boot, n_perm=n_perm, seed=0,
                                   agreement=model.agreement if variant != "hand" else None)
        meta = comparison_meta(variant, data, cb, "of the bundled corpus", notes)
        write_comparison(report, meta, out_dir / variant)
        summary[variant] = {r["key"]: r.get("diff") for r in report["rows"] if r["kind"] == "label"}
        if track:
            from classifier.tracking import log_report_run

            log_report_run("compare", {"labels": variant, "resamples": n_boot, "permutations": n_perm, "seed": 0},
                           {f"diff.{k}": v for k, v in summary[variant].items() if v is not None}, out_dir / variant)
    return summary


def log_evaluation(report: dict[str, Any], folder: Path, seeds: int, n_resamples: int) -> str:
    """Log an evaluation's alpha per comparison and group, and its files, as an MLflow run."""
    from classifier.tracking import log_report_run

    metrics = {f"{k.replace(' ~ ', '_vs_')}.{g['group']}.alpha": g["alpha"]
               for k, rep in report["comparisons"].items() for g in rep["groups"]}
    if report.get("external"):
        metrics.update({f"external.{k}": v for k, v in report["external"].items() if isinstance(v, float)})
    run_id = log_report_run("evaluate", {"seeds": seeds, "folds": report["folds"], "resamples": n_resamples,
                                         "codebook_sha256": report["codebook"]["sha256"],
                                         "config_sha256": report["config_sha256"]}, metrics, folder)
    report["mlflow_run_id"] = run_id
    return run_id
