"""The local review page: a coder works through the queue and saves decisions to the store.

``atlas-coder review`` serves one page and a small JSON API on 127.0.0.1 only (standard
library ``http.server``).  The page shows the queue (most expected label changes first); for the
open entry its text and stored documents with the evidence sentences and cue phrases
highlighted, the suggested labels pre-checked with their probabilities, grouped as in the
codebook with each label's definition on hover; the coder accepts (key ``a``) or corrects and
saves (``s``), ``n``/``p`` move on.  The codebook's constraints are checked in the page and again
on the server, which also refuses requests from any other origin (``Origin``/``Host`` must be
this server) and any POST without the session token embedded in the page.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Sequence

from classifier.coding.exchange import queue
from classifier.coding.store import AnnotationStore
from classifier.errors import InputError
from classifier.io.codebook import Codebook
from classifier.io.entries import Entry


def highlighted(text: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """HTML of ``text`` with ``(start, end, css class, title)`` spans wrapped in ``<mark>``;
    overlapping spans are clipped so the markup stays well nested."""
    out, pos = [], 0
    for start, end, cls, title in sorted(spans, key=lambda s: (s[0], -s[1])):
        start = max(start, pos)
        if end <= start or start >= len(text):
            continue
        end = min(end, len(text))
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark class="{cls}" title="{html.escape(title, quote=True)}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


@dataclass
class ReviewSession:
    """What the server serves: entries, their predictions (queue order) and the store."""

    entries: dict[str, Entry]
    predictions: list[Any]
    codebook: Codebook
    store: AnnotationStore
    coder: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        self.ranked = queue(self.predictions, self.codebook)
        self.by_id = {p.id: (rank, ec, p) for rank, ec, p in self.ranked}

    def queue_json(self) -> list[dict[str, Any]]:
        done = self.store.latest(self.coder)
        return [{"id": p.id, "title": self.entries[p.id].title, "city": self.entries[p.id].city, "rank": rank,
                 "expected_changes": ec, "decided": p.id in done} for rank, ec, p in self.ranked]

    def entry_json(self, entry_id: str) -> dict[str, Any]:
        rank, ec, p = self.by_id[entry_id]
        e = self.entries[entry_id]
        sources = {"title": e.title, "description": e.description, **e.document_texts}
        spans: dict[str, list[tuple[int, int, str, str]]] = {s: [] for s in sources}
        for lab, items in p.evidence.items():
            for it in items:
                if it["source"] in spans and it["end"] > it["start"]:
                    spans[it["source"]].append((it["start"], it["end"], "evidence", f"evidence for {lab} (p={it['probability']:.2f})"))
                for c in it.get("cues", []):
                    if it["source"] in spans:
                        spans[it["source"]].append((c["start"], c["end"], "cue", f"cue for {lab}: {c['phrase']}"))
        blocks = [{"source": s, "html": highlighted(t, spans[s])} for s, t in sources.items()]
        mine = self.store.latest(self.coder).get(entry_id)
        return {"id": e.id, "title": e.title, "city": e.city, "country": e.country, "rank": rank,
                "expected_changes": ec, "blocks": blocks, "suggested": p.codes, "scores": p.scores,
                "decision": mine.codes if mine else None,
                "document_warnings": e.document_warnings}

    def codebook_json(self) -> list[dict[str, Any]]:
        return [{"key": g.key, "title": g.title, "min_labels": g.min_labels,
                 "requires": list(g.requires) if g.requires else None,
                 "labels": [{"key": lab.key, "definition": " ".join(lab.definition.split())} for lab in g.labels]}
                for g in self.codebook.groups]

    def save(self, payload: dict[str, Any]) -> dict[str, Any]:
        entry_id = str(payload.get("id", ""))
        if entry_id not in self.by_id:
            raise InputError(None, f"unknown entry {entry_id!r}")
        action = payload.get("action")
        if action not in ("accept", "correct"):
            raise InputError(None, "action must be accept or correct")
        codes = self.by_id[entry_id][2].codes if action == "accept" else payload.get("codes") or {}
        self.store.add([(entry_id, self.coder, codes, f"review:{action}", str(payload.get("note") or ""))],
                       entries=[self.entries[entry_id]])
        return {"saved": entry_id, "codes": self.store.latest(self.coder)[entry_id].codes}


def _handler(session: ReviewSession, page: str):
    class Handler(BaseHTTPRequestHandler):
        server_version = "atlas-coder-review"

        def log_message(self, *args) -> None:  # quiet: the terminal is the coder's
            return

        def _origin_ok(self) -> bool:
            host = self.headers.get("Host", "")
            port = self.server.server_address[1]
            allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
            if host not in allowed:
                return False
            origin = self.headers.get("Origin")
            return origin is None or origin in {f"http://{a}" for a in allowed}

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy",
                             "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
                             "connect-src 'self'; img-src 'self' data:")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: Any) -> None:
            self._send(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        def do_GET(self) -> None:
            if not self._origin_ok():
                return self._json(HTTPStatus.FORBIDDEN, {"error": "requests from other origins are refused"})
            if self.path in ("/", "/index.html"):
                return self._send(HTTPStatus.OK, page.replace("__TOKEN__", session.token).encode(),
                                  "text/html; charset=utf-8")
            if self.path == "/api/queue":
                return self._json(HTTPStatus.OK, {"coder": session.coder, "queue": session.queue_json(),
                                                  "codebook": session.codebook_json()})
            if self.path.startswith("/api/entry/"):
                eid = self.path.removeprefix("/api/entry/")
                from urllib.parse import unquote

                eid = unquote(eid)
                if eid not in session.by_id:
                    return self._json(HTTPStatus.NOT_FOUND, {"error": f"no entry {eid!r}"})
                return self._json(HTTPStatus.OK, session.entry_json(eid))
            return self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

        def do_POST(self) -> None:
            if not self._origin_ok():
                return self._json(HTTPStatus.FORBIDDEN, {"error": "requests from other origins are refused"})
            if self.headers.get("X-Atlas-Token") != session.token:
                return self._json(HTTPStatus.FORBIDDEN, {"error": "missing or wrong session token"})
            if self.path != "/api/decision":
                return self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                return self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > 1_000_000:
                    return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too large"})
                payload = json.loads(self.rfile.read(length) or b"{}")
                return self._json(HTTPStatus.OK, session.save(payload))
            except (json.JSONDecodeError, ValueError):
                return self._json(HTTPStatus.BAD_REQUEST, {"error": "malformed JSON"})
            except InputError as exc:
                return self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": exc.problem})

    return Handler


def serve(session: ReviewSession, port: int = 8765, *, block: bool = True) -> ThreadingHTTPServer:
    """Serve the review page on 127.0.0.1:``port`` (0: any free port); ``block=False`` returns the
    running server (a thread serves it), e.g. for tests."""
    from classifier.reports.render import render

    page = render("review.html.j2", coder=session.coder)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(session, page))
    if block:
        try:
            server.serve_forever()
        finally:
            server.server_close()
    else:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
