"""Row readers that know line numbers (JSONL, CSV, XLSX) and atomic table writers.

Readers yield ``(line_or_row_number, {column: value})`` so every validation error can name its
place.  Writers go through :func:`~classifier.io.atomic.atomic_write_bytes`; CSV and XLSX
cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from classifier.errors import InputError
from classifier.io.atomic import atomic_write_bytes, atomic_write_text

#: A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets
#: (OWASP "CSV injection"); such cells are written with a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def read_text(path: Path) -> str:
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


def _refuse_constant(name: str):
    raise json.JSONDecodeError(f"{name} is not valid JSON (write null or a number)", name, 0)


def jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"malformed JSON: {exc.msg} (column {exc.colno})", line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(path, "each line must be a JSON object", line=lineno)
        yield lineno, obj


def csv_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    header = reader.fieldnames or []
    for col in required:
        if col not in header:
            raise InputError(path, f"missing column (header has: {', '.join(header) or 'nothing'})", line=1, field=col)
    start = reader.line_num + 1  # a record may span lines (a quoted cell with line breaks): report its first line
    for row in reader:
        if None in row:  # more cells than header columns
            raise InputError(path, "row has more cells than the header", line=start)
        yield start, dict(row)
        start = reader.line_num + 1


def xlsx_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict]]:
    import openpyxl

    if not path.exists():
        raise InputError(path, "file not found")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(path, f"cannot read as an Excel workbook ({type(exc).__name__})") from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
        for col in required:
            if col not in header:
                raise InputError(path, f"missing column (header has: {', '.join(h for h in header if h) or 'nothing'})",
                                 line=1, field=col, line_kind="row")
        for rowno, values in enumerate(rows, start=2):
            if values is None or all(v is None for v in values):
                continue
            yield rowno, {h: v for h, v in zip(header, values) if h}
    finally:
        wb.close()


def jsonl_dumps(records: Iterable[Mapping[str, Any]]) -> str:
    """One JSON object per line; NaN or infinity is refused, never written as invalid JSON."""
    return "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records)


def json_ready(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by ``None`` (valid JSON has neither)."""
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        return json_ready(value.item())
    return value


def json_dumps(value: Any) -> str:
    """Indented, key-sorted, strictly valid JSON (undefined statistics become ``null``)."""
    return json.dumps(json_ready(value), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_jsonl(path: str | Path, records: Iterable[Mapping[str, Any]]) -> None:
    atomic_write_text(path, jsonl_dumps(records))


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would evaluate as a formula, made inert with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(path: str | Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())


def write_xlsx(path: str | Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value: Any) -> Any:  # control characters cannot be stored in a workbook; they are dropped
        value = safe_cell(value)
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    ws.append(list(columns))
    for row in rows:
        ws.append([cell(row.get(c)) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, buf.getvalue())
