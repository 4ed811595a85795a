"""Reading and writing the three file formats: entries, label files and cities.

Every reader validates as it reads and raises :class:`~classifier.errors.InputError` naming the
file, line (or row), field and problem.  Extra fields or columns are kept in ``Entry.extra`` /
``LabelRecord.extra`` and written back untouched.  Writers are atomic: the output appears
complete or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from classifier.codebook import Codebook
from classifier.errors import InputError

ENTRY_REQUIRED = ("id", "city", "country", "title", "description")
ENTRY_OPTIONAL = ("year", "source_urls", "documents")
ENTRY_EXTENSIONS = (".jsonl", ".csv", ".xlsx")
CITY_COLUMNS = ("city", "country", "ccdr_member", "source_url")
MEMBERSHIP_VALUES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False, "unknown": None, "": None}


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
    documents: list[str] = field(default_factory=list)  # resolved paths of linked documents
    extra: dict[str, Any] = field(default_factory=dict)  # every other field, carried through

    def to_record(self) -> dict[str, Any]:
        rec = {"id": self.id, "city": self.city, "country": self.country, "title": self.title,
               "year": self.year, "description": self.description, "source_urls": self.source_urls}
        if self.documents:
            rec["documents"] = self.documents
        rec.update(self.extra)
        return rec


@dataclass
class LabelRecord:
    """The codes of one unit by one coder (or model); groups map to label lists."""

    id: str
    codes: dict[str, list[str]]
    coder: str | None = None
    coded_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self, codebook: Codebook) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.id}
        for g in codebook.group_keys:
            rec[g] = list(self.codes.get(g, []))
        if self.coder is not None:
            rec["coder"] = self.coder
        if self.coded_at is not None:
            rec["coded_at"] = self.coded_at
        rec.update(self.extra)
        return rec


@dataclass
class City:
    city: str
    country: str
    ccdr_member: bool | None  # None = unknown
    source_url: str
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# low-level readers that know line numbers


def _read_text(path: Path) -> str:
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a directory, expected a file")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8", line=line) from None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
    for lineno, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"malformed JSON: {exc.msg} (column {exc.colno})", line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(path, "each line must be a JSON object", line=lineno)
        yield lineno, obj


def _csv_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    header = reader.fieldnames or []
    for col in required:
        if col not in header:
            raise InputError(path, f"missing column (header has: {', '.join(header) or 'nothing'})", line=1, field=col)
    for row in reader:
        if None in row:  # more cells than header columns
            raise InputError(path, "row has more cells than the header", line=reader.line_num)
        yield reader.line_num, {k: v for k, v in row.items()}


def _xlsx_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict]]:
    import openpyxl

    if not path.exists():
        raise InputError(path, "file not found")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(path, f"cannot read as an Excel workbook ({type(exc).__name__})") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
    for col in required:
        if col not in header:
            raise InputError(path, f"missing column (header has: {', '.join(h for h in header if h) or 'nothing'})", line=1, field=col, line_kind="row")
    for rowno, values in enumerate(rows, start=2):
        if values is None or all(v is None for v in values):
            continue
        yield rowno, {h: v for h, v in zip(header, values) if h}
    wb.close()


# ---------------------------------------------------------------------------------------------
# entries


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


def read_entries(path: str | Path) -> list[Entry]:
    """Read initiatives from JSONL, CSV or XLSX, validating every row."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in ENTRY_EXTENSIONS:
        raise InputError(path, f"unsupported file type '{ext or '(none)'}' (use {', '.join(ENTRY_EXTENSIONS)})")
    kind = "row" if ext == ".xlsx" else "line"
    if ext == ".jsonl":
        rows = _jsonl_rows(path)
    elif ext == ".csv":
        rows = _csv_rows(path, ENTRY_REQUIRED)
    else:
        rows = _xlsx_rows(path, ENTRY_REQUIRED)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for line, row in rows:
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
        resolved = []
        for d in docs:
            p = Path(d) if Path(d).is_absolute() else path.parent / d
            if not p.exists():
                raise InputError(path, f"linked document not found: {d}", line=line, field="documents", line_kind=kind)
            resolved.append(str(p))
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
                documents=resolved,
                extra=extra,
            )
        )
    if not entries:
        raise InputError(path, "contains no entries")
    return entries


# ---------------------------------------------------------------------------------------------
# label files


def read_labels(path: str | Path, codebook: Codebook, *, allow_empty: bool = False) -> dict[str, LabelRecord]:
    """Read a label file (hand codes or predictions); check every label against the codebook."""
    path = Path(path)
    if path.suffix.lower() != ".jsonl":
        raise InputError(path, f"label files are JSONL, got '{path.suffix or '(none)'}'")
    out: dict[str, LabelRecord] = {}
    for line, row in _jsonl_rows(path):
        if "id" not in row or not str(row["id"]).strip():
            raise InputError(path, "missing required field", line=line, field="id")
        uid = str(row["id"]).strip()
        if uid in out:
            raise InputError(path, f"duplicate id {uid!r}", line=line, field="id")
        codes: dict[str, list[str]] = {}
        for g in codebook.group_keys:
            if g not in row:
                raise InputError(path, "missing label group (use [] for none)", line=line, field=g)
            value = row[g]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(path, "must be a list of label keys", line=line, field=g)
            codes[g] = value
        problems = codebook.violations(codes)
        if problems:
            fieldname, problem = problems[0]
            raise InputError(path, problem, line=line, field=fieldname)
        extra = {k: v for k, v in row.items() if k not in {"id", "coder", "coded_at", *codebook.group_keys}}
        out[uid] = LabelRecord(uid, codes, coder=row.get("coder"), coded_at=row.get("coded_at"), extra=extra)
    if not out and not allow_empty:
        raise InputError(path, "contains no label records")
    return out


# ---------------------------------------------------------------------------------------------
# cities


def read_cities(path: str | Path) -> dict[str, City]:
    """Read ``city,country,ccdr_member,source_url``; membership is yes / no / unknown."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise InputError(path, f"the cities file is CSV, got '{path.suffix or '(none)'}'")
    out: dict[str, City] = {}
    for line, row in _csv_rows(path, CITY_COLUMNS):
        name = (row["city"] or "").strip()
        if not name:
            raise InputError(path, "is empty", line=line, field="city")
        if name in out:
            raise InputError(path, f"duplicate city {name!r}", line=line, field="city")
        raw = (row["ccdr_member"] or "").strip().lower()
        if raw not in MEMBERSHIP_VALUES:
            raise InputError(path, f"must be yes, no or unknown, got {row['ccdr_member']!r}", line=line, field="ccdr_member")
        extra = {k: v for k, v in row.items() if k not in CITY_COLUMNS}
        out[name] = City(name, (row["country"] or "").strip(), MEMBERSHIP_VALUES[raw], (row["source_url"] or "").strip(), extra)
    return out


# ---------------------------------------------------------------------------------------------
# atomic writers


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def jsonl_dumps(records: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_jsonl(path: str | Path, records: Iterable[Mapping[str, Any]]) -> None:
    atomic_write_text(path, jsonl_dumps(records))


def write_csv(path: str | Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    atomic_write_text(path, buf.getvalue())


def write_labels(path: str | Path, records: Iterable[LabelRecord], codebook: Codebook) -> None:
    write_jsonl(path, (r.to_record(codebook) for r in records))
