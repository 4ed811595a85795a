"""`make bench`: the model ladder on city-grouped CV, the external AI Watch check, speed and
memory; writes reports/bench.json and BENCHMARKS.md (committed).

Every figure in BENCHMARKS.md is computed here from the bundled corpus in this run.
Usage: .venv/bin/python evaluation/bench.py [--seeds 3] [--quick]  (--quick: 1 seed, no speed runs;
for smoke checks only, never for the committed table).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _memory_gib() -> float:
    with open("/proc/meminfo") as fh:
        kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    return round(kb / 2**20, 1)


def main(argv: list[str] | None = None) -> dict:
    import numpy as np

    from classifier.config import load_config
    from classifier.io.atomic import atomic_write_text
    from classifier.io.corpus import load_corpus
    from classifier.io.tables import json_dumps
    from classifier.model.embed import SentenceEncoder
    from classifier.model.features import featurize
    from classifier.paths import CACHE_DIR, EXTERNAL_DIR
    from classifier.reliability.ladder import (definition_vectors, fit_full_and_predict, make_rungs, run_ladder,
                                               text_set)
    from classifier.reports.render import render
    from classifier.text.cues import CueMatcher

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--setfit", action="store_true", help="also run the SetFit rung (one seed; needs `pip install setfit`)")
    args = ap.parse_args(argv)
    seeds_n = 1 if args.quick else args.seeds

    cfg, corpus = load_config(), load_corpus()
    cb = corpus.codebook
    emb = cfg.embedding
    encoder = SentenceEncoder(emb.model, batch_size=emb.batch_size)
    cache = CACHE_DIR / "embeddings"
    entries = corpus.coded_entries
    t0 = time.perf_counter()
    feats = featurize(entries, encoder, pooling=emb.pooling, max_document_sentences=emb.max_document_sentences,
                      cache_dir=cache)
    matcher = CueMatcher(cb)
    ts = text_set(entries, feats, matcher)
    D = definition_vectors(cb, encoder)
    featurize_s = time.perf_counter() - t0
    Y, cities = corpus.Y(), [e.city for e in entries]
    rungs = make_rungs(cb, cfg.classifier_params(), D)
    seeds = [cfg.seed + i for i in range(seeds_n)]
    results = run_ladder(ts, Y, cities, cb, rungs, seeds, args.folds, progress=lambda m: print(m, file=sys.stderr))
    inputs = {name: (ts, encoder) for name in rungs}

    # the fast rung: the shipped model's recipe on static (model2vec) vectors distilled from MiniLM
    from classifier.model.embed import static_folder
    from classifier.reliability.ladder import rung_per_label

    static_model = "static:models/static-minilm"
    if static_folder(static_model).is_dir():
        s_enc = SentenceEncoder(static_model, batch_size=1024)
        s_feats = featurize(entries, s_enc, pooling=emb.pooling, max_document_sentences=emb.max_document_sentences,
                            cache_dir=cache)
        s_ts = text_set(entries, s_feats, matcher)
        s_rung = {"static-per-label": rung_per_label(cb, cfg.classifier_params(), definition_vectors(cb, s_enc))}
        results.update(run_ladder(s_ts, Y, cities, cb, s_rung, seeds, args.folds,
                                  progress=lambda m: print(m, file=sys.stderr)))
        rungs = {**rungs, **s_rung}
        inputs["static-per-label"] = (s_ts, s_enc)

    external = None
    if (EXTERNAL_DIR / "cases.jsonl").exists():
        from classifier.reliability.external import load_external_cases

        ext_entries, accepted = load_external_cases(EXTERNAL_DIR)
        ext_sets = {}
        for enc in {id(e): e for _, e in inputs.values()}.values():
            ext_feats = featurize(ext_entries, enc, pooling=emb.pooling, max_document_sentences=emb.max_document_sentences,
                                  cache_dir=cache)
            ext_sets[enc.model] = text_set(ext_entries, ext_feats, matcher)
        external = {}
        labels = cb.all_labels
        j_app, j_reg = labels.index(("policy_type", "application")), labels.index(("policy_type", "regulatory"))
        sector_cols = [j for j, (g, _) in enumerate(labels) if g == "sector"]
        for name, rung in rungs.items():
            train_ts, enc = inputs[name]
            pred, secs = fit_full_and_predict(rung, train_ts, Y, cities, ext_sets[enc.model], cfg.seed)
            hits = [bool({labels[j][1] for j in sector_cols if pred[i, j]} & set(accepted[e.id]))
                    for i, e in enumerate(ext_entries)]
            external[name] = {"n_cases": len(ext_entries), "application_recall": float(pred[:, j_app].mean()),
                              "share_coded_regulatory": float(pred[:, j_reg].mean()),
                              "sector_hit_rate": float(np.mean(hits)), "fit_predict_seconds": round(secs, 2)}

    def ms(values):
        v = np.array(values, dtype=float)
        return {"mean": float(np.nanmean(v)), "sd": float(np.nanstd(v))}

    table = {name: {g: {m: ms(vals) for m, vals in row.items()} for g, row in res.groups.items()}
             for name, res in results.items()}
    per_label = {name: {lab: ms(f1s) for lab, f1s in res.labels.items()} for name, res in results.items()}
    support = {lab: int(Y[:, j].sum()) for j, (_, lab) in enumerate(cb.all_labels)}
    # the default: the best mean micro-F1 over the four groups
    score = {name: float(np.mean([table[name][g]["micro_f1"]["mean"] for g in cb.group_keys])) for name in results}
    best = max(score, key=score.get)

    setfit = None
    if args.setfit:
        import importlib

        from classifier.reliability.ladder import rung_setfit

        path = str(importlib.import_module(emb.model.replace("-", "_")).get_model_path())
        t1 = time.perf_counter()
        sf = run_ladder(ts, Y, cities, cb, {"setfit": rung_setfit(cb, path)}, seeds[:1], args.folds,
                        progress=lambda m: print(m, file=sys.stderr))["setfit"]
        setfit = {"seeds": seeds[:1], "cv_seconds": round(time.perf_counter() - t1, 1),
                  "table": {g: {m: ms(v) for m, v in row.items()} for g, row in sf.groups.items()},
                  "per_label": {lab: ms(f1s) for lab, f1s in sf.labels.items()}}
        report_extra = {"setfit": setfit}
    else:
        report_extra = {}

    speed = None
    if not args.quick:
        sys.path.insert(0, str(ROOT / "evaluation"))
        import benchmark

        speed = benchmark.main()

    report = {
        "date": datetime.date.today().isoformat(), "machine": {"cores": os.cpu_count(), "memory_gib": _memory_gib(),
                                                                "python": platform.python_version()},
        "corpus": {"entries": len(entries), "cities": len(set(cities)), "codebook": f"{cb.name} {cb.version}"},
        "method": {"folds": args.folds, "seeds": seeds, "split": "city-grouped, multilabel-stratified over cities"},
        "rungs": list(results), "table": table, "per_label": per_label, "support": support, "score": score, "best": best,
        "default": "per-label", "external": external, "featurize_seconds": round(featurize_s, 2), "speed": speed,
        "setfit": None, **report_extra,
    }
    atomic_write_text(ROOT / "reports" / "bench.json", json_dumps(report))
    if not args.quick:
        atomic_write_text(ROOT / "BENCHMARKS.md", render("benchmarks.md.j2", r=report, cb=cb))
    print(render("benchmarks.md.j2", r=report, cb=cb))
    return report


if __name__ == "__main__":
    main()
