"""The linked-documents manifest: where each stored document came from and under what terms.

``data/documents/manifest.jsonl`` has one line per stored document.  A stored document is the
text a coder read beside an entry's description (an official page, register record or PDF).
Where the publisher's licence allows it the file holds excerpts of the text; otherwise it holds
only short quotations, and the manifest says which.  The hash pins the exact bytes the coders
and the model read, so a changed file is caught before it silently changes a gold standard.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from classifier.errors import InputError
from classifier.io.corpus import sha256_file
from classifier.io.tables import jsonl_rows

MANIFEST_FIELDS = ("entry_id", "path", "source_url", "title", "licence", "content", "retrieved", "retrieved_via",
                   "by", "sha256")
CONTENT_KINDS = ("excerpts", "quotations")


@dataclass(frozen=True)
class DocumentRecord:
    entry_id: str
    path: str           # relative to the documents folder
    source_url: str
    title: str
    licence: str
    content: str        # "excerpts" (licence allows storing text) or "quotations" (short quotes only)
    retrieved: str      # ISO date
    retrieved_via: str
    by: str
    sha256: str


def read_manifest(path: str | Path) -> list[DocumentRecord]:
    """Read and check the manifest's fields (not yet the files: see :func:`check_manifest`)."""
    path = Path(path)
    records: list[DocumentRecord] = []
    seen: dict[str, int] = {}
    for line, row in jsonl_rows(path):
        for key in MANIFEST_FIELDS:
            value = row.get(key)
            if not isinstance(value, str) or not value.strip():
                raise InputError(path, "missing or empty (a non-empty text is required)", line=line, field=key)
        if row["content"] not in CONTENT_KINDS:
            raise InputError(path, f"must be one of {', '.join(CONTENT_KINDS)}", line=line, field="content")
        if urlparse(row["source_url"]).scheme not in ("http", "https"):
            raise InputError(path, "must be an http(s) address", line=line, field="source_url")
        try:
            datetime.date.fromisoformat(row["retrieved"])
        except ValueError:
            raise InputError(path, "must be an ISO date (YYYY-MM-DD)", line=line, field="retrieved") from None
        if Path(row["path"]).is_absolute() or ".." in Path(row["path"]).parts:
            raise InputError(path, "must be a relative path inside the documents folder", line=line, field="path")
        if row["path"] in seen:
            raise InputError(path, f"duplicate path (first on line {seen[row['path']]})", line=line, field="path")
        seen[row["path"]] = line
        records.append(DocumentRecord(**{k: row[k].strip() for k in MANIFEST_FIELDS}))
    return records


def check_manifest(path: str | Path, entry_documents: dict[str, list[str]] | None = None) -> list[DocumentRecord]:
    """Check that every listed document exists with the recorded hash, and (given the entries'
    ``documents`` fields, resolved to paths relative to the documents folder) that every document
    an entry links is listed for that entry and every listed document is linked."""
    path = Path(path)
    records = read_manifest(path)
    folder = path.parent
    for i, rec in enumerate(records, start=1):
        target = folder / rec.path
        if not target.is_file():
            raise InputError(path, f"document {rec.path!r} does not exist", line=i, field="path")
        if sha256_file(target) != rec.sha256:
            raise InputError(path, f"document {rec.path!r} does not match its recorded sha256 (changed since it "
                                   "was recorded)", line=i, field="sha256")
    if entry_documents is not None:
        listed = {(r.entry_id, r.path) for r in records}
        linked = {(eid, d) for eid, docs in entry_documents.items() for d in docs}
        for eid, d in sorted(linked - listed):
            raise InputError(path, f"entry {eid!r} links {d!r}, which the manifest does not list for it")
        for i, rec in enumerate(records, start=1):
            if (rec.entry_id, rec.path) not in linked:
                raise InputError(path, f"{rec.path!r} is not linked by entry {rec.entry_id!r}", line=i, field="entry_id")
    return records
