"""Bad input ends with one clear line (file, line/row, field, problem), exit code 2, no traceback,
and no output file.  Inputs are real corpus entries, corrupted one way each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.io.codebook import load_codebook
from classifier.io.cities import read_cities
from classifier.io.codes import read_labels
from classifier.io.entries import read_entries
from classifier.errors import InputError
from conftest import run_cli


def _records(entries, n=3):
    return [{k: v for k, v in e.to_record().items() if k != "documents"} for e in entries[:n]]


def _jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _assert_cli_error(tmp_path: Path, input_path: Path, *expected: str):
    out = tmp_path / "predictions.jsonl"
    res = run_cli("predict", str(input_path), "--out", str(out))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".predictions.jsonl*"))


def test_malformed_json_line(tmp_path, corpus_entries):
    path = tmp_path / "entries.jsonl"
    recs = _records(corpus_entries)
    path.write_text(json.dumps(recs[0]) + "\n{\"id\": \"x\", \"city\": \n" + json.dumps(recs[1]) + "\n", encoding="utf-8")
    _assert_cli_error(tmp_path, path, "entries.jsonl", "line 2", "malformed JSON")


def test_missing_csv_column(tmp_path, corpus_entries):
    import csv

    path = tmp_path / "entries.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "city", "country", "title"])
        w.writeheader()
        for r in _records(corpus_entries):
            w.writerow({k: r[k] for k in ["id", "city", "country", "title"]})
    _assert_cli_error(tmp_path, path, "entries.csv", "line 1", "field 'description'", "missing column")


def test_duplicate_id(tmp_path, corpus_entries):
    recs = _records(corpus_entries)
    recs[2]["id"] = recs[0]["id"]
    _assert_cli_error(tmp_path, _jsonl(tmp_path / "e.jsonl", recs), "line 3", "field 'id'", "duplicate id")


def test_empty_description(tmp_path, corpus_entries):
    recs = _records(corpus_entries)
    recs[1]["description"] = "   "
    _assert_cli_error(tmp_path, _jsonl(tmp_path / "e.jsonl", recs), "line 2", "field 'description'", "is empty")


def test_wrong_encoding(tmp_path, corpus_entries):
    path = tmp_path / "e.jsonl"
    recs = _records(corpus_entries)
    recs[1]["city"] = "Zürich"
    lines = [json.dumps(r, ensure_ascii=(i != 1)) + "\n" for i, r in enumerate(recs)]  # only line 2 has non-ASCII
    path.write_bytes("".join(lines).encode("latin-1", errors="replace"))
    _assert_cli_error(tmp_path, path, "line 2", "not valid UTF-8")


def test_unsupported_extension(tmp_path, corpus_entries):
    path = _jsonl(tmp_path / "entries.txt", _records(corpus_entries))
    _assert_cli_error(tmp_path, path, "entries.txt", "unsupported file type '.txt'")


def test_missing_file(tmp_path):
    _assert_cli_error(tmp_path, tmp_path / "nope.jsonl", "nope.jsonl", "file not found")


def test_xlsx_missing_column_names_row(tmp_path, corpus_entries):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "city", "country", "description"])
    for r in _records(corpus_entries):
        ws.append([r["id"], r["city"], r["country"], r["description"]])
    path = tmp_path / "entries.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_entries(path)
    assert str(err.value) == f"{path}, row 1, field 'title': missing column (header has: id, city, country, description)"


def test_xlsx_and_csv_read_like_jsonl_and_keep_extra_columns(tmp_path, corpus_entries):
    import openpyxl

    recs = _records(corpus_entries)
    wb = openpyxl.Workbook()
    ws = wb.active
    cols = ["id", "city", "country", "title", "description", "year", "source_urls", "atlas_category"]
    ws.append(cols)
    for r in recs:
        ws.append([r["id"], r["city"], r["country"], r["title"], r["description"], r["year"], ";".join(r["source_urls"]), "x"])
    wb.save(tmp_path / "e.xlsx")
    got = read_entries(tmp_path / "e.xlsx")
    assert [(e.id, e.title, e.description, e.year, e.source_urls) for e in got] == \
        [(r["id"], r["title"], r["description"], r["year"], r["source_urls"]) for r in recs]
    assert all(e.extra == {"atlas_category": "x"} for e in got)


def test_unknown_label_key_in_label_file(tmp_path, corpus_entries):
    cb = load_codebook()
    good = {"policy_type": ["application"], "sector": ["mobility"], "governance_subcategory": [], "themes": []}
    path = _jsonl(tmp_path / "a.jsonl", [{"id": corpus_entries[0].id, **good},
                                         {"id": corpus_entries[1].id, **good, "themes": ["ethics"]}])
    with pytest.raises(InputError) as err:
        read_labels(path, cb)
    assert "line 2, field 'themes': unknown label 'ethics'" in str(err.value)
    other = _jsonl(tmp_path / "b.jsonl", [{"id": corpus_entries[0].id, **good}])
    res = run_cli("agree", str(path), str(other), "--out", str(tmp_path / "rep"))
    assert res.returncode == 2 and "Traceback" not in res.stderr and "unknown label 'ethics'" in res.stderr
    assert not (tmp_path / "rep").exists()


def test_label_constraint_violation(tmp_path, corpus_entries):
    rec = {"id": corpus_entries[0].id, "policy_type": ["regulatory"], "sector": ["security"],
           "governance_subcategory": ["law"], "themes": []}
    with pytest.raises(InputError, match="line 1, field 'governance_subcategory': only allowed when sector includes"):
        read_labels(_jsonl(tmp_path / "a.jsonl", [rec]), load_codebook())


def test_bad_membership_value(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text("city,country,ccdr_member,source_url\nVienna,Austria,yes,https://example.org\nLyon,France,maybe,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3, field 'ccdr_member': must be yes, no or unknown"):
        read_cities(path)


def test_missing_linked_document_is_skipped_with_a_warning(tmp_path, corpus_entries):
    from classifier.errors import DataWarning

    recs = _records(corpus_entries, 1)
    recs[0]["documents"] = ["docs/strategy.pdf"]
    with pytest.warns(DataWarning, match="line 1: linked document 'docs/strategy.pdf' skipped: document not found"):
        (entry,) = read_entries(_jsonl(tmp_path / "e.jsonl", recs))
    assert entry.document_texts == {} and "document not found" in entry.document_warnings[0]
