"""From entries (and their linked documents) to the sentences the model reads.

An entry's sentences are its title, the sentences of its description and, when it links policy
documents, the sentences of those documents.  Sentences are the unit of evidence: the model
scores each one, so a coder sees *which* sentence supports a suggested label.  Splitting uses a
blank spaCy English pipeline with the rule-based sentencizer (no model download, fast).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from classifier.data import Entry
from classifier.errors import InputError

DOCUMENT_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".pdf")
_WS = re.compile(r"\s+")
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S | re.I)


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


def read_document(path: str | Path) -> str:
    """Plain text of a linked document (.txt, .md, .html, .pdf)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in DOCUMENT_EXTENSIONS:
        raise InputError(path, f"unsupported document type '{ext}' (use {', '.join(DOCUMENT_EXTENSIONS)})")
    if ext == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        except (PdfReadError, OSError, ValueError) as exc:
            raise InputError(path, f"cannot read PDF: {exc}") from None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "document is not valid UTF-8") from None
    if ext in (".html", ".htm"):
        text = html.unescape(_TAGS.sub(" ", text))
    return text


def entry_sentences(entry: Entry, max_document_sentences: int = 200) -> list[str]:
    """Title, description sentences, then up to ``max_document_sentences`` from linked documents."""
    sentences = [entry.title.strip()] + split_sentences(entry.description)
    doc_sentences: list[str] = []
    for doc in entry.documents:
        doc_sentences.extend(split_sentences(read_document(doc)))
    return sentences + doc_sentences[:max_document_sentences]
