"""Entries → the sentences the model reads (title, description, linked documents).

Sentences are the unit of evidence: the model scores each one, so a coder sees *which* sentence
supports a suggested label.  Splitting uses a blank spaCy English pipeline with the rule-based
sentencizer (no model download, fast).
"""

from __future__ import annotations

import re
from functools import lru_cache

from classifier.io.entries import Entry

_WS = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, normalising white space and dropping fragments."""
    text = _WS.sub(" ", text).strip()
    if not text:
        return []
    return [s for s in (_WS.sub(" ", sent.text).strip() for sent in _nlp()(text).sents) if len(s) >= 3]


def entry_sentences(entry: Entry, max_document_sentences: int = 200) -> list[str]:
    """Title, description sentences, then up to ``max_document_sentences`` from linked documents."""
    sentences = [entry.title.strip()] + split_sentences(entry.description)
    doc_sentences: list[str] = []
    for text in entry.document_texts.values():
        doc_sentences.extend(split_sentences(text))
    return sentences + doc_sentences[:max_document_sentences]
