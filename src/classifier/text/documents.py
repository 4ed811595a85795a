"""Plain text of linked policy documents (.txt, .md, .html, .pdf), with size limits.

A document is read when its entries file is read (:func:`classifier.io.entries.read_entries`),
so a missing, corrupt or encrypted document is reported with the entries file's line before any
model is loaded.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from classifier.errors import InputError

DOCUMENT_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".pdf")
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
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
        return _pdf_text(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "document is not valid UTF-8") from None
    if ext in (".html", ".htm"):
        text = html.unescape(_TAGS.sub(" ", text))
    return text


def _pdf_text(path: Path) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise InputError(path, "PDF is encrypted; save an unencrypted copy")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except InputError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(path, f"cannot read PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
