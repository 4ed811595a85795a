"""The versioned model bundle: a folder with ``model.json`` and a copy of the codebook.

JSON (no pickle) so loading a model never executes code; keys sorted and no timestamps so the
same data, configuration and seed give a byte-identical bundle.  The bundle records everything
needed to trace a prediction: codebook hash, training-data hashes, embedding model and version,
seed, parameters and cross-validation metrics.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.codebook import Codebook, load_codebook
from classifier.errors import InputError
from classifier.model import BUNDLE_FORMAT, AtlasClassifier

MODEL_FILE = "model.json"
CODEBOOK_FILE = "codebook.yaml"


@dataclass
class Bundle:
    classifier: AtlasClassifier
    metadata: dict[str, Any]
    codebook: Codebook
    path: str

    @property
    def embedding_model(self) -> str:
        return self.metadata["embedding"]["model"]


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_bundle(out_dir: str | Path, classifier: AtlasClassifier, metadata: dict[str, Any]) -> Path:
    """Write the bundle folder atomically (a temp folder renamed into place)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    doc = dict(metadata)
    doc["format"] = BUNDLE_FORMAT
    doc["classifier"] = classifier.to_dict()
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        (tmp / MODEL_FILE).write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        shutil.copyfile(classifier.codebook.path, tmp / CODEBOOK_FILE)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def resolve_model_path(model: str | Path) -> Path:
    """A local bundle folder, or an MLflow registry URI such as ``models:/atlas-coder@champion``."""
    text = str(model)
    if text.startswith(("models:/", "runs:/")):
        from classifier.tracking import download_model

        return download_model(text)
    return Path(model)


def load_bundle(model: str | Path) -> Bundle:
    path = resolve_model_path(model)
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.exists():
        raise InputError(path, "no model bundle here (expected a folder with model.json); run `atlas-coder train`")
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(file, f"model file is not valid JSON: {exc}") from None
    if doc.get("format") != BUNDLE_FORMAT:
        raise InputError(file, f"unsupported model format {doc.get('format')!r} (expected {BUNDLE_FORMAT})", field="format")
    codebook = load_codebook(file.parent / CODEBOOK_FILE)
    if codebook.sha256 != doc["codebook"]["sha256"]:
        raise InputError(file.parent / CODEBOOK_FILE, "codebook copy does not match the hash recorded in model.json")
    classifier = AtlasClassifier.from_dict(doc["classifier"], codebook)
    meta = {k: v for k, v in doc.items() if k != "classifier"}
    return Bundle(classifier, meta, codebook, str(file.parent))
