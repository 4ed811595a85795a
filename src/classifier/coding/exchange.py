"""Model suggestions out to the annotation tools coders use, and their decisions back in.

Formats (``atlas-coder prelabel --format``, ``atlas-coder import``):

``labelstudio``  a JSON list of tasks, each with ``data`` (the entry's text, its queue rank,
                 every label's probability and the evidence) and ``predictions`` (the suggested
                 labels as Label Studio choices), plus a matching labelling config written beside
                 it (``<out>.config.xml``).  Back in: the project's JSON export (``annotations``).
``doccano``      JSONL for text classification: ``text``, ``label`` (``group:label`` names) and
                 the entry id and scores as extra keys, which doccano keeps and exports back.
``prodigy``      JSONL for the ``choice`` interface: ``text``, ``options`` (one per label),
                 ``accept`` (the suggested options, pre-selected) and ``meta``.  Back in: the
                 ``db-out`` JSONL; ``answer: accept`` records count, ``reject``/``ignore`` are skipped.
``argilla``      a JSON list of records (``fields``, ``metadata``, ``suggestions`` with scores) and a
                 settings file (``<out>.settings.json``: one multi-label question per group).  Back
                 in: records with ``responses`` (or the flattened ``to_list(flatten=True)`` form).
``csv``          a spreadsheet: the coding sheet's columns with the suggestions pre-marked, a
                 ``p:group:label`` probability column per label, the evidence and the queue rank.

The queue: entries are ranked by the expected number of labels a coder will change, the sum
over labels of the probability that the coder's decision differs from the suggestion — ``1 − p``
for a suggested label, ``p`` for one not suggested — with calibrated probabilities ``p``.  An
entry where many labels sit near 0.5 comes first; one the model is sure of comes last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from classifier.errors import InputError
from classifier.io.atomic import atomic_write_text
from classifier.io.codebook import Codebook
from classifier.io.codes import Codes
from classifier.io.entries import Entry
from classifier.io.tables import json_dumps, jsonl_rows

FORMATS = ("labelstudio", "doccano", "prodigy", "argilla", "csv")
SUFFIX = {"labelstudio": ".json", "doccano": ".jsonl", "prodigy": ".jsonl", "argilla": ".json", "csv": ".csv"}


def expected_changes(pred, codebook: Codebook) -> float:
    """Σ over labels of P(the coder's decision differs from the suggestion)."""
    total = 0.0
    for g, lab in codebook.all_labels:
        p = pred.scores[g][lab]
        total += (1 - p) if lab in pred.codes[g] else p
    return round(total, 4)


def queue(predictions: Sequence, codebook: Codebook) -> list[tuple[int, float, Any]]:
    """``(rank, expected changes, prediction)``, most expected changes first (ties: input order)."""
    scored = [(expected_changes(p, codebook), i, p) for i, p in enumerate(predictions)]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [(rank, ec, p) for rank, (ec, _, p) in enumerate(scored, start=1)]


def task_text(entry: Entry) -> str:
    """What the coder reads: title, city, description, then each stored document."""
    parts = [entry.title, f"{entry.city}, {entry.country}".strip(", "), entry.description]
    for name, text in entry.document_texts.items():
        parts.append(f"--- linked document: {name} ---\n{text.strip()}")
    return "\n\n".join(p for p in parts if p)


def evidence_text(pred) -> str:
    lines = []
    for lab, items in pred.evidence.items():
        for it in items:
            lines.append(f"{lab} ({it['source']}, p={it['probability']:.2f}): {it['text']}")
    return "\n".join(lines)


def _name(g: str, lab: str) -> str:
    return f"{g}:{lab}"


def _codes_from_names(names: Sequence[str], codebook: Codebook, where: str) -> Codes:
    codes: Codes = {g: [] for g in codebook.group_keys}
    valid = {_name(g, lab): (g, lab) for g, lab in codebook.all_labels}
    bare = {}
    for g, lab in codebook.all_labels:
        bare.setdefault(lab, (g, lab))
    for n in names:
        if n in valid:
            g, lab = valid[n]
        elif n in bare:
            g, lab = bare[n]
        else:
            raise InputError(None, f"{where}: {n!r} is not a codebook label")
        codes[g].append(lab)
    return codes


# ------------------------------------------------------------------------------------ export


def write_prelabels(out: str | Path, fmt: str, entries: Sequence[Entry], predictions: Sequence,
                    codebook: Codebook) -> list[Path]:
    """Write suggestions for ``entries`` in ``fmt``; returns the files written."""
    from classifier.coding.sheets import labelstudio_config

    out = Path(out)
    if fmt not in FORMATS:
        raise InputError(None, f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    if out.suffix.lower() != SUFFIX[fmt]:
        raise InputError(out, f"a {fmt} file ends in {SUFFIX[fmt]}")
    by_id = {e.id: e for e in entries}
    ranked = queue(predictions, codebook)
    model = predictions[0].model if predictions else ""
    files = [out]
    if fmt == "labelstudio":
        tasks = []
        for rank, ec, p in ranked:
            e = by_id[p.id]
            result = [{"from_name": g, "to_name": "text", "type": "choices", "value": {"choices": list(p.codes[g])}}
                      for g in codebook.group_keys if p.codes[g]]
            tasks.append({"data": {"id": e.id, "title": e.title, "city": e.city, "text": task_text(e),
                                   "queue_rank": rank, "expected_changes": ec,
                                   "scores": json.dumps(p.scores, sort_keys=True), "evidence": evidence_text(p)},
                          "predictions": [{"model_version": model, "score": round(1 - ec / len(codebook.all_labels), 4),
                                           "result": result}]})
        atomic_write_text(out, json_dumps(tasks))
        config = out.with_suffix(".config.xml")
        atomic_write_text(config, labelstudio_config(codebook))
        files.append(config)
    elif fmt == "doccano":
        lines = []
        for rank, ec, p in ranked:
            e = by_id[p.id]
            lines.append({"text": task_text(e), "label": [_name(g, lab) for g in codebook.group_keys for lab in p.codes[g]],
                          "entry_id": e.id, "queue_rank": rank, "expected_changes": ec, "scores": p.scores})
        atomic_write_text(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
    elif fmt == "prodigy":
        options = [{"id": _name(g, lab), "text": f"{lab} ({g})"} for g, lab in codebook.all_labels]
        lines = []
        for rank, ec, p in ranked:
            e = by_id[p.id]
            lines.append({"text": task_text(e), "options": options,
                          "accept": [_name(g, lab) for g in codebook.group_keys for lab in p.codes[g]],
                          "meta": {"entry_id": e.id, "city": e.city, "queue_rank": rank, "expected_changes": ec},
                          "scores": p.scores, "evidence": evidence_text(p)})
        atomic_write_text(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
    elif fmt == "argilla":
        records = []
        for rank, ec, p in ranked:
            e = by_id[p.id]
            records.append({"id": e.id, "fields": {"title": e.title, "text": task_text(e), "evidence": evidence_text(p) or "-"},
                            "metadata": {"city": e.city, "queue_rank": rank, "expected_changes": ec},
                            "suggestions": [{"question_name": g, "value": list(p.codes[g]),
                                             "score": [p.scores[g][lab] for lab in p.codes[g]], "agent": model}
                                            for g in codebook.group_keys if p.codes[g]]})
        atomic_write_text(out, json_dumps(records))
        settings = {"fields": [{"name": "title", "type": "text"}, {"name": "text", "type": "text"},
                               {"name": "evidence", "type": "text"}],
                    "questions": [{"name": grp.key, "title": grp.title, "type": "multi_label_selection",
                                   "labels": grp.label_keys, "required": bool(grp.min_labels)} for grp in codebook.groups],
                    "metadata": [{"name": "city", "type": "terms"}, {"name": "queue_rank", "type": "integer"},
                                 {"name": "expected_changes", "type": "float"}]}
        path = out.with_suffix(".settings.json")
        atomic_write_text(path, json_dumps(settings))
        files.append(path)
    else:
        from classifier.coding.sheets import TEXT_COLUMNS, entry_text_fields, label_columns
        from classifier.io.tables import write_csv

        cols = ["queue_rank", "expected_changes", *TEXT_COLUMNS, *label_columns(codebook),
                *[f"p:{c}" for c in label_columns(codebook)], "evidence", "notes"]
        rows = []
        for rank, ec, p in ranked:
            e = by_id[p.id]
            row = {"queue_rank": rank, "expected_changes": ec, **entry_text_fields(e), "evidence": evidence_text(p),
                   "notes": ""}
            for g, lab in codebook.all_labels:
                row[_name(g, lab)] = "1" if lab in p.codes[g] else ""
                row[f"p:{_name(g, lab)}"] = p.scores[g][lab]
            rows.append(row)
        write_csv(out, rows, cols)
    return files


# ------------------------------------------------------------------------------------ import


def detect_format(path: Path) -> str:
    """Guess the format of an exported file from its suffix and first record."""
    ext = path.suffix.lower()
    if ext in (".csv", ".xlsx"):
        return "csv"
    if ext == ".jsonl":
        for _, row in jsonl_rows(path):
            return "prodigy" if ("options" in row or "answer" in row or "_task_hash" in row) else "doccano"
        raise InputError(path, "contains no records")
    if ext == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON ({exc.msg})", line=exc.lineno) from None
        first = data[0] if isinstance(data, list) and data else {}
        if isinstance(first, dict) and ("annotations" in first or "predictions" in first or "data" in first):
            return "labelstudio"
        return "argilla"
    raise InputError(path, f"cannot tell the format of a '{ext or '(none)'}' file (use --format)")


def read_decisions(path: str | Path, codebook: Codebook, fmt: str | None = None) -> list[tuple[str, Codes, str]]:
    """``(entry id, codes, note)`` for every decided record of an exported file.

    Nothing here is lenient: an unknown label, a record without an entry id or codes that break
    the codebook's constraints raise :class:`InputError` naming the record.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    out: list[tuple[str, Codes, str]] = []
    if fmt == "labelstudio":
        from classifier.coding.sheets import read_labelstudio_export

        for coder, recs in read_labelstudio_export(path, codebook).items():
            out += [(u, r.codes, f"Label Studio annotator {coder.removeprefix('human:')}") for u, r in recs.items()]
    elif fmt == "csv":
        from classifier.coding.sheets import read_coding_sheet

        out += [(u, r.codes, r.extra.get("note", "")) for u, r in read_coding_sheet(path, codebook, "sheet").items()]
    elif fmt in ("doccano", "prodigy"):
        for line, row in jsonl_rows(path):
            where = f"{path}, line {line}"
            uid = str(row.get("entry_id") or (row.get("meta") or {}).get("entry_id") or "").strip()
            if not uid:
                raise InputError(path, "record has no entry_id (keep the field the export carried)", line=line,
                                 field="entry_id")
            if fmt == "prodigy":
                if row.get("answer", "accept") != "accept":
                    continue
                names = row.get("accept") or []
            else:
                names = row.get("label") or []
                names = [n[0] if isinstance(n, list) else n for n in names]  # span-style [start, end, label] tolerated
            out.append((uid, _checked(_codes_from_names(names, codebook, where), codebook, where), ""))
    elif fmt == "argilla":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise InputError(path, "an Argilla export is a JSON list of records")
        for n, rec in enumerate(data, start=1):
            where = f"{path}, record {n}"
            uid = str(rec.get("id") or rec.get("external_id") or "").strip()
            if not uid:
                raise InputError(path, f"record {n} has no id", field="id")
            codes: Codes = {g: [] for g in codebook.group_keys}
            answered = False
            responses = rec.get("responses")
            if isinstance(responses, list):
                for r in responses:
                    if r.get("status", "submitted") != "submitted" or r.get("question_name") not in codes:
                        continue
                    codes[r["question_name"]] = list(r.get("value") or [])
                    answered = True
            elif isinstance(responses, dict):  # {question: [{"value": [...], "user_id": ...}, ...]}
                for g, rs in responses.items():
                    if g in codes and rs:
                        codes[g] = list(rs[-1].get("value") or [])
                        answered = True
            else:  # flattened: "<question>.responses": [[...labels of user 1], ...]
                for g in codebook.group_keys:
                    rs = rec.get(f"{g}.responses")
                    if rs:
                        codes[g] = list(rs[-1] or [])
                        answered = True
            if not answered:
                continue
            for g, labs in codes.items():
                bad = [lab for lab in labs if lab not in codebook.labels(g)]
                if bad:
                    raise InputError(path, f"record {n} ({uid}): {bad[0]!r} is not a label of {g}", field=g)
            out.append((uid, _checked(codes, codebook, where), ""))
    else:
        raise InputError(None, f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    seen: dict[str, int] = {}
    for u, _, _ in out:
        seen[u] = seen.get(u, 0) + 1
    dup = [u for u, k in seen.items() if k > 1 and fmt != "labelstudio"]
    if dup:
        raise InputError(path, f"entry {dup[0]!r} is decided twice in one file")
    return out


def _checked(codes: Codes, codebook: Codebook, where: str) -> Codes:
    problems = codebook.violations(codes)
    if problems:
        raise InputError(None, f"{where}: {problems[0][0]}: {problems[0][1]}")
    return codes
