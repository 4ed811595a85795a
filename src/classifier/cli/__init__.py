"""``atlas-coder`` command line: parses arguments and calls the Python API, nothing more.

Heavy libraries are imported inside each command, so ``atlas-coder --help`` starts fast.  Bad
input (and an output that cannot be written) ends with one line on stderr naming file, line,
field and problem, exit code 2, and no traceback; warnings about weak data are printed as
``atlas-coder: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from classifier import __version__
from classifier.errors import DataWarning, InputError


def _at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


positive_int = _at_least(1)


class Parser(argparse.ArgumentParser):
    """Argument errors follow the project's rule too: one line, exit code 2."""

    def error(self, message: str):
        self.exit(2, f"atlas-coder: error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from classifier.cli import commands as c
    from classifier.paths import DEFAULT_CODEBOOK, DEFAULT_MODEL, DEFAULT_STORE, HUMAN_KIT_DIR, REPORTS_DIR

    p = Parser(prog="atlas-coder", description="Pre-label and validate codings of city AI initiatives.")
    p.add_argument("--version", action="version", version=f"atlas-coder {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_args(sp, config: bool = True) -> None:
        sp.add_argument("--data", type=Path, default=None, help="data folder with corpus/ and annotations/ (default: bundled)")
        if config:
            sp.add_argument("--config", type=Path, default=None, help="training config YAML (default: training/config.yaml)")
            sp.add_argument("--seed", type=int, default=None, help="random seed (default: from the config)")

    t = sub.add_parser("train", help="train the classifier on the hand-coded corpus")
    data_args(t)
    t.add_argument("--out", type=Path, default=DEFAULT_MODEL, help=f"model bundle folder (default: {DEFAULT_MODEL})")
    t.add_argument("--no-tracking", action="store_true", help="do not log the run to MLflow")
    t.add_argument("--store", type=Path, default=None,
                   help="also train on this annotation store's latest decisions (they replace gold for the same entry)")
    t.add_argument("--store-coder", default=None, help="use only this coder's decisions from the store")
    t.set_defaults(func=c.cmd_train)

    pr = sub.add_parser("predict", help="suggest codes, scores and evidence for entries")
    pr.add_argument("input", type=Path, help="entries file (.jsonl, .csv or .xlsx)")
    pr.add_argument("--out", type=Path, required=True, help="output file (.jsonl, .csv or .xlsx)")
    pr.add_argument("--model", default=str(DEFAULT_MODEL), help="bundle folder or models:/atlas-coder@champion")
    pr.add_argument("--format", choices=["jsonl", "csv", "xlsx"], default=None, help="output format (default: from --out)")
    pr.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...",
                    help="column names of your export, e.g. title=Name,description=Summary")
    pr.set_defaults(func=c.cmd_predict)

    pl = sub.add_parser("prelabel", help="suggestions for coders in an annotation tool's import format, queue-ordered")
    pl.add_argument("input", type=Path, help="entries file (.jsonl, .csv or .xlsx)")
    pl.add_argument("--format", required=True, choices=["labelstudio", "doccano", "prodigy", "argilla", "csv"])
    pl.add_argument("--out", type=Path, required=True, help="output file (.json for labelstudio/argilla, .jsonl, .csv)")
    pl.add_argument("--model", default=str(DEFAULT_MODEL))
    pl.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...")
    pl.set_defaults(func=c.cmd_prelabel)

    im = sub.add_parser("import", help="read coders' decisions from a tool's export into the annotation store")
    im.add_argument("file", type=Path, help="export of Label Studio (.json), doccano/Prodigy (.jsonl), Argilla (.json) or a sheet (.csv/.xlsx)")
    im.add_argument("--coder", required=True, help="the coder's name, recorded with every decision")
    im.add_argument("--format", choices=["labelstudio", "doccano", "prodigy", "argilla", "csv"], default=None,
                    help="default: detected from the file")
    im.add_argument("--entries", type=Path, default=None, help="entries file: store the decided entries' text (to train on them)")
    im.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...")
    im.add_argument("--store", type=Path, default=DEFAULT_STORE, help=f"annotation store (default: {DEFAULT_STORE})")
    im.set_defaults(func=c.cmd_import)

    rv = sub.add_parser("review", help="local review page (127.0.0.1): accept or correct suggestions into the store")
    rv.add_argument("input", type=Path, nargs="?", default=None, help="entries file (default: the bundled corpus)")
    rv.add_argument("--coder", required=True, help="your name, recorded with every decision")
    rv.add_argument("--port", type=int, default=8765)
    rv.add_argument("--model", default=str(DEFAULT_MODEL))
    rv.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...")
    rv.add_argument("--store", type=Path, default=DEFAULT_STORE, help=f"annotation store (default: {DEFAULT_STORE})")
    rv.set_defaults(func=c.cmd_review)

    i = sub.add_parser("info", help="show model, codebook and data versions")
    i.add_argument("--model", default=str(DEFAULT_MODEL))
    i.add_argument("--data", type=Path, default=None)
    i.set_defaults(func=c.cmd_info)

    d = sub.add_parser("describe", help="corpus statistics: cities, membership, label counts, coder agreement")
    d.add_argument("--data", type=Path, default=None)
    d.set_defaults(func=c.cmd_describe)

    r = sub.add_parser("run", help="main job: featurise once, train if needed, predict the corpus, evaluate, report")
    data_args(r)
    r.add_argument("--out", type=Path, default=REPORTS_DIR, help="reports folder")
    r.add_argument("--seeds", type=positive_int, default=3, help="CV repetitions of the evaluation (default 3)")
    r.add_argument("--no-tracking", action="store_true")
    r.set_defaults(func=c.cmd_run)

    a = sub.add_parser("agree", help="agreement statistics between two or more label files")
    a.add_argument("files", nargs="+", type=Path, metavar="FILE", help="label files (JSONL): hand codes or predictions")
    a.add_argument("--out", type=Path, default=REPORTS_DIR / "agreement", help="output folder")
    a.add_argument("--resamples", type=positive_int, default=1000, help="bootstrap resamples (default 1000)")
    a.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    a.add_argument("--codebook", type=Path, default=DEFAULT_CODEBOOK)
    a.add_argument("--no-tracking", action="store_true")
    a.set_defaults(func=c.cmd_agree)

    cmp_ = sub.add_parser("compare", help="CCDR members vs non-members: shares, differences, intervals, tests")
    cmp_.add_argument("--entries", type=Path, default=None, help="entries (.jsonl, .csv, .xlsx; default: bundled corpus)")
    cmp_.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...", help="column names of the entries file")
    cmp_.add_argument("--cities", type=Path, default=None, help="cities file with ccdr_member (default: bundled)")
    cmp_.add_argument("--labels", choices=["hand", "model", "hybrid"], default="hand",
                      help="hand codes only, model labels for every entry, or hand where coded and model elsewhere")
    cmp_.add_argument("--gold", type=Path, default=None, help="hand codes (JSONL; default: bundled gold)")
    cmp_.add_argument("--model", default=str(DEFAULT_MODEL), help="model for the model/hybrid labels")
    cmp_.add_argument("--predictions", type=Path, default=None, help="use this label file (from `predict`) as model labels")
    cmp_.add_argument("--assume", action="append", default=[], metavar="CITY=yes|no",
                      help="scenario: count CITY as member (yes) or non-member (no); repeatable")
    cmp_.add_argument("--out", type=Path, default=REPORTS_DIR / "compare", help="output folder")
    cmp_.add_argument("--resamples", type=positive_int, default=2000, help="bootstrap resamples (default 2000)")
    cmp_.add_argument("--permutations", type=positive_int, default=2000, help="permutations (default 2000)")
    cmp_.add_argument("--seed", type=int, default=0)
    cmp_.add_argument("--no-tracking", action="store_true")
    cmp_.add_argument("--readme", action="store_true", help="print only the compact table kept in README.md")
    cmp_.set_defaults(func=c.cmd_compare)

    k = sub.add_parser("kit", help="human-coding kit: a stratified sample as coding sheet, Label Studio project, guide")
    k.add_argument("--data", type=Path, default=None)
    k.add_argument("--out", type=Path, default=HUMAN_KIT_DIR, help=f"kit folder (default: {HUMAN_KIT_DIR})")
    k.add_argument("--n", type=positive_int, default=60, help="entries in the sample (default 60)")
    k.add_argument("--min-positives", type=positive_int, default=5, help="gold positives per label (default 5)")
    k.add_argument("--seed", type=int, default=0)
    k.set_defaults(func=c.cmd_kit)

    ah = sub.add_parser("agree-humans", help="read the kit's returned sheets: human-human and human-gold agreement")
    ah.add_argument("--data", type=Path, default=None)
    ah.add_argument("--kit", type=Path, default=HUMAN_KIT_DIR, help=f"kit folder (default: {HUMAN_KIT_DIR})")
    ah.add_argument("--out", type=Path, default=REPORTS_DIR / "agree-humans", help="output folder")
    ah.add_argument("--resamples", type=positive_int, default=1000)
    ah.add_argument("--seed", type=int, default=0)
    ah.set_defaults(func=c.cmd_agree_humans)

    e = sub.add_parser("evaluate", help="out-of-fold model vs hand coding, coder vs coder, external check")
    data_args(e)
    e.add_argument("--seeds", type=positive_int, default=3, help="CV repetitions (default 3)")
    e.add_argument("--folds", type=_at_least(2), default=5)
    e.add_argument("--resamples", type=positive_int, default=1000)
    e.add_argument("--out", type=Path, default=REPORTS_DIR / "evaluation")
    e.add_argument("--model", default=str(DEFAULT_MODEL), help="bundle used for the external check")
    e.add_argument("--no-tracking", action="store_true")
    e.set_defaults(func=c.cmd_evaluate)
    return p


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, DataWarning):
        print(f"atlas-coder: warning: {message}", file=sys.stderr)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return args.func(args)
    except InputError as exc:
        print(f"atlas-coder: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. a disk that filled up or a folder that became read-only mid-run
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"atlas-coder: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("atlas-coder: interrupted; nothing was replaced", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = _default_showwarning


if __name__ == "__main__":
    raise SystemExit(main())
