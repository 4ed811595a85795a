"""The annotation store: every coder decision ever made, append-only, in one SQLite file.

Why SQLite (Python's standard library) rather than a JSONL log: a transaction either lands
whole or not at all, also when the process is killed in the middle of a write (SQLite's
rollback journal), concurrent writers are serialised by SQLite's own locking, and the latest
decision per entry and coder is one indexed query.  Append-only is enforced by the schema:
triggers abort any UPDATE or DELETE, so a decision can be superseded (a later row for the same
entry and coder) but never changed or lost; the full history stays queryable.

Tables: ``decisions`` (entry, coder, time, codes as JSON, where it came from, note, codebook
hash) and ``entries`` (the entry's text as it was when first seen, and later versions), so the
store alone is enough to train on its decisions.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from classifier.errors import InputError
from classifier.io.codebook import Codebook
from classifier.io.codes import Codes, LabelRecord
from classifier.io.entries import Entry

SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL,
    coder TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    codes TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    codebook_sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_entry_coder ON decisions (entry_id, coder, seq);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL,
    record TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_id ON entries (entry_id, seq);
CREATE TRIGGER IF NOT EXISTS decisions_append_only_u BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'the annotation store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_d BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'the annotation store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_append_only_u BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the annotation store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_append_only_d BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the annotation store is append-only'); END;
"""


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Decision:
    seq: int
    entry_id: str
    coder: str
    decided_at: str
    codes: Codes
    source: str
    note: str = ""


class AnnotationStore:
    """An append-only SQLite store of coder decisions (see the module docstring)."""

    def __init__(self, path: str | Path, codebook: Codebook):
        self.path = Path(path)
        self.codebook = codebook

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode=DELETE")  # rollback journal: a killed writer leaves the old state
        con.execute("PRAGMA synchronous=FULL")
        con.executescript(SCHEMA)
        return con

    def check(self, codes: Mapping[str, Any], where: str) -> Codes:
        """Codes checked against the codebook (known labels, constraints) or InputError."""
        cb = self.codebook
        out: Codes = {}
        for g in cb.group_keys:
            value = codes.get(g, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(None, f"{where}: {g} must be a list of label keys")
            unknown = [v for v in value if v not in cb.labels(g)]
            if unknown:
                raise InputError(None, f"{where}: {unknown[0]!r} is not a label of {g}")
            out[g] = [lab for lab in cb.labels(g) if lab in value]
        problems = cb.violations(out)
        if problems:
            raise InputError(None, f"{where}: {problems[0][0]}: {problems[0][1]}")
        return out

    def add(self, decisions: Iterable[tuple[str, str, Mapping[str, Any], str, str]],
            entries: Iterable[Entry] = ()) -> int:
        """Append decisions ``(entry_id, coder, codes, source, note)`` (and entry texts) in ONE
        transaction: every record is checked first; one bad record and nothing is written."""
        rows = []
        for entry_id, coder, codes, source, note in decisions:
            if not str(entry_id).strip():
                raise InputError(None, "a decision without an entry id")
            if not str(coder).strip():
                raise InputError(None, f"{entry_id}: a decision needs the coder's name")
            checked = self.check(codes, f"entry {entry_id!r}")
            rows.append((str(entry_id), str(coder), now(), json.dumps(checked, sort_keys=True), source, note or "",
                         self.codebook.sha256))
        entry_rows = [(e.id, json.dumps({**e.to_record(), "document_texts": e.document_texts}, ensure_ascii=False,
                                        sort_keys=True)) for e in entries]
        with closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for eid, rec in entry_rows:
                    last = con.execute("SELECT record FROM entries WHERE entry_id=? ORDER BY seq DESC LIMIT 1",
                                       (eid,)).fetchone()
                    if last is None or last[0] != rec:
                        con.execute("INSERT INTO entries (entry_id, record, seen_at) VALUES (?, ?, ?)", (eid, rec, now()))
                con.executemany("INSERT INTO decisions (entry_id, coder, decided_at, codes, source, note, codebook_sha256)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return len(rows)

    def history(self, entry_id: str | None = None) -> list[Decision]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as con:
            q = "SELECT seq, entry_id, coder, decided_at, codes, source, note FROM decisions"
            rows = con.execute(q + (" WHERE entry_id=? ORDER BY seq" if entry_id else " ORDER BY seq"),
                               (entry_id,) if entry_id else ()).fetchall()
        return [Decision(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]

    def latest(self, coder: str | None = None) -> dict[str, Decision]:
        """The latest decision per entry: of ``coder``, or of any coder (the most recent wins)."""
        out: dict[str, Decision] = {}
        for d in self.history():
            if coder is None or d.coder == coder:
                out[d.entry_id] = d  # ordered by seq: later rows win
        return out

    def latest_per_coder(self) -> dict[tuple[str, str], Decision]:
        out: dict[tuple[str, str], Decision] = {}
        for d in self.history():
            out[(d.entry_id, d.coder)] = d
        return out

    def entries(self) -> dict[str, Entry]:
        """The latest stored text of every entry the store has seen."""
        if not self.path.exists():
            return {}
        with closing(self._connect()) as con:
            rows = con.execute("SELECT entry_id, record FROM entries ORDER BY seq").fetchall()
        out: dict[str, Entry] = {}
        for eid, rec in rows:
            r = json.loads(rec)
            known = {"id", "city", "country", "title", "description", "year", "source_urls", "documents", "document_texts"}
            texts = r.get("document_texts") or {}
            out[eid] = Entry(id=r["id"], city=r["city"], country=r.get("country", ""), title=r["title"],
                             description=r["description"], year=r.get("year"), source_urls=r.get("source_urls") or [],
                             documents=list(texts), extra={k: v for k, v in r.items() if k not in known},
                             document_texts=texts)
        return out

    def label_records(self, coder: str | None = None) -> dict[str, LabelRecord]:
        return {u: LabelRecord(u, d.codes, coder=d.coder, coded_at=d.decided_at) for u, d in self.latest(coder).items()}
