"""The versioned model bundle: a folder with ``model.json`` and a copy of the codebook.

JSON (no pickle) so loading a model never executes code; keys sorted and no timestamps so the
same data, configuration and seed give a byte-identical bundle.  ``model.json`` carries a
SHA-256 of its own content and of the codebook copy, and is checked field by field on load:
a damaged or hand-edited bundle is refused with a clear message instead of predicting garbage.

Replacing a bundle is one atomic step: the new folder is written beside the old one and the
two are exchanged with ``renameat2(RENAME_EXCHANGE)`` (Linux), so at every instant the path holds
a whole bundle, old or new.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from classifier.errors import InputError
from classifier.io.codebook import Codebook, load_codebook
from classifier.io.corpus import sha256_file
from classifier.model.classifier import BUNDLE_FORMAT, AtlasClassifier

MODEL_FILE = "model.json"
CODEBOOK_FILE = "codebook.yaml"
HASH_FIELD = "content_sha256"


@dataclass
class Bundle:
    classifier: AtlasClassifier
    metadata: dict[str, Any]
    codebook: Codebook
    path: str

    @property
    def embedding_model(self) -> str:
        return self.metadata["embedding"]["model"]

    @property
    def content_sha256(self) -> str:
        return self.metadata[HASH_FIELD]


def _content_hash(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != HASH_FIELD}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, allow_nan=False).encode()).hexdigest()


def bundle_document(classifier: AtlasClassifier, metadata: dict[str, Any]) -> dict[str, Any]:
    """The content of ``model.json``: metadata, the fitted classifier and the content hash."""
    doc = dict(metadata)
    doc["format"] = BUNDLE_FORMAT
    doc["classifier"] = classifier.to_dict()
    doc[HASH_FIELD] = _content_hash(doc)
    return doc


def write_bundle_dir(folder: str | Path, classifier: AtlasClassifier, metadata: dict[str, Any]) -> Path:
    """Write a complete bundle into the new, empty-or-missing ``folder`` (fsynced)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    doc = bundle_document(classifier, metadata)
    text = json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    for name, data in ((MODEL_FILE, text.encode("utf-8")), (CODEBOOK_FILE, Path(classifier.codebook.path).read_bytes())):
        with open(folder / name, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    os.chmod(folder, 0o777 & ~_umask())
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def staged_bundle_dir(out_dir: str | Path) -> Iterator[Path]:
    """A fresh temporary folder beside ``out_dir`` (same file system, so it can be swapped in);
    removed afterwards unless it was swapped into place."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.new-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_into_place(staged: Path, out_dir: Path) -> None:
    """Put the complete bundle ``staged`` at ``out_dir`` in one atomic step.

    Afterwards ``staged`` holds the previous bundle (or is gone) and is the caller's to delete.
    """
    if not out_dir.exists():
        os.rename(staged, out_dir)
        return
    if not _exchange(staged, out_dir):
        # No atomic exchange on this system: rename the old one aside, the new one in, and put
        # the old one back if the second step fails.
        aside = staged.with_name(staged.name + ".old")
        os.rename(out_dir, aside)
        try:
            os.rename(staged, out_dir)
        except BaseException:
            os.rename(aside, out_dir)
            raise
        os.rename(aside, staged)
    _fsync_dir(out_dir.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_bundle(out_dir: str | Path, classifier: AtlasClassifier, metadata: dict[str, Any]) -> Path:
    """Write the bundle and swap it into ``out_dir`` atomically (no registry involved)."""
    out_dir = Path(out_dir)
    with staged_bundle_dir(out_dir) as tmp:
        write_bundle_dir(tmp, classifier, metadata)
        swap_into_place(tmp, out_dir)
    return out_dir


# ------------------------------------------------------------------------------------- loading


def _check_document(doc: Any, file: Path) -> None:
    """Field-by-field check of a parsed ``model.json``: keys, types, shapes, finite numbers."""
    def bad(field: str, problem: str) -> InputError:
        return InputError(file, f"{problem}; the bundle is damaged (retrain with `atlas-coder train`)", field=field)

    if not isinstance(doc, dict):
        raise bad("(top level)", "must be a JSON object")
    if doc.get("format") != BUNDLE_FORMAT:
        raise InputError(file, f"unsupported model format {doc.get('format')!r} (expected {BUNDLE_FORMAT})", field="format")
    for key, kind in (("codebook", dict), ("embedding", dict), ("classifier", dict), ("fingerprint", str),
                      (HASH_FIELD, str), ("training_data", dict)):
        if not isinstance(doc.get(key), kind):
            raise bad(key, f"missing or not a {kind.__name__}")
    emb = doc["embedding"]
    if not isinstance(emb.get("dim"), int) or not isinstance(emb.get("model"), str) or not isinstance(emb.get("version"), str):
        raise bad("embedding", "needs model, version and an integer dim")
    clf = doc["classifier"]
    if not isinstance(clf.get("params"), dict) or not isinstance(clf.get("labels"), list):
        raise bad("classifier", "needs params and labels")
    for i, lab in enumerate(clf["labels"]):
        where = f"classifier.labels[{i}]"
        if not isinstance(lab, dict):
            raise bad(where, "must be an object")
        coef = lab.get("coef")
        if not isinstance(coef, list) or len(coef) != emb["dim"]:
            raise bad(f"{where}.coef", f"must be a list of {emb['dim']} numbers")
        cal = lab.get("calibration")
        if not isinstance(cal, list) or len(cal) != 2:
            raise bad(f"{where}.calibration", "must be a list of 2 numbers")
        numbers = [*coef, *cal, lab.get("intercept"), lab.get("threshold")]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers):
            raise bad(where, "coef, calibration, intercept and threshold must be finite numbers")
        if not isinstance(lab.get("trained"), bool) or not isinstance(lab.get("n_positive"), int):
            raise bad(where, "needs trained (true/false) and n_positive (integer)")
    try:
        matches = doc[HASH_FIELD] == _content_hash(doc)
    except ValueError:  # a NaN or infinity somewhere in the metadata
        matches = False
    if not matches:
        raise bad(HASH_FIELD, "content does not match its recorded SHA-256 (the file was changed after training)")


def load_bundle_dir(folder: str | Path) -> Bundle:
    """Load and check a bundle from a local folder (or its ``model.json``)."""
    path = Path(folder)
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.exists():
        raise InputError(path, "no model bundle here (expected a folder with model.json); run `atlas-coder train`")
    try:
        doc = json.loads(file.read_text(encoding="utf-8"), parse_constant=lambda c: float("nan"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(file, f"model file is not valid JSON: {exc}") from None
    _check_document(doc, file)
    codebook = load_codebook(file.parent / CODEBOOK_FILE)
    if codebook.sha256 != doc["codebook"].get("sha256"):
        raise InputError(file.parent / CODEBOOK_FILE, "codebook copy does not match the hash recorded in model.json")
    try:
        classifier = AtlasClassifier.from_dict(doc["classifier"], codebook)
    except (TypeError, KeyError, ValueError) as exc:
        raise InputError(file, f"classifier cannot be rebuilt ({type(exc).__name__}: {exc})", field="classifier") from None
    meta = {k: v for k, v in doc.items() if k != "classifier"}
    return Bundle(classifier, meta, codebook, str(file.parent))


def load_bundle(model: str | Path) -> Bundle:
    """A bundle from a local folder or an MLflow registry URI (``models:/atlas-coder@champion``).

    A registry model is downloaded into a temporary folder, loaded into memory and the folder
    removed again: nothing is left behind.
    """
    text = str(model)
    if text.startswith(("models:/", "runs:/")):
        from classifier.tracking import download_bundle

        with tempfile.TemporaryDirectory(prefix="atlas-model-") as tmp:
            bundle = load_bundle_dir(download_bundle(text, Path(tmp)))
        bundle.path = text
        return bundle
    return load_bundle_dir(model)


__all__ = ["Bundle", "bundle_document", "load_bundle", "load_bundle_dir", "save_bundle", "sha256_file",
           "staged_bundle_dir", "swap_into_place", "write_bundle_dir"]
