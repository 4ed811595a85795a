"""Entries (initiatives) from JSONL, CSV or XLSX, with their linked documents read and checked.

Extra fields or columns are kept in ``Entry.extra`` and written back untouched.  Linked
documents must lie inside the entries file's folder (no absolute paths, no ``..`` escape), so
an entries file cannot make the tool read, and quote as evidence, any file on the machine.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.errors import DataWarning, InputError
from classifier.io.tables import csv_rows, jsonl_rows, xlsx_rows

ENTRY_REQUIRED = ("id", "city", "country", "title", "description")
ENTRY_OPTIONAL = ("year", "source_urls", "documents")
ENTRY_EXTENSIONS = (".jsonl", ".csv", ".xlsx")


@dataclass
class Entry:
    """One initiative: what a coder (or the model) reads."""

    id: str
    city: str
    country: str
    title: str
    description: str
    year: int | None = None
    source_urls: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # as written in the entries file
    extra: dict[str, Any] = field(default_factory=dict)  # every other field, carried through
    document_texts: dict[str, str] = field(default_factory=dict, repr=False)  # document → its text
    line: int | None = field(default=None, repr=False, compare=False)  # where it was read (for error messages)
    document_warnings: list[str] = field(default_factory=list, compare=False)  # linked documents skipped, and why

    def to_record(self) -> dict[str, Any]:
        rec = {"id": self.id, "city": self.city, "country": self.country, "title": self.title,
               "year": self.year, "description": self.description, "source_urls": self.source_urls}
        if self.documents:
            rec["documents"] = self.documents
        rec.update(self.extra)
        return rec


def _as_list(value: Any, path: Path, line: int, fieldname: str) -> list[str]:
    """A list of strings from a JSON list or a ';'-separated cell."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise InputError(path, "must be a list of strings", line=line, field=fieldname)
        return [v.strip() for v in value if v.strip()]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return _as_list(json.loads(text), path, line, fieldname)
            except json.JSONDecodeError:
                raise InputError(path, "looks like a JSON list but does not parse", line=line, field=fieldname) from None
        return [p.strip() for p in text.split(";") if p.strip()]
    raise InputError(path, f"must be a list of strings, got {type(value).__name__}", line=line, field=fieldname)


def _as_year(value: Any, path: Path, line: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        year = int(float(value)) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        year = None
    if year is None or year != float(value) or not 1900 <= year <= 2100:
        raise InputError(path, f"must be a year between 1900 and 2100 or empty, got {value!r}", line=line, field="year")
    return year


def _read_documents(docs: list[str], path: Path, line: int, kind: str, root: Path | None = None
                    ) -> tuple[dict[str, str], list[str]]:
    """Text of each linked document, and a warning for each one that had to be skipped.

    A path must be relative to the entries file and stay inside ``root`` (the entries file's
    folder unless the caller names a wider one): an absolute path or an escape is an error.
    A document that cannot be used (missing, encrypted, corrupt, empty, too large, unsupported
    type) is skipped with a warning; the entry is coded from its other text.
    """
    from classifier.text.documents import read_document

    base = path.parent.resolve()
    limit = (root or path.parent).resolve()
    texts: dict[str, str] = {}
    warns: list[str] = []
    for d in docs:
        where = dict(line=line, field="documents", line_kind=kind)
        if Path(d).is_absolute():
            raise InputError(path, f"linked document {d!r} is an absolute path; give it relative to the entries file", **where)
        target = (base / d).resolve()
        if not target.is_relative_to(limit):
            where_ok = "the entries file's folder" if root is None else f"{limit}"
            raise InputError(path, f"linked document {d!r} lies outside {where_ok}", **where)
        try:
            texts[d] = read_document(target)
        except InputError as exc:
            warns.append(f"linked document {d!r} skipped: {exc.problem}")
    return texts, warns


def _corpus_layout_root(path: Path) -> Path | None:
    folder = path.parent
    if folder.name == "corpus" and (folder.parent / "documents").is_dir():
        return folder.parent
    return None


def parse_columns(spec: str | None) -> dict[str, str]:
    """``"title=Name,description=Summary"`` → ``{"title": "Name", "description": "Summary"}``:
    which column of a real export holds each of the project's entry fields."""
    if not spec:
        return {}
    known = set(ENTRY_REQUIRED) | set(ENTRY_OPTIONAL)
    out: dict[str, str] = {}
    for part in spec.split(","):
        field_name, sep, column = part.partition("=")
        field_name, column = field_name.strip(), column.strip()
        if not sep or not field_name or not column:
            raise InputError(None, f"--columns {spec!r}: write FIELD=COLUMN pairs separated by commas")
        if field_name not in known:
            raise InputError(None, f"--columns: {field_name!r} is not an entry field (use {', '.join(sorted(known))})")
        out[field_name] = column
    return out


def _renamed(row: dict, columns: dict[str, str], path: Path, line: int, kind: str) -> dict:
    if not columns:
        return row
    row = dict(row)
    for field_name, column in columns.items():
        if column not in row:
            raise InputError(path, f"no column {column!r} (given with --columns for {field_name})", line=line,
                             field=column, line_kind=kind)
        row[field_name] = row.pop(column)
    return row


def read_entries(path: str | Path, documents_root: str | Path | None = None,
                 columns: dict[str, str] | None = None) -> list[Entry]:
    """Read initiatives from JSONL, CSV or XLSX, validating every row and its linked documents.

    ``columns`` maps entry fields to the column names of a real export (``--columns``).

    Linked documents are given relative to the entries file and must stay inside
    ``documents_root``.  By default that is the entries file's folder, or, for a file in the
    ``corpus/`` folder of a data folder that also has ``documents/`` (the bundled corpus's layout:
    ``data/corpus/initiatives.jsonl`` links ``../documents/…``), that data folder.
    """
    path = Path(path)
    root = Path(documents_root) if documents_root is not None else _corpus_layout_root(path)
    ext = path.suffix.lower()
    if ext not in ENTRY_EXTENSIONS:
        raise InputError(path, f"unsupported file type '{ext or '(none)'}' (use {', '.join(ENTRY_EXTENSIONS)})")
    kind = "row" if ext == ".xlsx" else "line"
    columns = columns or {}
    required = [columns.get(k, k) for k in ENTRY_REQUIRED]
    rows = {".jsonl": lambda: jsonl_rows(path), ".csv": lambda: csv_rows(path, required),
            ".xlsx": lambda: xlsx_rows(path, required)}[ext]()
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        row = _renamed(row, columns, path, line, kind)
        for key in ENTRY_REQUIRED:
            if key not in row or row[key] is None:
                raise InputError(path, "missing required field", line=line, field=key, line_kind=kind)
            if not isinstance(row[key], (str, int, float)) or isinstance(row[key], bool):
                raise InputError(path, "must be text", line=line, field=key, line_kind=kind)
            if not str(row[key]).strip():
                raise InputError(path, "is empty", line=line, field=key, line_kind=kind)
        eid = str(row["id"]).strip()
        if isinstance(row["id"], float) and row["id"].is_integer():
            eid = str(int(row["id"]))
        if eid in seen:
            raise InputError(path, f"duplicate id {eid!r} (first on {kind} {seen[eid]})", line=line, field="id", line_kind=kind)
        seen[eid] = line
        docs = _as_list(row.get("documents"), path, line, "documents")
        texts, doc_warnings = _read_documents(docs, path, line, kind, root)
        for w in doc_warnings:
            warnings.warn(f"{path}, {kind} {line}: {w}", DataWarning, stacklevel=2)
        extra = {k: v for k, v in row.items() if k not in ENTRY_REQUIRED + ENTRY_OPTIONAL}
        entries.append(
            Entry(
                id=eid,
                city=str(row["city"]).strip(),
                country=str(row["country"]).strip(),
                title=str(row["title"]).strip(),
                description=str(row["description"]).strip(),
                year=_as_year(row.get("year"), path, line),
                source_urls=_as_list(row.get("source_urls"), path, line, "source_urls"),
                documents=docs,
                extra=extra,
                document_texts=texts,
                line=line,
                document_warnings=doc_warnings,
            )
        )
    if not entries:
        raise InputError(path, "contains no entries")
    return entries
