"""The human-coding kit: a stratified sample packaged for two human coders, and reading it back.

All coders of the bundled corpus are sessions of one AI model, so their agreement says little
about how people would code.  The kit makes the human check cheap: ``build_kit`` draws a sample
in which every label has enough gold positives to be measured, and writes it as a coding sheet
(CSV and XLSX), a Label Studio project and a printable guide; ``agree_humans`` reads the
returned files and reports human-human and human-gold agreement per label.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from classifier.errors import InputError
from classifier.io.atomic import atomic_write_text
from classifier.io.corpus import Corpus
from classifier.io.tables import json_dumps, write_csv

KIT_FILES = ("README.md", "sample.csv", "coding_sheet.csv", "coding_sheet.xlsx", "guide.html",
             "labelstudio/config.xml", "labelstudio/tasks.json")
RETURNED = "returned"


@dataclass
class KitSample:
    ids: list[str]
    positives: dict[str, int]          # label -> gold positives in the sample
    short: dict[str, tuple[int, int]]  # label -> (in sample, in corpus) where the floor is not met


def stratified_sample(Y: np.ndarray, ids: Sequence[str], labels: Sequence[str], n: int = 60, min_positives: int = 5,
                      seed: int = 0) -> KitSample:
    """``n`` entries in which every label has at least ``min_positives`` gold positives.

    Greedy on the rarest label first: while some label is short of the floor, take, among the
    entries carrying that label, the one that fills the most short labels (ties broken by a
    seeded shuffle); then fill up to ``n`` with a seeded random draw of the rest.  A label with
    fewer positives in the whole corpus than the floor gets all of them and is reported.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(ids))
    chosen: list[int] = []
    taken = np.zeros(len(ids), dtype=bool)
    target = np.minimum(Y.sum(axis=0), min_positives)
    while len(chosen) < n:
        have = Y[chosen].sum(axis=0) if chosen else np.zeros(Y.shape[1], dtype=int)
        need = np.flatnonzero(have < target)
        if not len(need):
            break
        rarest = need[np.argmin(Y.sum(axis=0)[need])]
        candidates = [i for i in order if not taken[i] and Y[i, rarest]]
        gain = [int((Y[i, need] > 0).sum()) for i in candidates]
        pick = candidates[int(np.argmax(gain))]
        chosen.append(pick)
        taken[pick] = True
    for i in order:
        if len(chosen) >= n:
            break
        if not taken[i]:
            chosen.append(i)
            taken[i] = True
    chosen.sort(key=lambda i: ids[i])
    have = Y[chosen].sum(axis=0)
    total = Y.sum(axis=0)
    return KitSample([ids[i] for i in chosen], {lab: int(have[j]) for j, lab in enumerate(labels)},
                     {lab: (int(have[j]), int(total[j])) for j, lab in enumerate(labels) if have[j] < min_positives})


def build_kit(corpus: Corpus, out_dir: str | Path, n: int = 60, min_positives: int = 5, seed: int = 0) -> KitSample:
    """Write the kit for a stratified sample of the coded corpus into ``out_dir``."""
    from classifier.coding.sheets import labelstudio_config, labelstudio_tasks, write_coding_sheet
    from classifier.reports.render import render

    out = Path(out_dir)
    cb = corpus.codebook
    ids = corpus.coded_ids
    labels = [lab for _, lab in cb.all_labels]
    sample = stratified_sample(corpus.Y(), ids, labels, n=n, min_positives=min_positives, seed=seed)
    by_id = {e.id: e for e in corpus.entries}
    entries = [by_id[u] for u in sample.ids]
    (out / "labelstudio").mkdir(parents=True, exist_ok=True)
    (out / RETURNED).mkdir(parents=True, exist_ok=True)
    write_csv(out / "sample.csv", [{"id": u, "city": by_id[u].city, "title": by_id[u].title} for u in sample.ids],
              ["id", "city", "title"])
    write_coding_sheet(out / "coding_sheet.csv", entries, cb)
    write_coding_sheet(out / "coding_sheet.xlsx", entries, cb)
    atomic_write_text(out / "labelstudio" / "config.xml", labelstudio_config(cb))
    atomic_write_text(out / "labelstudio" / "tasks.json", json_dumps(labelstudio_tasks(entries)))
    atomic_write_text(out / "guide.html", render("coding_guide.html.j2", cb=cb))
    atomic_write_text(out / "README.md", render("coding_kit.md.j2", cb=cb, sample=sample, n=len(sample.ids),
                                                min_positives=min_positives, seed=seed,
                                                n_docs=sum(1 for e in entries if e.documents)))
    keep = out / RETURNED / ".gitkeep"
    if not keep.exists():
        keep.write_text("", encoding="utf-8")
    return sample


def read_returned(kit_dir: str | Path, corpus: Corpus) -> dict[str, dict[str, Any]]:
    """Every returned coding: ``{coder: {entry id: LabelRecord}}`` from ``returned/``.

    A spreadsheet ``<name>.csv``/``.xlsx`` is coder ``human:<name>``; a Label Studio export
    ``*.json`` holds one coder per annotator.  Entries outside the kit's sample are refused (the
    gold comparison would not be the stratified one).
    """
    from classifier.coding.sheets import read_coding_sheet, read_labelstudio_export
    from classifier.io.tables import csv_rows

    kit = Path(kit_dir)
    folder = kit / RETURNED
    sample_path = kit / "sample.csv"
    if not sample_path.exists():
        raise InputError(sample_path, "no kit here: build it first with `atlas-coder kit`")
    sample = {str(r["id"]).strip() for _, r in csv_rows(sample_path, ["id"])}
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".csv", ".xlsx", ".json")) if folder.exists() else []
    if not files:
        raise InputError(folder, "no returned coding files yet: put the coders' filled coding sheets (.csv/.xlsx) or "
                                 "a Label Studio JSON export here (see README.md beside it)")
    codings: dict[str, dict[str, Any]] = {}
    for p in files:
        found = (read_labelstudio_export(p, corpus.codebook) if p.suffix.lower() == ".json"
                 else {f"human:{p.stem}": read_coding_sheet(p, corpus.codebook, f"human:{p.stem}")})
        for coder, recs in found.items():
            outside = sorted(set(recs) - sample)
            if outside:
                raise InputError(p, f"entry {outside[0]!r} is not in the kit's sample ({sample_path.name})", field="id")
            if coder in codings:
                raise InputError(p, f"coder {coder!r} appears in two returned files", field="coder")
            if recs:
                codings[coder] = recs
    return codings


def agree_humans(kit_dir: str | Path, corpus: Corpus, n_resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Human-human agreement (all human coders together, and every pair) and each human against
    the gold standard, on the kit's sample."""
    from classifier.io.codes import Coding
    from classifier.reliability.agreement import agreement

    codings = read_returned(kit_dir, corpus)
    humans = sorted(codings)
    if len(humans) < 2:
        raise InputError(Path(kit_dir) / RETURNED, f"human-human agreement needs two coders; found {len(humans)} "
                                                   f"({', '.join(humans) or 'none'})")
    cb = corpus.codebook
    sample = sorted({u for recs in codings.values() for u in recs})
    gold = Coding("gold", {u: corpus.gold[u].codes for u in sample if u in corpus.gold})
    human_codings = [Coding.from_records(h, codings[h]) for h in humans]
    report = {"humans": humans, "n_entries": len(sample),
              "human_human": agreement(human_codings, cb, n_resamples=n_resamples, seed=seed),
              "human_gold": {h.name: agreement([h, gold], cb, n_resamples=n_resamples, seed=seed)
                             for h in human_codings}}
    return report
