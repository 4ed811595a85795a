"""``atlas-coder evaluate``: the model as one more coder, judged like the human coders.

Out-of-fold predictions for every corpus entry come from repeated multilabel-stratified k-fold
cross-validation; each training fold tunes its own thresholds with an inner CV, so no test
entry influences its own prediction.  The report sets model-vs-gold beside coder-vs-coder and
coder-vs-gold agreement for every label, adds precision/recall/F1 (mean ± sd over seeds), an
external check and a review queue of likely coding errors.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from classifier.agreement import Coding, agreement
from classifier.codebook import Codebook
from classifier.metrics import prf
from classifier.model import AtlasClassifier, codes_from_row, label_matrix
from classifier.paths import CACHE_DIR, DEFAULT_MODEL, EXTERNAL_DIR, REPORTS_DIR

COMPARISONS = (("model", "gold"), ("coder_a", "coder_b"), ("coder_a", "gold"), ("coder_b", "gold"))


def out_of_fold(X: np.ndarray, Y: np.ndarray, params: dict, seed: int, folds: int):
    """OOF probabilities and constrained predictions for one CV repetition, plus the fold models."""
    base = AtlasClassifier(**params)
    P = np.zeros(Y.shape)
    pred = np.zeros(Y.shape, dtype=np.int64)
    models = []
    from tqdm import tqdm

    for train_idx, test_idx in tqdm(base.cv_splits(Y, folds, seed), desc=f"out-of-fold CV, seed {seed}", disable=None, leave=False):
        m = AtlasClassifier(**{**params, "seed": seed}).fit(X[train_idx], Y[train_idx], progress=False)
        P[test_idx] = m.predict_proba(X[test_idx])
        pred[test_idx] = m.predict(X[test_idx], proba=P[test_idx])
        models.append((test_idx, m))
    return P, pred, models


def _pr_table(ref: np.ndarray, other: np.ndarray, labels) -> dict[str, dict[str, float]]:
    return {lab: prf(ref[:, j], other[:, j]) for j, (_, lab) in enumerate(labels)}


def evaluate(data_dir: str | Path | None = None, *, seeds: int = 3, folds: int = 5, out_dir: str | Path | None = None,
             n_resamples: int = 1000, external_dir: str | Path | None = EXTERNAL_DIR, model: str | Path = DEFAULT_MODEL,
             track: bool = True, cache_dir: str | Path | None = CACHE_DIR / "embeddings") -> dict[str, Any]:
    from classifier.bundle import load_bundle
    from classifier.config import load_config
    from classifier.data import atomic_write_text, read_labels, write_csv, write_jsonl
    from classifier.embed import SentenceEncoder
    from classifier.features import featurize
    from classifier.train import load_corpus
    from classifier.report_html import render_html

    out_dir = Path(out_dir) if out_dir is not None else REPORTS_DIR / "evaluation"
    cfg = load_config()
    corpus = load_corpus(data_dir)
    cb: Codebook = corpus.codebook
    ann = corpus.gold_path.parent
    coders = {name: read_labels(ann / f"{name}.jsonl", cb) for name in ("coder_a", "coder_b")}
    entries = corpus.coded_entries
    ids = [e.id for e in entries]
    feats = featurize(entries, SentenceEncoder(cfg.embedding_model, batch_size=cfg.batch_size), cache_dir=cache_dir,
                      pooling=cfg.pooling, max_document_sentences=cfg.max_document_sentences)
    Y = corpus.Y()
    params = {**cfg.classifier_params(), "codebook": cb}
    labels = cb.all_labels

    runs = [out_of_fold(feats.X, Y, params, cfg.seed + s, folds) for s in range(seeds)]
    gold_coding = Coding("gold", {u: corpus.gold[u].codes for u in ids})
    coder_codings = {n: Coding(n, {u: r.codes for u, r in recs.items()}) for n, recs in coders.items()}

    def model_coding(pred: np.ndarray) -> Coding:
        return Coding("model", {u: codes_from_row(pred[i], cb) for i, u in enumerate(ids)})

    # agreement for every comparison; the model's rows are averaged over seeds
    comparisons: dict[str, Any] = {}
    for a, b in COMPARISONS:
        key = f"{a} ~ {b}"
        if a == "model":
            reps = [agreement([model_coding(pred), gold_coding], cb, n_resamples=n_resamples, seed=s)
                    for s, (_, pred, _) in enumerate(runs)]
            rep = reps[0]
            for section in ("labels", "groups"):
                for i, row in enumerate(rep[section]):
                    for stat in ("alpha", "kappa", "ac1", "percent_agreement"):
                        vals = np.array([r[section][i][stat] for r in reps], dtype=float)
                        row[f"{stat}_mean"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
                        row[f"{stat}_sd"] = float(np.nanstd(vals)) if np.isfinite(vals).any() else float("nan")
            Pmats = [label_matrix([codes_from_row(p[i], cb) for i in range(len(ids))], cb) for _, p, _ in runs]
        else:
            rep = agreement([coder_codings[a] if a != "gold" else gold_coding,
                             coder_codings[b] if b != "gold" else gold_coding], cb, n_resamples=n_resamples, seed=0)
            Pmats = [label_matrix([(coder_codings[a].codes.get(u) or {}) for u in ids], cb)]
        ref = Y if b == "gold" else label_matrix([(coder_codings[b].codes.get(u) or {}) for u in ids], cb)
        prs = [_pr_table(ref, P, labels) for P in Pmats]
        pr = {lab: {f"{m}_{s}": float(f(np.array([t[lab][m] for t in prs])))
                    for m in ("precision", "recall", "f1") for s, f in (("mean", np.mean), ("sd", np.std))}
              for _, lab in labels}
        for row in rep["labels"]:
            row.update(pr[row["label"]])
            row["support"] = int(ref[:, labels.index((row["group"], row["label"]))].sum())
        comparisons[key] = rep

    # review queue: confident out-of-fold disagreements with gold
    P_mean = np.mean([P for P, _, _ in runs], axis=0)
    votes = np.mean([pred for _, pred, _ in runs], axis=0)
    sent_p = {}
    for test_idx, m in runs[0][2]:
        for i in test_idx:
            sent_p[i] = (m.sentence_proba(feats.sentence_matrix(i)), m.thresholds_)
    queue = []
    for i, e in enumerate(entries):
        for j, (g, lab) in enumerate(labels):
            if round(votes[i, j]) == Y[i, j]:
                continue
            conf = P_mean[i, j] if Y[i, j] == 0 else 1 - P_mean[i, j]
            sp = sent_p[i][0][:, j]
            k = int(np.argmax(sp))  # the sentence the model finds most supportive of the label
            queue.append({"id": e.id, "city": e.city, "title": e.title, "group": g, "label": lab,
                          "gold": int(Y[i, j]), "model_says": "present" if Y[i, j] == 0 else "absent",
                          "model_probability": round(float(P_mean[i, j]), 4), "confidence": round(float(conf), 4),
                          "seeds_disagreeing": int(round(abs(votes[i, j] - Y[i, j]) * seeds)),
                          "coder_a": int(lab in coders["coder_a"][e.id].codes[g]) if e.id in coders["coder_a"] else "",
                          "coder_b": int(lab in coders["coder_b"][e.id].codes[g]) if e.id in coders["coder_b"] else "",
                          "top_sentence": feats.sentences[i][k]})
    queue.sort(key=lambda r: (-r["confidence"], r["id"], r["label"]))
    for rank, row in enumerate(queue, 1):
        row["rank"] = rank

    external = None
    if external_dir is not None and Path(external_dir, "cases.jsonl").exists():
        from classifier.external import external_check

        external = external_check(load_bundle(model), external_dir, cache_dir=cache_dir)

    report = {
        "codebook": {"name": cb.name, "version": cb.version, "sha256": cb.sha256},
        "training_data_sha256": corpus.sha256,
        "n_units": len(ids), "seeds": [cfg.seed + s for s in range(seeds)], "folds": folds,
        "method": ("repeated multilabel-stratified k-fold CV; thresholds tuned by an inner CV inside each training fold; "
                   "model rows: agreement and P/R/F1 averaged over seeds (mean ± sd), bootstrap CI from the first seed"),
        "comparisons": comparisons,
        "external": external,
        "review_queue_size": len(queue),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "model_oof.jsonl", ({"id": u, **codes_from_row(runs[0][1][i], cb), "coder": f"model (out-of-fold, seed {cfg.seed})"}
                                              for i, u in enumerate(ids)))
    qcols = ["rank", "id", "city", "title", "group", "label", "gold", "model_says", "model_probability", "confidence",
             "seeds_disagreeing", "coder_a", "coder_b", "top_sentence"]
    write_csv(out_dir / "review_queue.csv", queue, qcols)
    atomic_write_text(out_dir / "evaluation.json", json.dumps(report, indent=1, sort_keys=True, default=float) + "\n")
    md = evaluation_markdown(report, cb)
    atomic_write_text(out_dir / "evaluation.md", md)
    atomic_write_text(out_dir / "evaluation.html", render_html(report, cb, md))
    if track:
        from classifier.tracking import log_report_run

        metrics = {f"{k.replace(' ~ ', '_vs_')}.{g['group']}.alpha": g["alpha"] for k, rep in comparisons.items() for g in rep["groups"]}
        if external:
            metrics.update({f"external.{k}": v for k, v in external.items() if isinstance(v, float)})
        report["mlflow_run_id"] = log_report_run("evaluate", {"seeds": seeds, "folds": folds, "resamples": n_resamples,
                                                              "codebook_sha256": cb.sha256}, metrics, out_dir)
    return report


def _f(v, ci=None) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:.3f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci is not None and all(np.isfinite(ci)) else "")


def evaluation_markdown(report: dict[str, Any], cb: Codebook) -> str:
    comps = report["comparisons"]
    lines = ["# Evaluation: model vs hand coding", "",
             f"{report['n_units']} gold-coded entries; {report['folds']}-fold CV repeated with seeds {report['seeds']}. "
             f"{report['method']}. Codebook {cb.name} {cb.version} (sha256 {cb.sha256[:12]}).", "",
             "## Krippendorff's alpha per group [95% CI]", "",
             "| group | " + " | ".join(comps) + " |", "|---|" + "---|" * len(comps)]
    for gi, g in enumerate(cb.group_keys):
        cells = []
        for k, rep in comps.items():
            row = rep["groups"][gi]
            cell = _f(row["alpha"], row["alpha_ci"])
            if "alpha_sd" in row:
                cell += f" (mean {row['alpha_mean']:.3f} ± {row['alpha_sd']:.3f})"
            cells.append(cell)
        lines.append(f"| {g} | " + " | ".join(cells) + " |")
    lines += ["", "## Per label", "",
              "Alpha / kappa / AC1 with 95% CI; P/R/F1 of the first file against the second (model: mean ± sd over seeds).", ""]
    for k, rep in comps.items():
        lines += [f"### {k}", "", "| label | support | % agr | kappa | alpha | AC1 | precision | recall | F1 | verdict |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for row in rep["labels"]:
            lines.append(f"| {row['group']}: {row['label']} | {row['support']} | {_f(row['percent_agreement'])} | "
                         f"{_f(row['kappa'], row['kappa_ci'])} | {_f(row['alpha'], row['alpha_ci'])} | {_f(row['ac1'], row['ac1_ci'])} | "
                         f"{row['precision_mean']:.3f} ± {row['precision_sd']:.3f} | {row['recall_mean']:.3f} ± {row['recall_sd']:.3f} | "
                         f"{row['f1_mean']:.3f} ± {row['f1_sd']:.3f} | {row['verdict']} |")
        lines.append("")
    ext = report.get("external")
    lines += ["## External check (AI Watch T6, never trained on)", ""]
    if ext:
        lines += [f"{ext['n_cases']} public-sector AI application cases: application recall {ext['application_recall']:.3f}, "
                  f"share wrongly coded regulatory {ext['share_coded_regulatory']:.3f}, sector hit rate {ext['sector_hit_rate']:.3f} "
                  "(predicted sectors include one accepted for the case's COFOG sector)."]
    else:
        lines.append("Not run: the external data folder was not found.")
    lines += ["", f"## Review queue", "", f"{report['review_queue_size']} unit-label pairs where the out-of-fold model disagrees "
              "with gold, ranked by confidence: `review_queue.csv`."]
    return "\n".join(lines) + "\n"
