"""The coder workflow: linked documents feed predictions and evidence, suggestions go out in
five tool formats and come back through `import` into an append-only store that survives a kill,
`train --store` learns from it, and `--columns` maps real exports."""

from __future__ import annotations

import copy
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classifier.coding.exchange import FORMATS, write_prelabels
from classifier.coding.store import AnnotationStore
from classifier.errors import InputError
from classifier.io.codebook import load_codebook
from classifier.io.entries import read_entries

DOC_SENTENCE = ("The programme will cut carbon emissions and the energy use of street lighting, "
                "in line with the city's climate plan.")
PLAIN = {"id": "doc-1", "city": "Testville", "country": "Nowhere",
         "title": "Parking permit assistant",
         "description": ("The city runs an online assistant that answers residents' questions about parking permits "
                         "and routes requests to the right office. It was introduced in the municipal service centre "
                         "and is available on the city website.")}


def make_pdf(path: Path, lines: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure(figsize=(8.5, 11))
        for k, line in enumerate(lines):
            fig.text(0.05, 0.92 - 0.04 * k, line, fontsize=9)
        fig.savefig(path)
        plt.close(fig)


def make_docx(path: Path, lines: list[str]) -> None:
    import docx

    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    d.save(str(path))


def make_html(path: Path, lines: list[str]) -> None:
    body = "".join(f"<p>{line}</p>" for line in lines)
    path.write_text(f"<html><head><title>Plan</title><script>var menu = 1;</script></head><body><nav>Home | News</nav>"
                    f"<article><h1>Street lighting plan</h1>{body}</article><footer>Contact</footer></body></html>",
                    encoding="utf-8")


@pytest.fixture(scope="module")
def doc_entries(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    (folder / "docs").mkdir()
    make_pdf(folder / "docs" / "plan.pdf", [DOC_SENTENCE])
    make_docx(folder / "docs" / "plan.docx", [DOC_SENTENCE])
    make_html(folder / "docs" / "plan.html", [DOC_SENTENCE])
    (folder / "docs" / "empty.txt").write_text("   \n", encoding="utf-8")
    (folder / "docs" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (folder / "docs" / "notes.odt").write_bytes(b"PK\x03\x04")
    recs = [dict(PLAIN, id="plain")]
    for ext in ("pdf", "docx", "html"):
        recs.append(dict(PLAIN, id=f"with-{ext}", documents=[f"docs/plan.{ext}"]))
    recs.append(dict(PLAIN, id="bad-docs", documents=["docs/missing.pdf", "docs/empty.txt", "docs/broken.pdf",
                                                       "docs/notes.odt", "docs/plan.html"]))
    path = folder / "entries.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def test_pdf_docx_html_text_is_extracted(doc_entries):
    with pytest.warns(Warning):
        entries = {e.id: e for e in read_entries(doc_entries)}
    for ext in ("pdf", "docx", "html"):
        text = entries[f"with-{ext}"].document_texts[f"docs/plan.{ext}"]
        assert "carbon emissions" in text, ext
    html_text = entries["with-html"].document_texts["docs/plan.html"]
    assert "var menu" not in html_text and "Home | News" not in html_text  # main text only


def test_unusable_documents_are_skipped_with_warnings_not_errors(doc_entries):
    with pytest.warns(Warning) as caught:
        entries = {e.id: e for e in read_entries(doc_entries)}
    bad = entries["bad-docs"]
    assert list(bad.document_texts) == ["docs/plan.html"]
    reasons = " ".join(bad.document_warnings)
    for name, why in (("missing.pdf", "not found"), ("empty.txt", "no text"), ("broken.pdf", "cannot read PDF"),
                      ("notes.odt", "unsupported")):
        assert name in reasons and why in reasons, (name, reasons)
    assert any("bad-docs" in str(w.message) or "line 5" in str(w.message) for w in caught)


def test_label_supported_only_by_a_document_is_found_with_its_sentence_as_evidence(doc_entries, trained):
    from classifier.model.predict import predict_entries

    with pytest.warns(Warning):
        entries = read_entries(doc_entries)
    preds = {p.id: p for p in predict_entries(entries, trained.bundle)}
    lab = "environment_sustainability"
    assert lab not in preds["plain"].codes["themes"]
    for ext in ("pdf", "docx", "html"):
        p = preds[f"with-{ext}"]
        assert lab in p.codes["themes"], (ext, p.scores["themes"][lab])
        sources = {it["source"] for it in p.evidence[lab]}
        assert f"docs/plan.{ext}" in sources, (ext, p.evidence[lab])
        item = next(it for it in p.evidence[lab] if it["source"] == f"docs/plan.{ext}")
        doc = next(e for e in entries if e.id == p.id).document_texts[f"docs/plan.{ext}"]
        assert " ".join(doc[item["start"]:item["end"]].split()) == item["text"]  # offsets into the original text
    assert preds["bad-docs"].extra["document_warnings"]


# ------------------------------------------------------------------------- exports and import


@pytest.fixture(scope="module")
def suggestions(trained, corpus):
    import dataclasses

    from classifier.model.predict import predict_entries

    entries = [dataclasses.replace(e, documents=[], document_texts={}) for e in corpus.entries[::40][:8]]
    return entries, predict_entries(entries, trained.bundle)


def _coder_export(fmt: str, out: Path, cb) -> tuple[Path, dict[str, dict]]:
    """What a coder's tool would export after working on the prelabel file: every suggestion
    kept except on the first entry, where one theme is flipped.  Returns the export and the
    codes the coder decided."""
    expected: dict[str, dict] = {}

    def flip(codes: dict) -> dict:
        codes = copy.deepcopy(codes)
        t = codes["themes"]
        if "transparency" in t:
            t.remove("transparency")
        else:
            t.append("transparency")
        return codes

    export = out.with_name(out.stem + "-export" + out.suffix)
    if fmt == "labelstudio":
        tasks = json.loads(out.read_text())
        for n, task in enumerate(tasks):
            res = copy.deepcopy(task["predictions"][0]["result"])
            codes = {g: [] for g in cb.group_keys}
            for r in res:
                codes[r["from_name"]] = list(r["value"]["choices"])
            if n == 0:
                codes = flip(codes)
                res = [{"from_name": g, "to_name": "text", "type": "choices", "value": {"choices": v}}
                       for g, v in codes.items() if v]
            task["annotations"] = [{"completed_by": {"email": "ana@example.org"}, "result": res}]
            expected[task["data"]["id"]] = codes
        export.write_text(json.dumps(tasks))
    elif fmt in ("doccano", "prodigy"):
        lines = [json.loads(x) for x in out.read_text().splitlines()]
        key = "label" if fmt == "doccano" else "accept"
        for n, rec in enumerate(lines):
            codes = {g: [] for g in cb.group_keys}
            for name in rec[key]:
                g, lab = name.split(":")
                codes[g].append(lab)
            if n == 0:
                codes = flip(codes)
                rec[key] = [f"{g}:{lab}" for g in cb.group_keys for lab in codes[g]]
            if fmt == "prodigy":
                rec["answer"] = "accept"
                rec["_annotator_id"] = "atlas-ana"
            uid = rec["entry_id"] if fmt == "doccano" else rec["meta"]["entry_id"]
            expected[uid] = codes
        if fmt == "prodigy":  # a skipped task is not a decision
            lines.append(dict(lines[-1], answer="ignore"))
        export.write_text("".join(json.dumps(r) + "\n" for r in lines))
    elif fmt == "argilla":
        recs = json.loads(out.read_text())
        for n, rec in enumerate(recs):
            codes = {g: [] for g in cb.group_keys}
            for s in rec["suggestions"]:
                codes[s["question_name"]] = list(s["value"])
            if n == 0:
                codes = flip(codes)
            rec["responses"] = [{"question_name": g, "value": v, "user_id": "u1", "status": "submitted"}
                                for g, v in codes.items() if v]
            expected[rec["id"]] = codes
        export.write_text(json.dumps(recs))
    else:
        with out.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for n, row in enumerate(rows):
            codes = {g: [lab for lab in cb.labels(g) if row[f"{g}:{lab}"] == "1"] for g in cb.group_keys}
            if n == 0:
                codes = flip(codes)
                for g, lab in cb.all_labels:
                    row[f"{g}:{lab}"] = "1" if lab in codes[g] else ""
            expected[row["id"]] = codes
        with export.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
    return export, expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_through_import(fmt, suggestions, tmp_path):
    from classifier.cli import main

    cb = load_codebook()
    entries, preds = suggestions
    out = tmp_path / f"suggestions{'.json' if fmt in ('labelstudio', 'argilla') else '.jsonl' if fmt in ('doccano', 'prodigy') else '.csv'}"
    files = write_prelabels(out, fmt, entries, preds, cb)
    assert all(f.exists() for f in files)
    export, expected = _coder_export(fmt, out, cb)
    store = tmp_path / "store.sqlite"
    assert main(["import", str(export), "--coder", "ana", "--store", str(store)]) == 0
    latest = AnnotationStore(store, cb).latest("ana")
    assert set(latest) == set(expected)
    for uid, codes in expected.items():
        assert {g: sorted(v) for g, v in latest[uid].codes.items()} == {g: sorted(codes[g]) for g in cb.group_keys}


def test_labelstudio_tasks_carry_scores_evidence_rank_and_a_matching_config(suggestions, tmp_path):
    import xml.etree.ElementTree as ET

    cb = load_codebook()
    entries, preds = suggestions
    out = tmp_path / "tasks.json"
    write_prelabels(out, "labelstudio", entries, preds, cb)
    tasks = json.loads(out.read_text())
    ranks = [t["data"]["queue_rank"] for t in tasks]
    changes = [t["data"]["expected_changes"] for t in tasks]
    assert ranks == list(range(1, len(tasks) + 1)) and changes == sorted(changes, reverse=True)
    scores = json.loads(tasks[0]["data"]["scores"])
    assert set(scores) == set(cb.group_keys) and all(len(scores[g]) == len(cb.labels(g)) for g in cb.group_keys)
    config = ET.fromstring(out.with_suffix(".config.xml").read_text())
    names = {c.get("name") for c in config.iter("Choices")}
    assert {r["from_name"] for t in tasks for r in t["predictions"][0]["result"]} <= names


def test_queue_puts_uncertain_entries_first():
    from classifier.coding.exchange import queue
    from classifier.model.predict import Prediction

    cb = load_codebook()

    def pred(uid, p):
        scores = {g: {lab: p for lab in cb.labels(g)} for g in cb.group_keys}
        codes = {g: [] for g in cb.group_keys}
        return Prediction(uid, codes, scores, {})
    ranked = queue([pred("sure", 0.02), pred("unsure", 0.45), pred("middle", 0.2)], cb)
    assert [p.id for _, _, p in ranked] == ["unsure", "middle", "sure"]


# ---------------------------------------------------------------------------- the store


def test_store_is_append_only_latest_wins_and_history_is_kept(tmp_path):
    cb = load_codebook()
    store = AnnotationStore(tmp_path / "s.sqlite", cb)
    first = {"policy_type": ["application"], "sector": ["mobility"], "governance_subcategory": [], "themes": []}
    second = {"policy_type": ["application"], "sector": ["mobility"], "governance_subcategory": [], "themes": ["efficiency"]}
    store.add([("e1", "ana", first, "test", "")])
    store.add([("e1", "ana", second, "test", "changed my mind"), ("e1", "ben", first, "test", "")])
    assert store.latest("ana")["e1"].codes["themes"] == ["efficiency"]
    assert store.latest("ben")["e1"].codes["themes"] == []
    assert [d.coder for d in store.history("e1")] == ["ana", "ana", "ben"]
    with sqlite3.connect(tmp_path / "s.sqlite") as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE decisions SET coder='eve'")
    with sqlite3.connect(tmp_path / "s.sqlite") as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM decisions")


def test_a_bad_record_rejects_the_whole_import_and_changes_nothing(suggestions, tmp_path, capsys):
    from classifier.cli import main

    cb = load_codebook()
    entries, preds = suggestions
    out = tmp_path / "s.jsonl"
    write_prelabels(out, "doccano", entries, preds, cb)
    store = tmp_path / "store.sqlite"
    assert main(["import", str(out), "--coder", "ana", "--store", str(store)]) == 0
    before = len(AnnotationStore(store, cb).history())
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    lines[3]["label"] = ["governance_subcategory:law"]  # no policy type, no sector, law without governance_of_ai
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert main(["import", str(bad), "--coder", "ana", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl, line 4" in err and "Traceback" not in err
    assert len(AnnotationStore(store, cb).history()) == before
    lines[3]["label"] = ["themes:not_a_label"]
    bad.write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert main(["import", str(bad), "--coder", "ana", "--store", str(store)]) == 2
    assert "not_a_label" in capsys.readouterr().err
    assert len(AnnotationStore(store, cb).history()) == before


WRITER = """
import sys
sys.path.insert(0, {src!r})
from classifier.coding.store import AnnotationStore
from classifier.io.codebook import load_codebook
store = AnnotationStore({path!r}, load_codebook())
codes = {{"policy_type": ["application"], "sector": ["mobility"], "governance_subcategory": [], "themes": ["efficiency"]}}
n = 0
print("ready", flush=True)
while True:
    store.add([(f"e{{n}}-{{k}}", "ana", codes, "kill-test", "x" * 2000) for k in range(50)])
    n += 1
"""


def test_a_killed_writer_never_corrupts_the_store(tmp_path):
    cb = load_codebook()
    path = tmp_path / "store.sqlite"
    src = str(Path(__file__).resolve().parents[1] / "src")
    for attempt in range(3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER.format(src=src, path=str(path))], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.4 + 0.3 * attempt)  # well inside a stream of transactions
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = len(AnnotationStore(path, cb).history())
        assert n > 0 and n % 50 == 0, n  # whole transactions only
    AnnotationStore(path, cb).add([("after", "ana", {"policy_type": ["regulatory"], "sector": ["governance_of_ai"],
                                                      "governance_subcategory": [], "themes": []}, "t", "")])


@pytest.mark.slow
def test_train_on_the_store_learns_from_imported_decisions(suggestions, tmp_path, cli_cache):
    cb = load_codebook()
    entries, preds = suggestions
    new = tmp_path / "new.jsonl"
    recs = [dict(e.to_record(), id=f"new-{k}") for k, e in enumerate(entries[:4])]
    new.write_text("".join(json.dumps(r) + "\n" for r in recs))
    sheet = tmp_path / "sheet.csv"
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", *[f"{g}:{lab}" for g, lab in cb.all_labels]])
        w.writeheader()
        for r in recs:
            w.writerow({"id": r["id"], "policy_type:regulatory": "1", "sector:governance_of_ai": "1",
                        "themes:human_rights": "1"})
    store = tmp_path / "store.sqlite"
    env = {**os.environ, "ATLAS_CODER_CACHE": str(cli_cache)}
    run = [sys.executable, "-m", "classifier"]
    res = subprocess.run(run + ["import", str(sheet), "--coder", "ana", "--store", str(store), "--entries", str(new)],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    res = subprocess.run(run + ["train", "--store", str(store), "--out", str(tmp_path / "m"), "--no-tracking"],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    from classifier.io.corpus import load_corpus

    assert meta["training_data"]["n_units"] == len(load_corpus().coded_entries) + 4


def test_columns_map_a_real_export(tmp_path, capsys):
    path = tmp_path / "export.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Ref", "Town", "Nation", "Name", "Summary"])
        w.writerow(["x-1", "Testville", "Nowhere", PLAIN["title"], PLAIN["description"]])
    cols = {"id": "Ref", "city": "Town", "country": "Nation", "title": "Name", "description": "Summary"}
    (e,) = read_entries(path, columns=cols)
    assert (e.id, e.city, e.title) == ("x-1", "Testville", PLAIN["title"])
    with pytest.raises(InputError, match="Summary"):
        read_entries(path, columns={**cols, "description": "Abstract", "title": "Summary"})
    from classifier.cli import main

    assert main(["predict", str(path), "--out", str(tmp_path / "p.jsonl"), "--columns", "id=Ref,city=Oops"]) == 2
    assert "Oops" in capsys.readouterr().err
