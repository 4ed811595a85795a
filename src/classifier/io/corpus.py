"""The hand-coded corpus: entries joined with their gold codes and the two coders' codes.

Loaded once by the main job and passed down to training, prediction and evaluation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.errors import InputError
from classifier.io.codebook import Codebook, load_codebook
from classifier.io.codes import Coding, LabelRecord, label_matrix, read_labels
from classifier.io.entries import Entry, read_entries
from classifier.paths import DATA_DIR

CODERS = ("coder_a", "coder_b")


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class Corpus:
    """The hand-coded training data: entries, gold codes, and the independent coders' codes."""

    entries: list[Entry]
    gold: dict[str, LabelRecord]
    codebook: Codebook
    entries_path: Path
    gold_path: Path
    coders: dict[str, dict[str, LabelRecord]] = field(default_factory=dict)
    extra_sha256: str = ""   # content hash of decisions merged in from an annotation store

    @property
    def coded_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.id in self.gold]

    @property
    def coded_ids(self) -> list[str]:
        return [e.id for e in self.coded_entries]

    def Y(self) -> np.ndarray:
        """Gold 0/1 matrix of the coded entries (codebook label order)."""
        return label_matrix([self.gold[u].codes for u in self.coded_ids], self.codebook)

    def gold_coding(self) -> Coding:
        return Coding.from_records("gold", self.gold)

    def coder_codings(self) -> dict[str, Coding]:
        return {name: Coding.from_records(name, recs) for name, recs in self.coders.items()}

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for p in (self.entries_path, self.gold_path):
            h.update(sha256_file(p).encode())
        if self.extra_sha256:
            h.update(self.extra_sha256.encode())
        return h.hexdigest()


def load_corpus(data_dir: str | Path | None = None, codebook: Codebook | None = None) -> Corpus:
    """Read ``corpus/initiatives.jsonl`` (with its linked documents under ``documents/``),
    ``annotations/gold.jsonl`` and the coders' files."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    codebook = codebook or load_codebook(data_dir / "annotations" / "codebook.yaml")
    entries_path = data_dir / "corpus" / "initiatives.jsonl"
    gold_path = data_dir / "annotations" / "gold.jsonl"
    entries = read_entries(entries_path, documents_root=data_dir)
    gold = read_labels(gold_path, codebook)
    ids = {e.id for e in entries}
    unknown = [uid for uid in gold if uid not in ids]
    if unknown:
        raise InputError(gold_path, f"gold codes for id {unknown[0]!r}, which is not in {entries_path.name}", field="id")
    coders = {name: read_labels(p, codebook) for name in CODERS if (p := data_dir / "annotations" / f"{name}.jsonl").exists()}
    return Corpus(entries, gold, codebook, entries_path, gold_path, coders)


def with_store_decisions(corpus: Corpus, store_path: str | Path, coder: str | None = None) -> tuple[Corpus, list[str]]:
    """The corpus plus the annotation store's latest decision per entry (of ``coder``, or of any
    coder): a decided entry's store codes replace its gold codes, and entries the corpus lacks
    are added with the text the store recorded.  Returns the corpus and notes on what was skipped."""
    import dataclasses
    import json as _json

    from classifier.coding.store import AnnotationStore

    store = AnnotationStore(store_path, corpus.codebook)
    latest = store.latest(coder)
    known = {e.id: e for e in corpus.entries}
    texts = store.entries()
    gold = dict(corpus.gold)
    entries = list(corpus.entries)
    notes: list[str] = []
    skipped = 0
    for uid, d in latest.items():
        if uid not in known:
            if uid not in texts:
                skipped += 1
                continue
            entries.append(texts[uid])
            known[uid] = texts[uid]
        gold[uid] = LabelRecord(uid, d.codes, coder=d.coder, coded_at=d.decided_at)
    if skipped:
        notes.append(f"{skipped} store decisions skipped: the store has no text for their entries "
                     "(import them with --entries)")
    digest = hashlib.sha256(_json.dumps({u: [d.seq, d.codes] for u, d in sorted(latest.items())},
                                        sort_keys=True).encode()).hexdigest()
    return dataclasses.replace(corpus, entries=entries, gold=gold, extra_sha256=digest), notes
