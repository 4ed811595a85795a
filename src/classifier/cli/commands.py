"""One function per command: check outputs, call the API, print a short result."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_train(args: argparse.Namespace) -> int:
    from classifier.model.train import train

    corpus = None
    if args.store is not None:
        import warnings

        from classifier.errors import DataWarning, InputError
        from classifier.io.corpus import load_corpus, with_store_decisions

        if not args.store.exists():
            raise InputError(args.store, "no annotation store here (create one with `atlas-coder import` or `review`)")
        corpus, notes = with_store_decisions(load_corpus(args.data), args.store, args.store_coder)
        for n in notes:
            warnings.warn(n, DataWarning, stacklevel=2)
    res = train(args.data, args.out, args.seed, args.config, corpus=corpus, track=not args.no_tracking)
    m = res.bundle.metadata
    print(f"trained on {m['training_data']['n_units']} entries in {res.seconds:.1f} s -> {res.path}")
    for g in res.bundle.codebook.group_keys:
        s = m["cv_metrics"]["groups"][g]
        print(f"  {g:<24} CV micro-F1 {s['micro_f1']:.3f}  macro-F1 {s['macro_f1']:.3f}  (optimistic: thresholds tuned on these folds)")
    if res.tracking:
        print(f"MLflow run {res.tracking['run_id']} ({res.tracking['tracking_uri']}); "
              f"registered atlas-coder v{res.tracking['model_version']} @champion")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from classifier.io.atomic import check_output_file
    from classifier.io.entries import read_entries
    from classifier.model.bundle import load_bundle
    from classifier.model.predict import output_format, predict_entries, write_predictions

    fmt = output_format(args.out, args.format)
    model_files = [] if str(args.model).startswith(("models:/", "runs:/")) else list(Path(args.model).glob("*"))
    check_output_file(args.out, inputs=[args.input, *model_files])
    from classifier.io.entries import parse_columns

    entries = read_entries(args.input, columns=parse_columns(args.columns))
    documents = [Path(args.input).parent / d for e in entries for d in e.documents]
    check_output_file(args.out, inputs=documents)  # read now, before the model loads
    bundle = load_bundle(args.model)
    preds = predict_entries(entries, bundle)
    write_predictions(args.out, preds, bundle.codebook, fmt)
    print(f"wrote predictions for {len(preds)} entries to {args.out}")
    return 0


def cmd_prelabel(args: argparse.Namespace) -> int:
    from classifier.coding.exchange import write_prelabels
    from classifier.io.atomic import check_output_file
    from classifier.io.entries import parse_columns, read_entries
    from classifier.model.bundle import load_bundle
    from classifier.model.predict import predict_entries

    model_files = [] if str(args.model).startswith(("models:/", "runs:/")) else list(Path(args.model).glob("*"))
    check_output_file(args.out, inputs=[args.input, *model_files])
    entries = read_entries(args.input, columns=parse_columns(args.columns))
    bundle = load_bundle(args.model)
    preds = predict_entries(entries, bundle)
    files = write_prelabels(args.out, args.format, entries, preds, bundle.codebook)
    print(f"suggestions for {len(preds)} entries, most expected label changes first: {', '.join(map(str, files))}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from classifier.coding.exchange import read_decisions
    from classifier.coding.store import AnnotationStore
    from classifier.errors import InputError
    from classifier.io.codebook import load_codebook
    from classifier.io.entries import parse_columns, read_entries

    cb = load_codebook()
    decided = read_decisions(args.file, cb, args.format)  # every record checked before anything is written
    if not decided:
        raise InputError(args.file, "contains no decided records")
    entries = []
    if args.entries is not None:
        by_id = {e.id: e for e in read_entries(args.entries, columns=parse_columns(args.columns))}
        missing = sorted({u for u, _, _ in decided} - set(by_id))
        if missing:
            raise InputError(args.entries, f"entry {missing[0]!r} of {args.file.name} is not in this entries file", field="id")
        entries = [by_id[u] for u in dict.fromkeys(u for u, _, _ in decided)]
    store = AnnotationStore(args.store, cb)
    n = store.add([(u, args.coder, codes, f"import:{args.file.name}", note) for u, codes, note in decided], entries=entries)
    print(f"stored {n} decisions of {args.coder} from {args.file} in {args.store} "
          f"({len(store.history())} decisions in all; nothing is overwritten, the latest per coder and entry counts)")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from classifier.coding.review import ReviewSession, serve
    from classifier.coding.store import AnnotationStore
    from classifier.io.entries import parse_columns, read_entries
    from classifier.model.bundle import load_bundle
    from classifier.model.predict import predict_entries
    from classifier.paths import CORPUS_DIR

    path = args.input or CORPUS_DIR / "initiatives.jsonl"
    entries = read_entries(path, columns=parse_columns(args.columns))
    bundle = load_bundle(args.model)
    preds = predict_entries(entries, bundle)
    session = ReviewSession({e.id: e for e in entries}, preds, bundle.codebook,
                            AnnotationStore(args.store, bundle.codebook), args.coder)
    print(f"review page for {len(entries)} entries: http://127.0.0.1:{args.port}/  (decisions go to {args.store}; "
          "Ctrl-C stops)")
    try:
        serve(session, args.port)
    except KeyboardInterrupt:
        pass
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from classifier.reports.info import info_lines

    print("\n".join(info_lines(args.model, args.data)))
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    from classifier.reports.describe import describe_corpus

    print(describe_corpus(args.data), end="")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from classifier.analysis.run import run_comparison
    from classifier.reports.compare import terminal_table

    res = run_comparison(args.labels, entries=args.entries, columns=args.columns, cities=args.cities, gold=args.gold, out=args.out,
                         model=args.model, predictions=args.predictions, assume=args.assume, n_boot=args.resamples,
                         n_perm=args.permutations, seed=args.seed)
    if not args.no_tracking:
        from classifier.tracking import log_report_run

        metrics = {f"diff.{r['key']}": r["diff"] for r in res.report["rows"] if r.get("diff") is not None}
        log_report_run("compare", {"labels": args.labels, "resamples": args.resamples,
                                   "permutations": args.permutations, "seed": args.seed,
                                   "assume": ";".join(args.assume) or "none"}, metrics, res.out_dir)
    if args.readme:
        from classifier.reports.compare import readme_table

        print(readme_table(res.report), end="")
        return 0
    print(res.meta["title"])
    for n in res.meta["notes"]:
        print(f"note: {n}")
    print(terminal_table(res.report))
    print(f"\nfull report: {res.out_dir / 'compare.html'} (also .md, .csv, .tex, .json)")
    return 0


def cmd_kit(args: argparse.Namespace) -> int:
    from classifier.coding.kit import build_kit
    from classifier.io.corpus import load_corpus

    sample = build_kit(load_corpus(args.data), args.out, n=args.n, min_positives=args.min_positives, seed=args.seed)
    print(f"kit for {len(sample.ids)} entries written to {args.out} (README.md there says what to do)")
    for lab, (have, total) in sample.short.items():
        print(f"atlas-coder: warning: {lab}: {have} gold positives in the sample (the corpus has {total})")
    return 0


def cmd_agree_humans(args: argparse.Namespace) -> int:
    from classifier.coding.kit import agree_humans
    from classifier.io.atomic import check_output_dir
    from classifier.io.corpus import load_corpus
    from classifier.reports.agreement import write_human_agreement

    check_output_dir(args.out)
    report = agree_humans(args.kit, load_corpus(args.data), n_resamples=args.resamples, seed=args.seed)
    md = write_human_agreement(report, args.out)
    print(md.split("## Human against gold")[0].split("### Labels")[0].rstrip())
    print(f"\nfull report: {args.out / 'agree-humans.md'}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from classifier.pipeline import run_main_job

    result = run_main_job(args.data, args.out, seed=args.seed, config=args.config, seeds=args.seeds,
                          track=not args.no_tracking)
    print(result.summary)
    return 0


def _coder_names(paths: list[Path], records: list[dict]) -> list[str]:
    """Name each file by its records' common ``coder`` field, else by its file name."""
    names = []
    for p, recs in zip(paths, records):
        coders = {r.coder for r in recs.values()}
        names.append(coders.pop() if len(coders) == 1 and None not in coders else p.stem)
    if len(set(names)) < len(names):
        names = [str(p) for p in paths] if len({p.stem for p in paths}) < len(paths) else [p.stem for p in paths]
    return names


def cmd_agree(args: argparse.Namespace) -> int:
    import sys
    from collections import Counter

    from classifier.errors import InputError
    from classifier.io.atomic import check_output_dir
    from classifier.io.codebook import load_codebook
    from classifier.io.codes import Coding, read_labels
    from classifier.reliability.agreement import agreement
    from classifier.reports.agreement import FILES, write_agreement

    if len(args.files) < 2:
        raise InputError(None, "agree needs at least two label files")
    check_output_dir(args.out, writes=FILES, inputs=args.files)
    cb = load_codebook(args.codebook)
    records = [read_labels(p, cb) for p in args.files]
    seen = Counter(u for recs in records for u in recs)
    shared = sum(1 for n in seen.values() if n >= 2)
    if shared == 0:
        raise InputError(args.files[1], "no id appears in more than one file, so there is nothing to compare "
                                        "(do the files code the same entries, with the same ids?)", field="id")
    if shared < len(seen):
        print(f"atlas-coder: warning: {len(seen) - shared} of {len(seen)} ids are coded in only one file; "
              "they count as missing data", file=sys.stderr)
    names = _coder_names(args.files, records)
    report = agreement([Coding.from_records(n, r) for n, r in zip(names, records)], cb,
                       n_resamples=args.resamples, seed=args.seed)
    md = write_agreement(report, args.out)
    if not args.no_tracking:
        from classifier.tracking import log_report_run

        log_report_run("agree", {"files": [str(p) for p in args.files], "resamples": args.resamples, "seed": args.seed},
                       {f"{g['group']}.alpha": g["alpha"] for g in report["groups"]}, args.out)
    print("Groups" + md.split("## Labels")[0].split("## Groups", 1)[-1].rstrip())
    print(f"\nfull report: {args.out / 'agreement.md'} (JSON: agreement.json, disagreements.csv)")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from classifier.config import load_config
    from classifier.io.atomic import check_output_dir
    from classifier.io.corpus import load_corpus
    from classifier.model.bundle import load_bundle
    from classifier.model.features import featurize_with_config
    from classifier.paths import CACHE_DIR, EXTERNAL_DIR
    from classifier.pipeline import log_evaluation
    from classifier.reliability.evaluate import evaluate
    from classifier.reports.evaluation import write_evaluation

    check_output_dir(args.out)
    cfg = load_config(args.config).with_seed(args.seed)
    corpus = load_corpus(args.data)
    bundle = load_bundle(args.model)
    features = featurize_with_config(corpus.coded_entries, cfg, codebook=corpus.codebook, cache_dir=CACHE_DIR / "embeddings")
    ev = evaluate(corpus, features, cfg, seeds=args.seeds, folds=args.folds, n_resamples=args.resamples, bundle=bundle,
                  external_dir=EXTERNAL_DIR, cache_dir=CACHE_DIR / "embeddings")
    write_evaluation(ev, corpus.codebook, args.out)
    if not args.no_tracking:
        log_evaluation(ev.report, args.out, args.seeds, args.resamples)
    print(f"evaluation of {ev.report['n_units']} entries written to {args.out}/evaluation.html (.md, .json, review_queue.csv)")
    for key, rep in ev.report["comparisons"].items():
        print(f"  {key:<18} " + "  ".join(f"{g['group']} alpha {g['alpha']:.3f}" for g in rep["groups"]))
    return 0
