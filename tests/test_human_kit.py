"""The human-coding kit: sample, sheets, Label Studio project, and `agree-humans` reading them back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from classifier.cli import main
from classifier.coding.kit import stratified_sample
from classifier.coding.sheets import read_coding_sheet, read_labelstudio_export
from classifier.io.codebook import load_codebook
from classifier.io.corpus import load_corpus
from classifier.io.tables import csv_rows, write_csv, write_xlsx


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "kit"
    assert main(["kit", "--out", str(out), "--seed", "3"]) == 0
    return out


def test_sample_meets_the_floor_for_every_label_the_corpus_can_fill():
    corpus = load_corpus()
    labels = [lab for _, lab in corpus.codebook.all_labels]
    Y = corpus.Y()
    s = stratified_sample(Y, corpus.coded_ids, labels, n=60, min_positives=5, seed=0)
    assert len(s.ids) == len(set(s.ids)) == 60
    for j, lab in enumerate(labels):
        assert s.positives[lab] >= min(5, int(Y[:, j].sum())), lab
    assert s.ids == stratified_sample(Y, corpus.coded_ids, labels, n=60, min_positives=5, seed=0).ids


def test_sample_reports_a_label_the_corpus_cannot_fill():
    Y = np.zeros((20, 2), dtype=int)
    Y[:, 0] = 1
    Y[:2, 1] = 1
    s = stratified_sample(Y, [f"e{i}" for i in range(20)], ["common", "rare"], n=10, min_positives=5)
    assert s.positives["rare"] == 2 and s.short == {"rare": (2, 2)}


def test_kit_files(kit):
    cb = load_codebook()
    sample = [r["id"] for _, r in csv_rows(kit / "sample.csv", ["id"])]
    assert len(sample) == 60
    sheet = [r for _, r in csv_rows(kit / "coding_sheet.csv", ["id"])]
    assert [r["id"] for r in sheet] == sample
    assert all(r[f"{g}:{lab}"] == "" for r in sheet for g, lab in cb.all_labels)
    root = ET.fromstring((kit / "labelstudio" / "config.xml").read_text())
    choices = {c.get("name"): [x.get("value") for x in c] for c in root.iter("Choices")}
    assert choices == {g: cb.labels(g) for g in cb.group_keys}
    tasks = json.loads((kit / "labelstudio" / "tasks.json").read_text())
    assert [t["data"]["id"] for t in tasks] == sample
    guide = (kit / "guide.html").read_text()
    assert all(lab in guide for _, lab in cb.all_labels) and "R16" in guide


def _filled(kit, cb, gold, flip: set[str] = frozenset()):
    rows = []
    for _, r in csv_rows(kit / "coding_sheet.csv", ["id"]):
        codes = gold[r["id"]].codes
        for g, lab in cb.all_labels:
            present = lab in codes.get(g, [])
            if r["id"] in flip and g == "themes":
                present = not present
            r[f"{g}:{lab}"] = "x" if present else ""
        rows.append(r)
    return rows


def test_agree_humans_reads_sheets_and_reports_human_and_gold_agreement(kit, tmp_path, capsys):
    corpus = load_corpus()
    cb = corpus.codebook
    columns = list(next(csv_rows(kit / "coding_sheet.csv", ["id"]))[1].keys())
    ids = [r["id"] for _, r in csv_rows(kit / "sample.csv", ["id"])]
    write_csv(kit / "returned" / "ana.csv", _filled(kit, cb, corpus.gold), columns)
    write_xlsx(kit / "returned" / "ben.xlsx", _filled(kit, cb, corpus.gold, flip=set(ids[:10])), columns)
    out = tmp_path / "rep"
    assert main(["agree-humans", "--kit", str(kit), "--out", str(out), "--resamples", "50"]) == 0
    rep = json.loads((out / "agree-humans.json").read_text())
    assert rep["humans"] == ["human:ana", "human:ben"] and rep["n_entries"] == 60
    ana = {g["group"]: g["alpha"] for g in rep["human_gold"]["human:ana"]["groups"]}
    ben = {g["group"]: g["alpha"] for g in rep["human_gold"]["human:ben"]["groups"]}
    assert all(a == pytest.approx(1.0) for a in ana.values())
    assert ben["policy_type"] == pytest.approx(1.0) and ben["themes"] < 0.9
    md = (out / "agree-humans.md").read_text()
    assert "Human against human" in md and "not sessions of one AI model" in md
    for p in (kit / "returned").glob("*.*"):
        p.unlink()


def test_bad_mark_names_file_row_and_column(kit, tmp_path, capsys):
    corpus = load_corpus()
    columns = list(next(csv_rows(kit / "coding_sheet.csv", ["id"]))[1].keys())
    rows = _filled(kit, corpus.codebook, corpus.gold)
    rows[2]["themes:transparency"] = "maybe"
    bad = tmp_path / "carl.csv"
    write_csv(bad, rows, columns)
    with pytest.raises(Exception) as exc:
        read_coding_sheet(bad, corpus.codebook, "human:carl")
    third = [line for line, _ in csv_rows(bad, ["id"])][2]  # the line where the third row starts (cells span lines)
    assert bad.read_text().splitlines()[third - 1].startswith(rows[2]["id"])
    assert f"line {third}," in str(exc.value) and "themes:transparency" in str(exc.value) and "maybe" in str(exc.value)


def test_no_returned_files_is_a_clear_error(kit, tmp_path, capsys):
    assert main(["agree-humans", "--kit", str(kit), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "no returned coding files yet" in err and "Traceback" not in err


def test_labelstudio_export_round_trip(kit, tmp_path):
    cb = load_codebook()
    corpus = load_corpus()
    tasks = json.loads((kit / "labelstudio" / "tasks.json").read_text())
    export = []
    for n, t in enumerate(tasks):
        codes = corpus.gold[t["data"]["id"]].codes
        result = [{"from_name": g, "to_name": "text", "type": "choices", "value": {"choices": list(codes.get(g, []))}}
                  for g in cb.group_keys if codes.get(g)]
        export.append({"id": n + 1, "data": t["data"],
                       "annotations": [{"completed_by": {"email": "dana@example.org"}, "result": result},
                                       {"completed_by": 7, "was_cancelled": True, "result": []}]})
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    got = read_labelstudio_export(path, cb)
    assert list(got) == ["human:dana@example.org"]
    recs = got["human:dana@example.org"]
    assert all(recs[u].codes == {g: list(corpus.gold[u].codes.get(g, [])) for g in cb.group_keys} for u in recs)
    export[0]["annotations"][0]["result"][0]["value"]["choices"] = ["not_a_label"]
    path.write_text(json.dumps(export))
    with pytest.raises(Exception, match="not_a_label"):
        read_labelstudio_export(path, cb)
