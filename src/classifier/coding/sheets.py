"""Coding sheets for human coders, in the tools they already use, and reading them back.

Two formats:

* a **spreadsheet** (CSV or XLSX): one row per entry with its text, then one column per codebook
  label named ``group:label``; a coder marks a present label with ``1`` (``x``, ``yes`` and
  ``true`` are accepted too) and leaves absent labels empty (or ``0``);
* a **Label Studio** project: a labelling config (one multi-choice block per label group) and a
  task list to import; the project's JSON export is read back, one coder per annotator.

Every read checks each cell against the codebook and its constraints, and reports the file, row
and column of the first problem, so a coder can fix the sheet instead of losing a row silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence
from xml.sax.saxutils import escape, quoteattr

from classifier.errors import InputError
from classifier.io.codebook import Codebook
from classifier.io.codes import Codes, LabelRecord
from classifier.io.entries import Entry
from classifier.io.tables import csv_rows, write_csv, write_xlsx, xlsx_rows

PRESENT = {"1", "x", "yes", "true", "y"}
ABSENT = {"", "0", "no", "false", "n"}
TEXT_COLUMNS = ("id", "city", "title", "description", "documents")


def label_columns(codebook: Codebook) -> list[str]:
    return [f"{g}:{lab}" for g, lab in codebook.all_labels]


def entry_text_fields(entry: Entry) -> dict[str, str]:
    """What a coder reads: the description, and each stored document with its path."""
    docs = "\n\n".join(f"[{d}]\n{t}" for d, t in entry.document_texts.items())
    return {"id": entry.id, "city": entry.city, "title": entry.title, "description": entry.description,
            "documents": docs}


def write_coding_sheet(path: str | Path, entries: Sequence[Entry], codebook: Codebook) -> None:
    """An empty coding sheet (``.csv`` or ``.xlsx``) for ``entries``."""
    path = Path(path)
    columns = [*TEXT_COLUMNS, *label_columns(codebook), "notes"]
    rows = [{**entry_text_fields(e), **{c: "" for c in label_columns(codebook)}, "notes": ""} for e in entries]
    {".csv": write_csv, ".xlsx": write_xlsx}[path.suffix.lower()](path, rows, columns)


def _cell_present(value: Any, path: Path, line: int, column: str, kind: str) -> bool:
    text = "" if value is None else str(value).strip().lower()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if text in PRESENT:
        return True
    if text in ABSENT:
        return False
    raise InputError(path, f"{value!r} is not a mark: use 1 (or x) for present, leave empty for absent",
                     line=line, field=column, line_kind=kind)


def read_coding_sheet(path: str | Path, codebook: Codebook, coder: str) -> dict[str, LabelRecord]:
    """Read a filled spreadsheet back into label records of ``coder``.

    Rows with no mark at all are taken as not yet coded and skipped (a coder may return a
    partly done sheet); a row with marks must satisfy the codebook's constraints.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".csv", ".xlsx"):
        raise InputError(path, f"coding sheets are .csv or .xlsx, got '{ext or '(none)'}'")
    required = ["id", *label_columns(codebook)]
    kind = "row" if ext == ".xlsx" else "line"
    rows = csv_rows(path, required) if ext == ".csv" else xlsx_rows(path, required)
    out: dict[str, LabelRecord] = {}
    for line, row in rows:
        uid = str(row.get("id") or "").strip()
        if not uid:
            raise InputError(path, "missing entry id", line=line, field="id", line_kind=kind)
        if uid in out:
            raise InputError(path, f"duplicate id {uid!r}", line=line, field="id", line_kind=kind)
        codes: Codes = {g: [] for g in codebook.group_keys}
        for g, lab in codebook.all_labels:
            if _cell_present(row.get(f"{g}:{lab}"), path, line, f"{g}:{lab}", kind):
                codes[g].append(lab)
        if not any(codes.values()):
            continue
        problems = codebook.violations(codes)
        if problems:
            fieldname, problem = problems[0]
            raise InputError(path, problem, line=line, field=fieldname, line_kind=kind)
        note = str(row.get("notes") or "").strip()
        out[uid] = LabelRecord(uid, codes, coder=coder, extra={"note": note} if note else {})
    return out


# ------------------------------------------------------------------------------ Label Studio


def labelstudio_config(codebook: Codebook) -> str:
    """A Label Studio labelling config: the entry's text, then one multi-choice block per group."""
    parts = ['<View>', '  <Header value="$title"/>', '  <Text name="text" value="$text"/>']
    for g in codebook.groups:
        parts.append(f'  <Header value={quoteattr(g.title)}/>')
        required = ' required="true"' if g.min_labels else ""
        parts.append(f'  <Choices name={quoteattr(g.key)} toName="text" choice="multiple"{required}>')
        for lab in g.labels:
            hint = escape(" ".join(lab.definition.split()), {'"': "&quot;"})
            parts.append(f'    <Choice value={quoteattr(lab.key)} hint="{hint}"/>')
        parts.append('  </Choices>')
    parts.append('</View>')
    return "\n".join(parts) + "\n"


def labelstudio_tasks(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """Tasks to import into the project (``data.id`` carries the entry id back in the export)."""
    tasks = []
    for e in entries:
        f = entry_text_fields(e)
        text = f"{e.city}\n\n{e.description}" + (f"\n\nLinked documents:\n{f['documents']}" if f["documents"] else "")
        tasks.append({"data": {"id": e.id, "title": e.title, "text": text}})
    return tasks


def read_labelstudio_export(path: str | Path, codebook: Codebook) -> dict[str, dict[str, LabelRecord]]:
    """Read a Label Studio JSON export: ``{coder: {entry id: record}}``, one coder per annotator
    (``completed_by``: an e-mail or a user id).  Cancelled (skipped) annotations are ignored."""
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(tasks, list):
        raise InputError(path, "a Label Studio export is a JSON list of tasks")
    groups = set(codebook.group_keys)
    out: dict[str, dict[str, LabelRecord]] = {}
    for t_no, task in enumerate(tasks, start=1):
        uid = str(((task or {}).get("data") or {}).get("id") or "").strip()
        if not uid:
            raise InputError(path, f"task {t_no} has no data.id (the entry id the kit put there)", field="data.id")
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                continue
            who = ann.get("completed_by")
            if isinstance(who, dict):
                who = who.get("email") or who.get("id")
            coder = f"human:{who}"
            codes: Codes = {g: [] for g in codebook.group_keys}
            for res in ann.get("result") or []:
                g = res.get("from_name")
                if g not in groups:
                    continue
                choices = (res.get("value") or {}).get("choices") or []
                valid = set(codebook.labels(g))
                for c in choices:
                    if c not in valid:
                        raise InputError(path, f"task {t_no} ({uid}): {c!r} is not a label of {g}", field=g)
                    codes[g].append(c)
            problems = codebook.violations(codes)
            if problems:
                fieldname, problem = problems[0]
                raise InputError(path, f"task {t_no} ({uid}), annotator {who}: {problem}", field=fieldname)
            mine = out.setdefault(coder, {})
            if uid in mine:
                raise InputError(path, f"task {t_no} ({uid}): annotator {who} coded this entry twice", field="annotations")
            mine[uid] = LabelRecord(uid, codes, coder=coder, coded_at=ann.get("created_at"))
    return out
