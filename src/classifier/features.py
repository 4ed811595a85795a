"""Entries → sentences → embeddings → entry feature matrix (one job: featurisation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from classifier.data import Entry
from classifier.embed import SentenceEncoder, encode_unique, pool, sentence_features
from classifier.text import entry_sentences


@dataclass
class Features:
    X: np.ndarray                      # (n_entries, dim) pooled, unit-length
    sentences: list[list[str]]         # per entry, in reading order
    sentence_vectors: list[np.ndarray]  # per entry, (n_sentences, dim)
    n_unique_sentences: int
    pooling: str = "mean+max"

    def sentence_matrix(self, i: int) -> np.ndarray:
        """Features of entry ``i``'s sentences, each scored as a one-sentence entry (evidence)."""
        return sentence_features(self.sentence_vectors[i], self.pooling)


def featurize(entries: Sequence[Entry], encoder: SentenceEncoder, *, pooling: str = "mean+max",
              max_document_sentences: int = 200, cache_dir: str | Path | None = None) -> Features:
    sentences = [entry_sentences(e, max_document_sentences) for e in entries]
    vectors, n_unique = encode_unique(encoder, sentences, cache_dir=cache_dir)
    return Features(pool(vectors, pooling), sentences, vectors, n_unique, pooling)
