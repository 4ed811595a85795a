"""The main job behind ``make run``: train (or reuse) → predict the corpus → reports.

Each step is an API call a notebook user can make on their own; this module only chains them
and writes the summary under ``reports/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from classifier.paths import CACHE_DIR, REPORTS_DIR


def _label_counts(records, codebook) -> dict[str, int]:
    counts = {lab: 0 for _, lab in codebook.all_labels}
    for codes in records:
        for g, labs in codes.items():
            for lab in labs:
                counts[lab] += 1
    return counts


def run_main_job(data_dir: str | Path | None = None, out_dir: str | Path | None = None, *,
                 seed: int | None = None, evaluation: bool = True, seeds: int = 3) -> str:
    from classifier.data import atomic_write_text
    from classifier.predict import predict_entries, write_predictions
    from classifier.train import load_corpus, train

    out_dir = Path(out_dir) if out_dir is not None else REPORTS_DIR
    res = train(data_dir, seed=seed, reuse=True)
    bundle = res.bundle
    corpus = load_corpus(data_dir)
    preds = predict_entries(corpus.entries, bundle, cache_dir=CACHE_DIR / "embeddings")
    write_predictions(out_dir / "predictions.jsonl", preds, bundle.codebook)

    cb = bundle.codebook
    predicted = _label_counts([p.codes for p in preds], cb)
    gold = _label_counts([corpus.gold[e.id].codes for e in corpus.coded_entries], cb)
    cv = bundle.metadata["cv_metrics"]
    lines = [
        "# atlas-coder main job",
        "",
        f"Model: `{res.path}` ({'reused: data, codebook and config unchanged' if res.reused else f'trained in {res.seconds:.1f} s'}); "
        f"fingerprint `{bundle.metadata['fingerprint'][:16]}`, codebook sha256 `{cb.sha256[:16]}`.",
        f"Corpus: {len(corpus.entries)} entries, {len(corpus.gold)} with gold codes; predictions in `{out_dir / 'predictions.jsonl'}`.",
        "",
        "Cross-validated scores of the training run (thresholds tuned on the same folds, so optimistic;",
        "see the evaluation report for nested estimates):",
        "",
        "| group | micro-F1 | macro-F1 |",
        "|---|---|---|",
    ]
    lines += [f"| {g} | {cv['groups'][g]['micro_f1']:.3f} | {cv['groups'][g]['macro_f1']:.3f} |" for g in cb.group_keys]
    lines += ["", "| group | label | gold | predicted (in-sample) | CV F1 |", "|---|---|---|---|---|"]
    for g, lab in cb.all_labels:
        lines.append(f"| {g} | {lab} | {gold[lab]} | {predicted[lab]} | {cv['labels'][lab]['f1']:.3f} |")
    if evaluation:
        from classifier.evaluate import evaluate

        report = evaluate(data_dir, seeds=seeds, out_dir=out_dir / "evaluation", model=res.path)
        comps = report["comparisons"]
        lines += ["", "Agreement with the gold codes, Krippendorff's alpha [95% CI] (model: out-of-fold, nested thresholds):", "",
                  "| group | " + " | ".join(comps) + " |", "|---|" + "---|" * len(comps)]
        for gi, g in enumerate(cb.group_keys):
            cells = [f"{rep['groups'][gi]['alpha']:.3f} [{rep['groups'][gi]['alpha_ci'][0]:.2f}, {rep['groups'][gi]['alpha_ci'][1]:.2f}]"
                     for rep in comps.values()]
            lines.append(f"| {g} | " + " | ".join(cells) + " |")
        ext = report.get("external")
        if ext:
            lines += ["", f"External check ({ext['n_cases']} AI Watch cases): application recall {ext['application_recall']:.3f}, "
                      f"coded regulatory {ext['share_coded_regulatory']:.3f}, sector hit rate {ext['sector_hit_rate']:.3f}."]
        lines += ["", f"Full report: `{out_dir / 'evaluation' / 'evaluation.html'}`; review queue: "
                  f"`{out_dir / 'evaluation' / 'review_queue.csv'}` ({report['review_queue_size']} rows)."]
    summary = "\n".join(lines) + "\n"
    atomic_write_text(out_dir / "summary.md", summary)
    atomic_write_text(out_dir / "summary.json", json.dumps(
        {"model": bundle.metadata["fingerprint"], "codebook_sha256": cb.sha256, "reused_model": res.reused,
         "n_entries": len(corpus.entries), "gold_counts": gold, "predicted_counts": predicted, "cv": cv},
        indent=1, sort_keys=True) + "\n")
    return summary
