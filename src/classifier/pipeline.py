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
                 seed: int | None = None) -> str:
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
    lines += [f"| {g} | {s['micro_f1']:.3f} | {s['macro_f1']:.3f} |" for g, s in cv["groups"].items()]
    lines += ["", "| group | label | gold | predicted (in-sample) | CV F1 |", "|---|---|---|---|---|"]
    for g, lab in cb.all_labels:
        lines.append(f"| {g} | {lab} | {gold[lab]} | {predicted[lab]} | {cv['labels'][lab]['f1']:.3f} |")
    summary = "\n".join(lines) + "\n"
    atomic_write_text(out_dir / "summary.md", summary)
    atomic_write_text(out_dir / "summary.json", json.dumps(
        {"model": bundle.metadata["fingerprint"], "codebook_sha256": cb.sha256, "reused_model": res.reused,
         "n_entries": len(corpus.entries), "gold_counts": gold, "predicted_counts": predicted, "cv": cv},
        indent=1, sort_keys=True) + "\n")
    return summary
