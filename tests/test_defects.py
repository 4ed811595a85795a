"""Regression tests for the defects found with hostile or careless input (fixed in 56e6649).

Every test drives the real CLI in a subprocess, with real files in ``tmp_path``, so the same
tests can be run against the code before the fix: set ``ATLAS_OLD_SRC`` to an old checkout
(e.g. ``git worktree add /tmp/old 87d4dc7`` and ``ATLAS_OLD_SRC=/tmp/old``) and the CLI runs
with ``PYTHONPATH=<checkout>/src`` and ``ATLAS_CODER_HOME=<checkout>``, using that checkout's
committed model.  Against the old code every test here is expected to fail.

Bad input must end with exit code 2, one line ``atlas-coder: error: ...`` on stderr (no
traceback), and nothing written.  Most cases are refused before the embedding model is loaded,
so they take a second or two; the few that must predict use one entry.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.paths import PROJECT_ROOT


def _old_root() -> Path | None:
    text = os.environ.get("ATLAS_OLD_SRC")
    if not text:
        return None
    root = Path(text).resolve()
    return root.parent if root.name == "src" else root


OLD_ROOT = _old_root()
CODE_ROOT = OLD_ROOT or PROJECT_ROOT  # the checkout whose code, data and committed model are tested
COMMITTED_MODEL = CODE_ROOT / "models" / "atlas-coder"
ANNOTATIONS = CODE_ROOT / "data" / "annotations"
SECRET = "TOPSECRET-7f3a: the vault code is swordfish-42."
FORMULA = '=HYPERLINK("http://x","y")'


def cli(*args, cwd: Path, env: dict | None = None, umask: int | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m classifier ARGS`` (the old checkout's code when ATLAS_OLD_SRC is set).

    MLflow goes to a throw-away store beside ``cwd`` unless ``env`` says otherwise, so no test
    can write to the project's ``mlruns``.
    """
    full_env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{cwd.parent / (cwd.name + '-mlruns') / 'mlflow.db'}"}
    if OLD_ROOT is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(OLD_ROOT / "src"), os.environ.get("PYTHONPATH")]))
        full_env["ATLAS_CODER_HOME"] = str(OLD_ROOT)
    full_env.update(env or {})
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([sys.executable, "-m", "classifier", *map(str, args)], check=False, capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=900, preexec_fn=preexec)


def error_line(res: subprocess.CompletedProcess, *expected: str) -> str:
    """The single ``atlas-coder: error:`` line of a refused command; checks exit 2, no traceback."""
    assert res.returncode == 2, f"exit {res.returncode}\nstdout: {res.stdout[-1500:]}\nstderr: {res.stderr[-3000:]}"
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("atlas-coder: error: "), res.stderr
    for text in expected:
        assert text in lines[0], f"{text!r} not in: {lines[0]}"
    return lines[0]


def write_jsonl(path: Path, records) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders): a snapshot to compare."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


@pytest.fixture()
def one_entry(tmp_path, corpus_entries) -> Path:
    return write_jsonl(tmp_path / "one.jsonl", [_plain(corpus_entries[0])])


@pytest.fixture(scope="module")
def formula_entries(tmp_path_factory, corpus_entries) -> Path:
    """One real entry whose title (and city) a spreadsheet would run as a formula."""
    rec = dict(_plain(corpus_entries[0]), title=FORMULA, city="@SUM(1+1)")
    return write_jsonl(tmp_path_factory.mktemp("formula") / "entries.jsonl", [rec])


def _plain(entry) -> dict:
    """A corpus entry's record without its stored documents (which live beside the bundled corpus)."""
    return {k: v for k, v in entry.to_record().items() if k != "documents"}


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """A data folder with the first 8 real corpus entries, their gold codes and the codebook."""
    data = tmp_path_factory.mktemp("data8")
    lines = [ln for ln in (CODE_ROOT / "data" / "corpus" / "initiatives.jsonl").read_text(encoding="utf-8").splitlines()
             if ln.strip()][:8]
    ids = [json.loads(ln)["id"] for ln in lines]
    gold = {json.loads(ln)["id"]: ln for ln in (ANNOTATIONS / "gold.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()}
    (data / "corpus").mkdir()
    (data / "annotations").mkdir()
    (data / "corpus" / "initiatives.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "annotations" / "gold.jsonl").write_text("\n".join(gold[i] for i in ids) + "\n", encoding="utf-8")
    shutil.copyfile(ANNOTATIONS / "codebook.yaml", data / "annotations" / "codebook.yaml")
    shutil.copytree(CODE_ROOT / "data" / "documents", data / "documents")  # the entries link stored documents
    return data


def train_into_store(data: Path, store: Path, out: Path, cwd: Path) -> None:
    """``atlas-coder train`` (the code under test) logging to an MLflow store in ``store``."""
    res = cli("train", "--data", data, "--out", out, cwd=cwd, env={"MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}"})
    assert res.returncode == 0, res.stderr[-3000:]
    assert (store / "mlflow.db").exists()


# ---------------------------------------------------------------- 1. predict output file and type


def test_predict_refuses_to_overwrite_its_input(tmp_path, corpus_entries):
    entries = write_jsonl(tmp_path / "entries.jsonl", [_plain(e) for e in corpus_entries[:2]])
    before = entries.read_bytes()
    (tmp_path / "sub").mkdir()
    for out in (entries, "entries.jsonl", "sub/../entries.jsonl"):  # the same file, spelt three ways
        res = cli("predict", entries, "--out", out, cwd=tmp_path)
        error_line(res, "entries.jsonl", "input")
        assert entries.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entries.jsonl", "sub"]


def test_predict_xlsx_output_is_a_real_workbook(tmp_path, formula_entries):
    import openpyxl

    out = tmp_path / "p.xlsx"
    rec = json.loads(formula_entries.read_text(encoding="utf-8"))
    rec["city"] += "\u0007"  # a control character, which a workbook cannot store
    entries = write_jsonl(tmp_path / "entries.jsonl", [rec])
    res = cli("predict", entries, "--out", out, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    wb = openpyxl.load_workbook(out)  # old code wrote JSONL text here: not a zip file
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["id", "city", "title"] and "evidence" in header
    assert len(rows) == 2
    record = json.loads(formula_entries.read_text(encoding="utf-8"))
    assert rows[1][0] == record["id"]
    title_cell = wb.worksheets[0].cell(row=2, column=3)
    assert title_cell.data_type == "s" and title_cell.value == "'" + FORMULA  # text, not a live formula
    assert wb.worksheets[0].cell(row=2, column=2).value == "'@SUM(1+1)"


@pytest.mark.parametrize("args, problem", [(("--out", "p.txt"), "output file type"),
                                           (("--format", "csv", "--out", "p.jsonl"), "does not match"),
                                           (("--format", "jsonl", "--out", "model.json"), "output file type")],
                         ids=["txt-without-format", "csv-format-jsonl-suffix", "any-suffix-with-format"])
def test_predict_refuses_unknown_or_mismatched_output_type(tmp_path, one_entry, args, problem):
    res = cli("predict", one_entry, *args, cwd=tmp_path)
    error_line(res, problem)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl"]


# ------------------------------------------------------------ 2. output errors caught before work


def _read_only_out(tmp_path: Path) -> tuple[Path, str]:
    """An output path that cannot be created: inside a read-only folder, or (as root, where
    permissions do not stop writes) below an existing file."""
    if os.geteuid() != 0:
        folder = tmp_path / "readonly"
        folder.mkdir()
        folder.chmod(0o555)
        return folder / "p.jsonl", "not writable"
    blocker = tmp_path / "somefile.txt"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    return blocker / "p.jsonl", "is a file"


def test_predict_out_in_unwritable_place(tmp_path, one_entry):
    out, problem = _read_only_out(tmp_path)
    before = tree(tmp_path)
    try:
        res = cli("predict", one_entry, "--out", out, cwd=tmp_path)
        error_line(res, "p.jsonl", problem)
        assert tree(tmp_path) == before
    finally:
        if out.parent.is_dir():
            out.parent.chmod(0o755)


def test_predict_out_is_an_existing_folder(tmp_path, one_entry):
    folder = tmp_path / "results.jsonl"
    folder.mkdir()
    res = cli("predict", one_entry, "--out", folder, cwd=tmp_path)
    error_line(res, "results.jsonl", "folder")
    assert folder.is_dir() and not any(folder.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl", "results.jsonl"]


def test_agree_out_is_an_existing_file(tmp_path):
    out = tmp_path / "agreement"
    out.write_text("keep me\n", encoding="utf-8")
    res = cli("agree", ANNOTATIONS / "coder_a.jsonl", ANNOTATIONS / "coder_b.jsonl", "--out", out, "--resamples", "20",
              cwd=tmp_path)
    error_line(res, "agreement", "folder")
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agreement"]


def _argument_error(res: subprocess.CompletedProcess, option: str, value: str) -> None:
    """An argparse refusal: exit 2, no traceback, one error line naming the option and value.

    (argparse prints its usage block above that line; the error itself is one line.)"""
    assert res.returncode == 2, f"exit {res.returncode}\nstderr: {res.stderr[-3000:]}"
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    errors = [ln for ln in res.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1 and errors[0] == res.stderr.strip().splitlines()[-1], res.stderr
    if OLD_ROOT is None:  # the project's rule, argument errors included: one line, nothing else
        assert res.stderr.strip() == errors[0] and errors[0].startswith("atlas-coder: error:"), res.stderr
    assert option in errors[0] and value in errors[0], errors[0]


def test_agree_negative_resamples(tmp_path):
    out = tmp_path / "agreement"
    res = cli("agree", ANNOTATIONS / "coder_a.jsonl", ANNOTATIONS / "coder_b.jsonl", "--out", out, "--resamples", "-3",
              cwd=tmp_path)
    _argument_error(res, "--resamples", "-3")
    assert not any(tmp_path.iterdir())


def test_evaluate_one_fold(tmp_path):
    res = cli("evaluate", "--folds", "1", "--out", tmp_path / "evaluation", "--no-tracking", cwd=tmp_path)
    _argument_error(res, "--folds", "1")
    assert not any(tmp_path.iterdir())


def test_nan_in_an_entries_file_is_bad_input(tmp_path, corpus_entries):
    path = tmp_path / "e.jsonl"
    line = json.dumps(_plain(corpus_entries[0]))[:-1] + ', "score": NaN}'
    path.write_text(line + "\n", encoding="utf-8")
    res = cli("predict", path, "--out", tmp_path / "p.jsonl", cwd=tmp_path)
    error_line(res, "line 1")
    assert "NaN is not valid JSON" in res.stderr and not (tmp_path / "p.jsonl").exists()


def test_evaluate_zero_seeds(tmp_path):
    out = tmp_path / "evaluation"
    res = cli("evaluate", "--seeds", "0", "--out", out, "--no-tracking", cwd=tmp_path)
    _argument_error(res, "--seeds", "0")
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------- 3. damaged model bundle


def _damage(kind: str, doc: dict) -> None:
    label = doc["classifier"]["labels"][0]
    if kind == "missing-key":
        del label["intercept"]
    elif kind == "coef-wrong-length":
        label["coef"].pop()
    elif kind == "nan-string":
        label["coef"][0] = "NaN"
    elif kind == "nan-bare":
        label["coef"][0] = float("nan")  # json.dumps writes a bare NaN, which Python's json reads back
    elif kind == "changed-number":
        label["coef"][0] = round(label["coef"][0] + 0.25, 6)
    elif kind != "unchanged":
        raise ValueError(kind)


def _bundle_copy(tmp_path: Path, kind: str) -> Path:
    copy = tmp_path / "model-copy"
    shutil.copytree(COMMITTED_MODEL, copy)
    doc = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    _damage(kind, doc)
    (copy / "model.json").write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return copy


def test_rewritten_bundle_copy_still_loads(tmp_path):
    """Control for the damage tests: rewriting model.json without a change keeps it loadable."""
    copy = _bundle_copy(tmp_path, "unchanged")
    res = cli("info", "--model", copy, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "model: none" not in res.stdout and "fingerprint" in res.stdout


@pytest.mark.parametrize("kind", ["missing-key", "coef-wrong-length", "nan-string", "nan-bare", "changed-number"])
def test_predict_refuses_damaged_bundle(tmp_path, one_entry, kind):
    copy = _bundle_copy(tmp_path, kind)
    out = tmp_path / "p.jsonl"
    res = cli("predict", one_entry, "--out", out, "--model", copy, cwd=tmp_path)
    error_line(res, "model.json")
    assert not out.exists()


# ------------------------------------------------------------- 4. documents outside the folder


@pytest.mark.parametrize("how", ["absolute", "dotdot", "dotdot-via-subfolder", "symlink"])
def test_documents_may_not_escape_the_entries_folder(tmp_path, corpus_entries, how):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "sub").mkdir()
    if how == "symlink":
        (batch / "notes.txt").symlink_to(secret)
    doc = {"absolute": str(secret), "dotdot": "../secret.txt", "dotdot-via-subfolder": "sub/../../secret.txt",
           "symlink": "notes.txt"}[how]
    first, second = (_plain(e) for e in corpus_entries[:2])
    entries = write_jsonl(batch / "entries.jsonl", [first, dict(second, documents=[doc])])
    out = batch / "p.jsonl"
    res = cli("predict", entries, "--out", out, cwd=batch)
    assert "swordfish" not in res.stdout + res.stderr
    error_line(res, "entries.jsonl", "line 2", "field 'documents'")
    assert not out.exists()


def test_documents_absolute_system_file_refused(tmp_path, corpus_entries):
    system_file = next((p for p in ("/etc/hostname", "/etc/passwd", "/etc/os-release") if Path(p).is_file()), None)
    if system_file is None:
        pytest.skip("no readable system file to point at")
    entries = write_jsonl(tmp_path / "entries.jsonl", [dict(_plain(corpus_entries[0]), documents=[system_file])])
    out = tmp_path / "p.jsonl"
    res = cli("predict", entries, "--out", out, cwd=tmp_path)
    error_line(res, "entries.jsonl", "line 1", "field 'documents'", "absolute")
    assert not out.exists()


# --------------------------------------------------------- 5. unreadable documents, at read time


def _encrypted_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("pw")
    with path.open("wb") as fh:
        writer.write(fh)


def _docx(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        zf.writestr("word/document.xml", "<w:document><w:body><w:p><w:r><w:t>Smart city plan</w:t></w:r></w:p></w:body></w:document>")


@pytest.mark.parametrize("name", ["corrupt.pdf", "locked.pdf", "report.docx", "latin1.txt"])
def test_document_problems_are_warnings_naming_the_entries_line(tmp_path, corpus_entries, name):
    """Issue 11: an unusable document is skipped with a warning (naming the entries file, line and
    document, and recorded in the output record); the entry is still coded from its text."""
    batch = tmp_path / "batch"
    batch.mkdir()
    doc = batch / name
    if name == "corrupt.pdf":
        doc.write_bytes(random.Random(0).randbytes(4096))
    elif name == "locked.pdf":
        _encrypted_pdf(doc)
    elif name == "report.docx":
        _docx(doc)
    else:
        doc.write_bytes("Stratégie municipale pour l'IA, adoptée à Besançon. Données réutilisées.\n".encode("latin-1"))
    first, second = (_plain(e) for e in corpus_entries[:2])
    entries = write_jsonl(batch / "entries.jsonl", [first, dict(second, documents=[name])])
    out = batch / "p.jsonl"
    res = cli("predict", entries, "--out", out, cwd=batch)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    warning = [ln for ln in res.stderr.splitlines() if ln.startswith("atlas-coder: warning:") and name in ln]
    assert warning and "entries.jsonl, line 2" in warning[0], res.stderr
    records = [json.loads(ln) for ln in out.read_text(encoding="utf-8").splitlines()]
    assert name in " ".join(records[1]["document_warnings"]) and "document_warnings" not in records[0]


# ------------------------------------------------ 6. permissions and 8. formulas in CSV output


@pytest.fixture(scope="module")
def csv_prediction(tmp_path_factory, formula_entries) -> Path:
    """``predict --out p.csv`` of the formula entry, run with umask 022."""
    folder = tmp_path_factory.mktemp("csvout")
    out = folder / "p.csv"
    res = cli("predict", formula_entries, "--out", out, cwd=folder, umask=0o022)
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_predictions_file_gets_umask_permissions(csv_prediction):
    assert csv_prediction.stat().st_mode & 0o777 == 0o644, oct(csv_prediction.stat().st_mode & 0o777)


def test_csv_output_neutralises_formulas(csv_prediction):
    with csv_prediction.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1
    assert rows[0]["title"] == "'" + FORMULA
    assert rows[0]["city"] == "'@SUM(1+1)"
    assert not any(v.startswith(("=", "+", "-", "@")) for v in rows[0].values())


# --------------------------------------------------------------------------- 7. and 9. registry


@pytest.fixture(scope="module")
def champion_store(tmp_path_factory, small_data) -> Path:
    """An MLflow store (SQLite + artifacts/) with ``atlas-coder@champion``, trained by the code under test."""
    folder = tmp_path_factory.mktemp("registry")
    store = folder / "store"
    train_into_store(small_data, store, folder / "trained", folder)
    return store


def test_registry_model_leaves_no_temporary_folder(tmp_path, champion_store, one_entry):
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    out = tmp_path / "p.jsonl"
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{champion_store / 'mlflow.db'}", "TMPDIR": str(tmpdir),
           "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor")}  # torch would otherwise make a folder in TMPDIR
    res = cli("predict", one_entry, "--out", out, "--model", "models:/atlas-coder@champion", cwd=tmp_path, env=env)
    leftovers = sorted(str(p.relative_to(tmpdir)) for p in tmpdir.rglob("*"))
    assert leftovers == [], leftovers
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_registry_model_found_after_store_was_moved(tmp_path, champion_store, one_entry):
    """A moved store: a copy somewhere else, while the original place (recorded in the store as
    the absolute artifact location) no longer exists."""
    moved = tmp_path / "elsewhere" / "store-moved"
    shutil.copytree(champion_store, moved)
    aside = champion_store.with_name(champion_store.name + "-aside")
    champion_store.rename(aside)  # the original place is gone while the copy is used ...
    try:
        out = tmp_path / "p.jsonl"
        (tmp_path / "tmpdir").mkdir()
        res = cli("predict", one_entry, "--out", out, "--model", "models:/atlas-coder@champion", cwd=tmp_path,
                  env={"MLFLOW_TRACKING_URI": f"sqlite:///{moved / 'mlflow.db'}", "TMPDIR": str(tmp_path / "tmpdir")})
        assert not champion_store.exists()  # read where the store is now, not re-created at the old place
    finally:
        shutil.rmtree(champion_store, ignore_errors=True)
        aside.rename(champion_store)  # ... and is back for the other tests
    assert res.returncode == 0, res.stderr[-3000:]
    (record,) = [json.loads(ln) for ln in out.read_text(encoding="utf-8").splitlines()]
    assert record["id"] == json.loads(one_entry.read_text(encoding="utf-8"))["id"]


# -------------------------------------------------------------------------- 10. tiny training set


def test_training_on_eight_entries_warns(tmp_path, small_data):
    out = tmp_path / "m"
    res = cli("train", "--data", small_data, "--out", out, "--no-tracking", cwd=tmp_path)
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    assert res.returncode == 0, res.stderr[-3000:]  # training still succeeds ...
    assert (out / "model.json").exists()
    warnings = [ln for ln in res.stderr.splitlines() if ln.startswith("atlas-coder: warning:")]
    assert any("8 gold-coded entries" in ln for ln in warnings), res.stderr  # ... but says why it is weak


# ------------------------------------------------------------------- 11. agree with no shared id


def test_agree_without_shared_ids(tmp_path):
    a_lines = (ANNOTATIONS / "coder_a.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    b_lines = (ANNOTATIONS / "coder_b.jsonl").read_text(encoding="utf-8").splitlines()[3:6]
    assert not {json.loads(x)["id"] for x in a_lines} & {json.loads(x)["id"] for x in b_lines}
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(a_lines) + "\n", encoding="utf-8")
    b.write_text("\n".join(b_lines) + "\n", encoding="utf-8")
    out = tmp_path / "agreement"
    res = cli("agree", a, b, "--out", out, "--resamples", "20", cwd=tmp_path)
    error_line(res, "no id appears in more than one file")
    assert not out.exists()
