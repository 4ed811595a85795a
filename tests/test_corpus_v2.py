"""The bundled corpus (v2) keeps its promises: sources, documents, changes log, size and labels."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from classifier.errors import InputError
from classifier.io.corpus import load_corpus
from classifier.io.manifest import check_manifest, read_manifest
from classifier.io.sources import blocked_domain, read_blocklist
from classifier.paths import CORPUS_DIR, DOCUMENTS_DIR

RESERVED = {"Albuquerque", "Atlanta", "Bellevue", "Bengaluru", "Benidorm", "Bilbao", "Birmingham", "Bogotá", "Bordeaux",
            "Chicago", "Denver", "Dublin", "Edmonton", "Espoo", "Ghent", "Girona", "Greater Dandenong", "Guadalajara",
            "Hamburg", "Kyiv", "Long Beach", "Maipú", "Medellín", "Mendoza", "Middlesbrough", "Montevideo",
            "Montpellier", "Montréal", "Munich", "Oxford", "Pittsburgh", "Rennes", "Rio de Janeiro", "San Francisco",
            "Seattle", "Stockholm", "São Paulo", "Tempe", "Trondheim", "Utrecht", "Valencia", "Zaragoza"}


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def _documents_of(corpus) -> dict[str, list[str]]:
    """Each entry's linked documents, as paths relative to data/documents/."""
    out = {}
    for e in corpus.entries:
        if e.documents:
            out[e.id] = [str((CORPUS_DIR / d).resolve().relative_to(DOCUMENTS_DIR.resolve())) for d in e.documents]
    return out


def test_no_entry_cites_a_blocked_domain(corpus):
    blocked = read_blocklist(CORPUS_DIR / "blocked_domains.txt")
    assert len(blocked) >= 20
    hits = [(e.id, u) for e in corpus.entries for u in e.source_urls if blocked_domain(u, blocked)]
    assert hits == []


def test_blocklist_matches_subdomains_not_lookalikes():
    blocked = {"medium.com"}
    assert blocked_domain("https://www.medium.com/x", blocked) == "medium.com"
    assert blocked_domain("https://blog.medium.com/x", blocked) == "medium.com"
    assert blocked_domain("https://notmedium.com/x", blocked) is None


def test_every_entry_has_an_official_source_or_says_why_not(corpus):
    for e in corpus.entries:
        kinds = e.extra.get("source_kinds") or {}
        assert set(kinds) <= set(e.source_urls), e.id
        assert "official" in kinds.values() or (e.extra.get("why_no_official") or "").strip(), e.id


SAMPLE_CITIES = {"Amsterdam", "Barcelona", "Helsinki", "Rotterdam", "Eindhoven", "New York City", "Boston", "Portland",
                 "San Jose", "Los Angeles", "London", "Glasgow", "Vienna", "Tallinn", "Copenhagen", "Paris", "Lyon",
                 "Nantes", "Milan", "Toronto", "Dubai", "Singapore", "Buenos Aires", "Mexico City", "Seoul", "Shenzhen",
                 "Shanghai", "Hong Kong", "Tokyo", "Taipei"}


def test_size_cities_and_reserved_cities(corpus):
    cities = Counter(e.city for e in corpus.entries)
    assert len(corpus.entries) >= 320 and len(cities) >= 45
    assert not set(cities) & RESERVED
    # the 30 cities of the first sample keep at least three documented initiatives each
    assert {c: cities[c] for c in SAMPLE_CITIES if cities[c] < 3} == {}


def test_descriptions_have_natural_length(corpus):
    lengths = {e.id: len(e.description.split()) for e in corpus.entries}
    assert {u: n for u, n in lengths.items() if not 40 <= n <= 300} == {}


def test_manifest_documents_exist_with_their_hash_and_licence(corpus):
    records = check_manifest(DOCUMENTS_DIR / "manifest.jsonl", _documents_of(corpus))
    assert len({r.entry_id for r in records}) >= 80
    assert all(r.licence.strip() for r in records)
    # a document stored under no open licence holds short quotations only
    for r in records:
        if r.content == "quotations":
            text = (DOCUMENTS_DIR / r.path).read_text(encoding="utf-8").split("--- project's English gloss")[0]
            quotes = re.findall(r"“[^”]+”|\"[^\"]+\"", text)
            assert quotes, r.path
            assert all(len(q.split()) <= 45 for q in quotes), r.path


def test_manifest_check_catches_a_changed_document(tmp_path):
    doc = tmp_path / "e-1" / "page.txt"
    doc.parent.mkdir()
    doc.write_text('"a quotation"\n', encoding="utf-8")
    import hashlib

    row = {"entry_id": "e-1", "path": "e-1/page.txt", "source_url": "https://example.org/p", "title": "P",
           "licence": "CC BY 4.0", "content": "quotations", "retrieved": "2026-11-26", "retrieved_via": "stored copy",
           "by": "t", "sha256": hashlib.sha256(doc.read_bytes()).hexdigest()}
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert check_manifest(manifest, {"e-1": ["e-1/page.txt"]})
    doc.write_text('"a changed quotation"\n', encoding="utf-8")
    with pytest.raises(InputError, match="sha256"):
        check_manifest(manifest)
    manifest.write_text(json.dumps({**row, "licence": ""}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="licence"):
        read_manifest(manifest)
    doc.write_text('"a quotation"\n', encoding="utf-8")
    manifest.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="does not list"):
        check_manifest(manifest, {"e-1": ["e-1/other.txt"]})


def test_changes_log_accounts_for_every_entry_that_left(corpus):
    rows = [json.loads(line) for line in (CORPUS_DIR / "changes.jsonl").read_text(encoding="utf-8").splitlines() if line]
    ids = {e.id for e in corpus.entries}
    actions = {"drop", "merge", "split", "source-replaced", "source-removed", "description-edited", "reattribute",
               "relabel"}
    for r in rows:
        assert r["action"] in actions and r["reason"].strip() and r["date"], r
        if r["action"] in ("drop", "merge"):
            assert r["id"] not in ids, r
        if r["action"] == "merge":
            assert r["into"] in ids, r
    md = (CORPUS_DIR / "CHANGES.md").read_text(encoding="utf-8")
    assert all(r["id"] in md for r in rows)


def test_every_label_has_twenty_gold_positives(corpus):
    counts = corpus.gold_coding().label_counts(corpus.codebook)
    assert {lab: n for lab, n in counts.items() if n < 20} == {}
