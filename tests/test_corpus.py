"""The bundled annotated corpus: complete, valid, sourced, and free of reserved cities."""

from __future__ import annotations

from collections import Counter

from classifier.io.codebook import load_codebook
from classifier.io.cities import read_cities
from classifier.io.codes import read_labels
from classifier.io.entries import read_entries
from classifier.paths import ANNOTATIONS_DIR, CORPUS_DIR

SAMPLE_CITIES = {"Amsterdam", "Barcelona", "New York City", "London", "Vienna", "Portland", "San Jose", "Helsinki",
                 "Los Angeles", "Toronto", "Lyon", "Milan", "Rotterdam", "Eindhoven", "Glasgow", "Dubai", "Singapore",
                 "Buenos Aires", "Boston", "Nantes", "Shenzhen", "Seoul", "Hong Kong", "Shanghai", "Tokyo", "Paris",
                 "Copenhagen", "Tallinn", "Taipei", "Mexico City"}
KNOWN_MEMBERS = {"Amsterdam", "Barcelona", "New York City", "London", "Vienna", "Portland", "San Jose", "Helsinki"}
KNOWN_NON_MEMBERS = {"Dubai", "Singapore", "Buenos Aires", "Boston", "Nantes", "Shenzhen", "Seoul", "Hong Kong"}
RESERVED = ["Albuquerque", "Atlanta", "Bellevue", "Bengaluru", "Benidorm", "Bilbao", "Birmingham", "Bogotá", "Bordeaux",
            "Chicago", "Denver", "Dublin", "Edmonton", "Espoo", "Ghent", "Girona", "Greater Dandenong", "Guadalajara",
            "Hamburg", "Kyiv", "Long Beach", "Maipú", "Medellín", "Mendoza", "Middlesbrough", "Montevideo", "Montpellier",
            "Montréal", "Munich", "Oxford", "Pittsburgh", "Rennes", "Rio de Janeiro", "San Francisco", "Seattle",
            "Stockholm", "São Paulo", "Tempe", "Trondheim", "Utrecht", "Valencia", "Zaragoza"]


def _entries():
    return read_entries(CORPUS_DIR / "initiatives.jsonl")


def test_corpus_size_and_city_coverage():
    entries = _entries()
    assert len(entries) >= 320
    per_city = Counter(e.city for e in entries)
    assert SAMPLE_CITIES <= set(per_city) and len(per_city) >= 45
    assert min(per_city[c] for c in SAMPLE_CITIES) >= 3


def test_every_entry_is_sourced_described_and_not_from_a_reserved_city():
    for e in _entries():
        assert e.source_urls and all(u.startswith(("http://", "https://")) for u in e.source_urls), e.id
        assert 40 <= len(e.description.split()) <= 300, e.id
        assert e.city not in RESERVED
        assert e.extra.get("curated_by"), e.id
        assert e.year is None or 1990 <= e.year <= 2026, e.id


def test_every_entry_coded_by_both_coders_and_adjudicated():
    cb = load_codebook()
    ids = {e.id for e in _entries()}
    files = {name: read_labels(ANNOTATIONS_DIR / f"{name}.jsonl", cb) for name in ("coder_a", "coder_b", "gold")}
    for name, recs in files.items():
        assert set(recs) == ids, name  # read_labels already checked label keys and constraints
        assert all(r.coder for r in recs.values()), name
    assert {r.coder for r in files["coder_a"].values()} == {"coder_a"}
    assert {r.coder for r in files["coder_b"].values()} == {"coder_b"}


def test_adjudication_log_covers_every_disagreement():
    cb = load_codebook()
    a = read_labels(ANNOTATIONS_DIR / "coder_a.jsonl", cb)
    b = read_labels(ANNOTATIONS_DIR / "coder_b.jsonl", cb)
    gold = read_labels(ANNOTATIONS_DIR / "gold.jsonl", cb)
    log = (ANNOTATIONS_DIR / "adjudication.md").read_text(encoding="utf-8")
    rows = {tuple(c.strip() for c in line.strip().strip("|").split("|")[:3])
            for line in log.splitlines() if line.startswith("|")}
    for uid in a:
        for g in cb.group_keys:
            for lab in set(a[uid].codes[g]) ^ set(b[uid].codes[g]):
                decision = "present" if lab in gold[uid].codes[g] else "absent"
                assert (uid, lab, decision) in rows, (uid, lab)


def test_cities_file_records_membership_with_sources():
    cities = read_cities(CORPUS_DIR / "cities.csv")
    assert set(cities) == {e.city for e in _entries()}  # every corpus city, no other
    for name in KNOWN_MEMBERS:
        assert cities[name].ccdr_member is True, name
    for name in KNOWN_NON_MEMBERS:
        assert cities[name].ccdr_member is False, name
    for c in cities.values():
        if c.city not in KNOWN_MEMBERS | KNOWN_NON_MEMBERS and c.ccdr_member is not None:
            assert c.source_url.startswith("http"), c.city


def test_data_readme_counts_match_the_data():
    from classifier.reports.describe import BEGIN, END, describe_corpus
    from classifier.paths import DATA_DIR

    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert block.strip() == describe_corpus().strip(), "data/README.md is stale: run `make readmes`"


def test_readme_corpus_and_comparison_blocks_match_the_data(tmp_path):
    """README.md's generated blocks (`make readmes`) are recomputed from the bundled data."""
    from classifier.analysis.run import run_comparison
    from classifier.paths import PROJECT_ROOT
    from classifier.reports.compare import README_BEGIN, README_END, readme_table
    from classifier.reports.describe import CORPUS_BEGIN, CORPUS_END, corpus_summary

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(CORPUS_BEGIN, 1)[1].split(CORPUS_END, 1)[0]
    assert block.strip() == corpus_summary().strip(), "README.md corpus block is stale: run `make readmes`"
    res = run_comparison("hand", out=tmp_path / "c")
    block = readme.split(README_BEGIN, 1)[1].split(README_END, 1)[0]
    assert block.strip() == readme_table(res.report).strip(), "README.md comparison is stale: run `make readmes`"
