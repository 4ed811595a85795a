"""Entries → the sentences the model reads (title, description, linked documents).

Sentences are the unit of evidence: the model scores each one, so a coder sees *which* sentence
supports a suggested label, where it comes from (``title``, ``description`` or the linked
document's path) and its character offsets in that source text, so a page can highlight it.
Splitting uses a blank spaCy English pipeline with the rule-based sentencizer (no model
download, fast) on white-space-normalised text; offsets point into the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from classifier.io.entries import Entry

_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Sentence:
    text: str     # white space normalised
    source: str   # "title", "description" or the document as named in the entries file
    start: int    # character offsets in the source's original text
    end: int


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def _normalise(text: str) -> tuple[str, list[int]]:
    """Collapse white space runs to one space and strip; map each kept character to its index."""
    out, index = [], []
    for m in re.finditer(r"\S+", text):
        if out:
            out.append(" ")
            index.append(m.start() - 1)
        out.append(m.group())
        index.extend(range(m.start(), m.end()))
    return "".join(out), index


def sentence_spans(text: str, source: str) -> list[Sentence]:
    """Sentences of running text with their offsets in ``text``; fragments under 3 characters go."""
    norm, index = _normalise(text)
    if not norm:
        return []
    out = []
    for sent in _nlp()(norm).sents:
        raw = sent.text
        lead = len(raw) - len(raw.lstrip())
        s = _WS.sub(" ", raw).strip()
        if len(s) < 3:
            continue
        a = sent.start_char + lead
        b = a + len(s)
        out.append(Sentence(s, source, index[a], index[b - 1] + 1))
    return out


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, normalising white space and dropping fragments."""
    return [s.text for s in sentence_spans(text, "")]


def entry_sentence_spans(entry: Entry, max_document_sentences: int = 200) -> list[Sentence]:
    """Title, description sentences, then up to ``max_document_sentences`` from linked documents."""
    title = entry.title.strip()
    t0 = entry.title.index(title) if title else 0
    spans = [Sentence(_WS.sub(" ", title), "title", t0, t0 + len(title))] + sentence_spans(entry.description, "description")
    docs: list[Sentence] = []
    for name, text in entry.document_texts.items():
        docs.extend(sentence_spans(text, name))
    return spans + docs[:max_document_sentences]


def entry_sentences(entry: Entry, max_document_sentences: int = 200) -> list[str]:
    return [s.text for s in entry_sentence_spans(entry, max_document_sentences)]


def source_text(entry: Entry, source: str) -> str:
    """The original text a sentence's ``source`` names."""
    if source == "title":
        return entry.title
    if source == "description":
        return entry.description
    return entry.document_texts[source]


def offsets_in_source(entry: Entry, sentence: Sentence, start: int, end: int) -> tuple[int, int]:
    """Offsets ``start:end`` inside ``sentence.text`` (normalised), as offsets in its source."""
    raw = source_text(entry, sentence.source)[sentence.start:sentence.end]
    _, index = _normalise(raw)
    return sentence.start + index[start], sentence.start + index[end - 1] + 1
