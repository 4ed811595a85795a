"""Entries → sentences → embeddings (+ cue and definition blocks) → entry feature matrix.

Columns, in order: the pooled sentence vectors (``embedding``), then, when enabled, one column
per codebook label saying whether a sentence contains one of the label's cues (``cues``), then
one column per label with a sentence's cosine similarity to the label's codebook definition
(``definitions``).  An entry takes the maximum of each extra column over its sentences, so a
single sentence that names a theme is enough — the codebook codes a theme when it is explicitly
referenced — and a sentence scored on its own (evidence) is a one-sentence entry.

The main job featurises the corpus once and hands the same :class:`Features` to training,
prediction and evaluation; :meth:`Features.take` selects the rows of a subset without encoding
anything again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from classifier.config import EmbeddingSettings, FeatureSettings, TrainingConfig
from classifier.io.codebook import Codebook
from classifier.io.entries import Entry
from classifier.model.embed import SentenceEncoder, encode_unique, pool, sentence_features
from classifier.text.cues import CueMatch
from classifier.text.sentences import Sentence, entry_sentence_spans


@dataclass
class Features:
    ids: list[str]                     # entry ids, row order of X
    X: np.ndarray                      # (n_entries, n_columns)
    sentences: list[list[str]]         # per entry, in reading order
    sentence_vectors: list[np.ndarray]  # per entry, (n_sentences, dim)
    n_unique_sentences: int
    pooling: str
    embedding_model: str
    embedding_version: str
    sentence_extras: list[np.ndarray] | None = None   # per entry, (n_sentences, extra columns)
    layout: list[tuple[str, int, int]] = field(default_factory=list)  # (block, start, stop) of X's columns
    spans: list[list[Sentence]] | None = None         # per entry: each sentence's source and offsets
    cue_matches: list[list[CueMatch]] | None = None   # per entry: cue phrases found (evidence)

    def sentence_matrix(self, i: int) -> np.ndarray:
        """Features of entry ``i``'s sentences, each scored as a one-sentence entry (evidence)."""
        S = sentence_features(self.sentence_vectors[i], self.pooling)
        return S if self.sentence_extras is None else np.hstack([S, self.sentence_extras[i]])

    def take(self, ids: Sequence[str]) -> "Features":
        """The rows of the entries ``ids``, in that order."""
        pos = {u: i for i, u in enumerate(self.ids)}
        idx = [pos[u] for u in ids]
        n_unique = len({s for i in idx for s in self.sentences[i]})
        def pick(values):
            return None if values is None else [values[i] for i in idx]

        return Features(list(ids), self.X[idx], [self.sentences[i] for i in idx],
                        [self.sentence_vectors[i] for i in idx], n_unique, self.pooling, self.embedding_model,
                        self.embedding_version, pick(self.sentence_extras), list(self.layout), pick(self.spans),
                        pick(self.cue_matches))

    def candidate_sets(self) -> tuple[tuple[tuple[int, int], ...], ...] | None:
        """Column sets every label may choose from: the vectors alone, or all columns.

        With :meth:`label_blocks` each label also gets its own cue and definition columns alone
        (the keyword rule, calibrated) and the vectors plus its own columns.
        """
        if len(self.layout) < 2:
            return None
        emb = next((a, b) for name, a, b in self.layout if name == "embedding")
        return ((emb,), ((0, self.X.shape[1]),))

    def label_blocks(self) -> tuple[int, ...] | None:
        """First columns of the blocks holding one column per label (cues, definitions)."""
        starts = tuple(a for name, a, _ in self.layout if name != "embedding")
        return starts or None


def definition_texts(codebook: Codebook) -> list[str]:
    return [f"{lab.key.replace('_', ' ')}: {lab.definition}" for g in codebook.groups for lab in g.labels]


def featurize(entries: Sequence[Entry], encoder: SentenceEncoder, *, pooling: str = "mean+max",
              max_document_sentences: int = 200, cache_dir: str | Path | None = None,
              codebook: Codebook | None = None, settings: FeatureSettings | None = None) -> Features:
    spans = [entry_sentence_spans(e, max_document_sentences) for e in entries]
    sentences = [[s.text for s in sp] for sp in spans]
    vectors, n_unique = encode_unique(encoder, sentences, cache_dir=cache_dir)
    pooled = pool(vectors, pooling)
    layout = [("embedding", 0, pooled.shape[1])]
    extras, cue_matches = None, None
    settings = settings or FeatureSettings(cues=False, definitions=False)
    blocks: list[list[np.ndarray]] = []
    if settings.cues or settings.definitions:
        if codebook is None:
            raise ValueError("cue and definition features need the codebook")
        if settings.cues:
            from classifier.text.cues import CueMatcher  # loads spaCy's tagger: only when cues are on

            matcher = CueMatcher(codebook)
            cue_matches = matcher.find_many(sentences)
            blocks.append([matcher.matrix_of(m, len(s)) for m, s in zip(cue_matches, sentences)])
        if settings.definitions:
            D = _definition_matrix(encoder, codebook, cache_dir)
            blocks.append([np.asarray(V, dtype=np.float64) @ D.T for V in vectors])
        extras = [np.hstack([b[i] for b in blocks]) for i in range(len(entries))]
        start = pooled.shape[1]
        L = len(codebook.all_labels)
        for name in [n for n, on in (("cues", settings.cues), ("definitions", settings.definitions)) if on]:
            layout.append((name, start, start + L))
            start += L
        pooled = np.hstack([pooled, np.vstack([e.max(axis=0) for e in extras])])
    return Features([e.id for e in entries], pooled, sentences, vectors, n_unique, pooling, encoder.model,
                    encoder.version, extras, layout, spans, cue_matches)


def _definition_matrix(encoder: SentenceEncoder, codebook: Codebook, cache_dir) -> np.ndarray:
    """One unit vector per label (its codebook definition), rows in codebook label order."""
    (D,), _ = encode_unique(encoder, [definition_texts(codebook)], cache_dir=cache_dir)
    return np.asarray(D, dtype=np.float64)


def featurize_with_config(entries: Sequence[Entry], config: TrainingConfig | EmbeddingSettings, *,
                          codebook: Codebook | None = None, cache_dir: str | Path | None = None,
                          progress: bool | None = None) -> Features:
    """Featurise with the embedding and feature settings of a training configuration."""
    emb = config.embedding if isinstance(config, TrainingConfig) else config
    settings = config.features if isinstance(config, TrainingConfig) else None
    encoder = SentenceEncoder(emb.model, batch_size=emb.batch_size, show_progress=progress)
    return featurize(entries, encoder, pooling=emb.pooling, max_document_sentences=emb.max_document_sentences,
                     cache_dir=cache_dir, codebook=codebook, settings=settings)
