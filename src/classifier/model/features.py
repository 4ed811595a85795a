"""Entries → sentences → embeddings → entry feature matrix (one job: featurisation).

The main job featurises the corpus once and hands the same :class:`Features` to training,
prediction and evaluation; :meth:`Features.take` selects the rows of a subset (e.g. the
gold-coded entries) without encoding anything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from classifier.config import EmbeddingSettings, TrainingConfig
from classifier.io.entries import Entry
from classifier.model.embed import SentenceEncoder, encode_unique, pool, sentence_features
from classifier.text.sentences import entry_sentences


@dataclass
class Features:
    ids: list[str]                     # entry ids, row order of X
    X: np.ndarray                      # (n_entries, dim) pooled, unit-length
    sentences: list[list[str]]         # per entry, in reading order
    sentence_vectors: list[np.ndarray]  # per entry, (n_sentences, dim)
    n_unique_sentences: int
    pooling: str
    embedding_model: str
    embedding_version: str

    def sentence_matrix(self, i: int) -> np.ndarray:
        """Features of entry ``i``'s sentences, each scored as a one-sentence entry (evidence)."""
        return sentence_features(self.sentence_vectors[i], self.pooling)

    def take(self, ids: Sequence[str]) -> "Features":
        """The rows of the entries ``ids``, in that order."""
        pos = {u: i for i, u in enumerate(self.ids)}
        idx = [pos[u] for u in ids]
        vecs = [self.sentence_vectors[i] for i in idx]
        n_unique = len({s for i in idx for s in self.sentences[i]})
        return Features(list(ids), self.X[idx], [self.sentences[i] for i in idx], vecs, n_unique,
                        self.pooling, self.embedding_model, self.embedding_version)


def featurize(entries: Sequence[Entry], encoder: SentenceEncoder, *, pooling: str = "mean+max",
              max_document_sentences: int = 200, cache_dir: str | Path | None = None) -> Features:
    sentences = [entry_sentences(e, max_document_sentences) for e in entries]
    vectors, n_unique = encode_unique(encoder, sentences, cache_dir=cache_dir)
    return Features([e.id for e in entries], pool(vectors, pooling), sentences, vectors, n_unique, pooling,
                    encoder.model, encoder.version)


def featurize_with_config(entries: Sequence[Entry], config: TrainingConfig | EmbeddingSettings, *,
                          cache_dir: str | Path | None = None, progress: bool | None = None) -> Features:
    """Featurise with the embedding settings of a training configuration."""
    emb = config.embedding if isinstance(config, TrainingConfig) else config
    encoder = SentenceEncoder(emb.model, batch_size=emb.batch_size, show_progress=progress)
    return featurize(entries, encoder, pooling=emb.pooling, max_document_sentences=emb.max_document_sentences,
                     cache_dir=cache_dir)
