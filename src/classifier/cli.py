"""``atlas-coder`` command line: a thin layer over the Python API.

Heavy libraries are imported inside each command, so ``atlas-coder --help`` starts fast.  Bad
input ends with one line on stderr (file, line, field, problem) and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from classifier import __version__
from classifier.errors import InputError


def _cmd_train(args: argparse.Namespace) -> int:
    from classifier.train import train

    res = train(args.data, args.out, args.seed, args.config, track=not args.no_tracking)
    m = res.bundle.metadata
    print(f"trained on {m['training_data']['n_units']} entries in {res.seconds:.1f} s -> {res.path}")
    for g in res.bundle.codebook.group_keys:
        s = m["cv_metrics"]["groups"][g]
        print(f"  {g:<24} CV micro-F1 {s['micro_f1']:.3f}  macro-F1 {s['macro_f1']:.3f}")
    if res.tracking:
        print(f"MLflow run {res.tracking['run_id']} ({res.tracking['tracking_uri']}); "
              f"registered atlas-coder v{res.tracking['model_version']} @champion")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from classifier.bundle import load_bundle
    from classifier.data import read_entries
    from classifier.predict import predict_entries, write_predictions

    entries = read_entries(args.input)
    bundle = load_bundle(args.model)
    preds = predict_entries(entries, bundle)
    write_predictions(args.out, preds, bundle.codebook, args.format)
    print(f"wrote predictions for {len(preds)} entries to {args.out}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from classifier.info import info_lines

    print("\n".join(info_lines(args.model, args.data)))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from classifier.pipeline import run_main_job

    summary = run_main_job(args.data, args.out, seed=args.seed)
    print(summary)
    return 0


def _cmd_describe(args: argparse.Namespace) -> int:
    from classifier.corpus_stats import describe_corpus

    print(describe_corpus(args.data), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from classifier.paths import DEFAULT_MODEL, REPORTS_DIR

    p = argparse.ArgumentParser(prog="atlas-coder", description="Pre-label and validate codings of city AI initiatives.")
    p.add_argument("--version", action="version", version=f"atlas-coder {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train the classifier on the hand-coded corpus")
    t.add_argument("--data", type=Path, default=None, help="data folder with corpus/ and annotations/ (default: bundled)")
    t.add_argument("--out", type=Path, default=None, help=f"model bundle folder (default: {DEFAULT_MODEL})")
    t.add_argument("--seed", type=int, default=None, help="random seed (default: from training/config.yaml)")
    t.add_argument("--config", type=Path, default=None, help="training config YAML (default: training/config.yaml)")
    t.add_argument("--no-tracking", action="store_true", help="do not log the run to MLflow")
    t.set_defaults(func=_cmd_train)

    pr = sub.add_parser("predict", help="suggest codes, scores and evidence for entries")
    pr.add_argument("input", type=Path, help="entries file (.jsonl, .csv or .xlsx)")
    pr.add_argument("--out", type=Path, required=True, help="output file")
    pr.add_argument("--model", default=str(DEFAULT_MODEL), help="bundle folder or models:/atlas-coder@champion")
    pr.add_argument("--format", choices=["jsonl", "csv"], default=None, help="output format (default: from --out)")
    pr.set_defaults(func=_cmd_predict)

    i = sub.add_parser("info", help="show model, codebook and data versions")
    i.add_argument("--model", default=str(DEFAULT_MODEL))
    i.add_argument("--data", type=Path, default=None)
    i.set_defaults(func=_cmd_info)

    d = sub.add_parser("describe", help="corpus statistics: cities, membership, label counts, coder agreement")
    d.add_argument("--data", type=Path, default=None)
    d.set_defaults(func=_cmd_describe)

    r = sub.add_parser("run", help="main job: train if needed, predict the corpus, write reports")
    r.add_argument("--data", type=Path, default=None)
    r.add_argument("--out", type=Path, default=REPORTS_DIR, help="reports folder")
    r.add_argument("--seed", type=int, default=None)
    r.set_defaults(func=_cmd_run)

    _add_report_commands(sub)
    return p


def _add_report_commands(sub) -> None:
    """Commands added by the reliability tooling (kept separate so the core stays small)."""
    try:
        from classifier.cli_reports import add_commands
    except ImportError:
        return
    add_commands(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"atlas-coder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("atlas-coder: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
