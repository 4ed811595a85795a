"""Plain text of linked policy documents (.txt, .md, .html, .pdf, .docx), with limits.

Extraction uses well-kept libraries: pypdf for PDF, trafilatura for HTML (the main text of a
page, without navigation and footers), python-docx for DOCX (paragraphs and table cells).
A document is read when its entries file is read (:func:`classifier.io.entries.read_entries`);
one that cannot be used (missing, encrypted, corrupt, empty, too large, too slow to extract, of
an unsupported type) raises :class:`InputError`, which the entries reader turns into a warning
on the entry: the entry is still coded from its other text.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from classifier.errors import InputError

DOCUMENT_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 500
MAX_EXTRACT_SECONDS = 60.0   # wall-clock budget of one document's extraction
MAX_TEXT_CHARS = 2_000_000   # text kept per document
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S | re.I)


def read_document(path: str | Path) -> str:
    """Plain text of one linked document; :class:`InputError` says why one cannot be read."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in DOCUMENT_EXTENSIONS:
        raise InputError(path, f"unsupported document type '{ext or '(none)'}' (use {', '.join(DOCUMENT_EXTENSIONS)})")
    if not path.is_file():
        raise InputError(path, "document not found" if not path.exists() else "document is not a file")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise InputError(path, f"document is larger than {MAX_DOCUMENT_BYTES // 2**20} MB")
    if ext == ".pdf":
        text = _pdf_text(path)
    elif ext == ".docx":
        text = _docx_text(path)
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(path, "document is not valid UTF-8") from None
        if ext in (".html", ".htm"):
            text = _html_text(text)
    if not text.strip():
        raise InputError(path, "document has no text (a scanned PDF needs OCR first)")
    return text[:MAX_TEXT_CHARS]


def _html_text(raw: str) -> str:
    """The main text of an HTML page (trafilatura); the whole page's text when it finds none."""
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    text = trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True)
    if not text:
        text = html.unescape(_TAGS.sub(" ", raw))
    return text


def _docx_text(path: Path) -> str:
    import zipfile

    try:
        import docx

        doc = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(path, f"cannot read DOCX ({type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises its own PackageNotFoundError etc. for broken files
        raise InputError(path, f"cannot read DOCX ({type(exc).__name__})") from None
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _pdf_text(path: Path) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        import time

        reader = PdfReader(path)
        if reader.is_encrypted:
            raise InputError(path, "PDF is encrypted; save an unencrypted copy")
        start, parts = time.monotonic(), []
        for n, page in enumerate(reader.pages):
            if n >= MAX_PDF_PAGES:
                raise InputError(path, f"PDF has more than {MAX_PDF_PAGES} pages")
            if time.monotonic() - start > MAX_EXTRACT_SECONDS:
                raise InputError(path, f"PDF text extraction took longer than {MAX_EXTRACT_SECONDS:.0f} s")
            parts.append(page.extract_text() or "")
        return "\n".join(parts)
    except InputError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(path, f"cannot read PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
