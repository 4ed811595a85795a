"""Descriptive statistics of the annotated corpus (``atlas-coder describe``).

The tables in ``data/README.md`` are this module's output, pasted between markers; a test
re-computes them so the README cannot drift from the data.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from classifier.paths import DATA_DIR

BEGIN, END = "<!-- BEGIN atlas-coder describe -->", "<!-- END atlas-coder describe -->"
CORPUS_BEGIN, CORPUS_END = "<!-- BEGIN atlas-coder corpus -->", "<!-- END atlas-coder corpus -->"


def _membership(value: bool | None) -> str:
    return {True: "member", False: "non-member", None: "unknown"}[value]


def describe_corpus(data_dir: str | Path | None = None) -> str:
    from classifier.io.cities import read_cities
    from classifier.io.corpus import load_corpus
    from classifier.reliability.agreement import agreement
    from classifier.reports.render import render

    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    corpus = load_corpus(data_dir)
    cb = corpus.codebook
    cities = read_cities(data_dir / "corpus" / "cities.csv")
    status = {e.id: _membership(cities[e.city].ccdr_member) if e.city in cities else "unknown" for e in corpus.entries}
    per_city = Counter(e.city for e in corpus.entries)
    dated = Counter(e.city for e in corpus.entries if e.year is not None)
    with_docs = Counter(e.city for e in corpus.entries if e.documents)
    city_rows = [{"name": name, "country": cities[name].country if name in cities else "",
                  "membership": _membership(cities[name].ccdr_member) if name in cities else "unknown",
                  "entries": per_city[name], "dated": dated[name], "documents": with_docs[name]}
                 for name in sorted(per_city)]
    kinds_of = [set((e.extra.get("source_kinds") or {}).values()) for e in corpus.entries]
    sources = {"official": sum("official" in k for k in kinds_of),
               "no_official_note": sum(bool(e.extra.get("why_no_official")) for e in corpus.entries),
               "with_documents": sum(with_docs.values()),
               "documents": sum(len(e.documents) for e in corpus.entries)}
    label_rows = []
    for g, lab in cb.all_labels:
        ids = [u for u, r in corpus.gold.items() if lab in r.codes[g]]
        label_rows.append({"group": g, "label": lab, "all": len(ids), "per": Counter(status[u] for u in ids)})
    coders = corpus.coder_codings()
    rep = agreement([coders["coder_a"], coders["coder_b"]], cb, n_resamples=1000, seed=0)
    return render("describe.md.j2", cb=cb, n_entries=len(corpus.entries), n_cities=len(per_city), n_gold=len(corpus.gold),
                  kinds=("member", "non-member", "unknown"), by_kind=Counter(status.values()),
                  city_kind=Counter(_membership(c.ccdr_member) for c in cities.values()), city_rows=city_rows,
                  label_rows=label_rows, rep=rep, sources=sources)


def corpus_summary(data_dir: str | Path | None = None) -> str:
    """The head of :func:`describe_corpus` (size, sources, documents, membership), for README.md."""
    return describe_corpus(data_dir).split("| city |", 1)[0].strip() + "\n"
