"""The reliability commands of the CLI: ``agree`` and ``evaluate``."""

from __future__ import annotations

import argparse
from pathlib import Path


def _coder_names(paths: list[Path], records: list[dict]) -> list[str]:
    """Name each file by its records' common ``coder`` field, else by its file name."""
    names = []
    for p, recs in zip(paths, records):
        coders = {r.coder for r in recs.values()}
        names.append(coders.pop() if len(coders) == 1 and None not in coders else p.stem)
    if len(set(names)) < len(names):
        names = [str(p) for p in paths] if len({p.stem for p in paths}) < len(paths) else [p.stem for p in paths]
    return names


def _cmd_agree(args: argparse.Namespace) -> int:
    import json

    from classifier.agreement import Coding, agreement, to_markdown
    from classifier.codebook import load_codebook
    from classifier.data import atomic_write_text, read_labels, write_csv
    from classifier.errors import InputError

    if len(args.files) < 2:
        raise InputError(None, "agree needs at least two label files")
    cb = load_codebook(args.codebook)
    records = [read_labels(p, cb) for p in args.files]
    names = _coder_names(args.files, records)
    report = agreement([Coding.from_records(n, r) for n, r in zip(names, records)], cb,
                       n_resamples=args.resamples, seed=args.seed)
    md = to_markdown(report)
    rows = [{"group": s["group"], "label": s["label"], "id": u} for s in report["labels"] for u in s["disagreements"]]
    out = args.out
    atomic_write_text(out / "agreement.json", json.dumps(report, indent=1, sort_keys=True) + "\n")
    atomic_write_text(out / "agreement.md", md)
    write_csv(out / "disagreements.csv", rows, ["group", "label", "id"])
    print("\n".join(md.split("## Labels")[0].splitlines()[2:]).strip())
    print(f"\nfull report: {out / 'agreement.md'} (JSON: agreement.json, disagreements.csv)")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from classifier.evaluate import evaluate

    report = evaluate(args.data, seeds=args.seeds, folds=args.folds, out_dir=args.out, n_resamples=args.resamples,
                      model=args.model, track=not args.no_tracking)
    print(f"evaluation of {report['n_units']} entries written to {args.out}/evaluation.html (.md, .json, review_queue.csv)")
    for key, rep in report["comparisons"].items():
        print(f"  {key:<18} " + "  ".join(f"{g['group']} alpha {g['alpha']:.3f}" for g in rep["groups"]))
    return 0


def add_commands(sub) -> None:
    from classifier.paths import DEFAULT_CODEBOOK, DEFAULT_MODEL, REPORTS_DIR

    a = sub.add_parser("agree", help="agreement statistics between two or more label files")
    a.add_argument("files", nargs="+", type=Path, metavar="FILE", help="label files (JSONL): hand codes or predictions")
    a.add_argument("--out", type=Path, default=REPORTS_DIR / "agreement", help="output folder")
    a.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    a.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    a.add_argument("--codebook", type=Path, default=DEFAULT_CODEBOOK)
    a.set_defaults(func=_cmd_agree)

    e = sub.add_parser("evaluate", help="out-of-fold model vs hand coding, coder vs coder, external check")
    e.add_argument("--data", type=Path, default=None)
    e.add_argument("--seeds", type=int, default=3, help="CV repetitions (default 3)")
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--resamples", type=int, default=1000)
    e.add_argument("--out", type=Path, default=REPORTS_DIR / "evaluation")
    e.add_argument("--model", default=str(DEFAULT_MODEL), help="bundle used for the external check")
    e.add_argument("--no-tracking", action="store_true")
    e.set_defaults(func=_cmd_evaluate)
