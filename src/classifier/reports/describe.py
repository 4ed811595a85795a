"""Descriptive statistics of the annotated corpus (``atlas-coder describe``).

The tables in ``data/README.md`` are this module's output, pasted between markers; a test
re-computes them so the README cannot drift from the data.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from classifier.paths import DATA_DIR

BEGIN, END = "<!-- BEGIN atlas-coder describe -->", "<!-- END atlas-coder describe -->"


def _membership(value: bool | None) -> str:
    return {True: "member", False: "non-member", None: "unknown"}[value]


def describe_corpus(data_dir: str | Path | None = None) -> str:
    from classifier.io.cities import read_cities
    from classifier.io.corpus import load_corpus
    from classifier.reliability.agreement import agreement

    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    corpus = load_corpus(data_dir)
    cb = corpus.codebook
    cities = read_cities(data_dir / "corpus" / "cities.csv")
    status = {e.id: _membership(cities[e.city].ccdr_member) if e.city in cities else "unknown" for e in corpus.entries}
    kinds = ("member", "non-member", "unknown")
    lines = [f"{len(corpus.entries)} entries from {len({e.city for e in corpus.entries})} cities; "
             f"gold codes for {len(corpus.gold)}. Codebook {cb.name} {cb.version} (sha256 {cb.sha256[:12]}).", ""]
    by_kind = Counter(status.values())
    city_kind = Counter(_membership(c.ccdr_member) for c in cities.values())
    lines += ["| CCDR membership | cities | entries |", "|---|---|---|"]
    lines += [f"| {k} | {city_kind[k]} | {by_kind[k]} |" for k in kinds]
    lines += ["", "| city | country | CCDR | entries | with year |", "|---|---|---|---|---|"]
    per_city = Counter(e.city for e in corpus.entries)
    dated = Counter(e.city for e in corpus.entries if e.year is not None)
    for name in sorted(per_city):
        c = cities.get(name)
        lines.append(f"| {name} | {c.country if c else ''} | {_membership(c.ccdr_member) if c else 'unknown'} | "
                     f"{per_city[name]} | {dated[name]} |")
    lines += ["", "Gold label counts, overall and by CCDR membership of the city:", "",
              "| group | label | all | member | non-member | unknown |", "|---|---|---|---|---|---|"]
    for g, lab in cb.all_labels:
        ids = [u for u, r in corpus.gold.items() if lab in r.codes[g]]
        per = Counter(status[u] for u in ids)
        lines.append(f"| {g} | {lab} | {len(ids)} | {per['member']} | {per['non-member']} | {per['unknown']} |")
    coders = corpus.coder_codings()
    rep = agreement([coders["coder_a"], coders["coder_b"]], cb, n_resamples=1000, seed=0)
    lines += ["", "Agreement between coder_a and coder_b before adjudication (Krippendorff's alpha with 95% bootstrap CI, "
              "1,000 unit resamples, seed 0):", "",
              "| group | label | % agreement | alpha | 95% CI | disagreements |", "|---|---|---|---|---|---|"]
    rows = [(s["group"], "(all labels pooled)", s, None) for s in rep["groups"]] + \
           [(s["group"], s["label"], s, len(s["disagreements"])) for s in rep["labels"]]
    for g, lab, s, n in rows:
        alpha = "n/a" if s["alpha"] != s["alpha"] else f"{s['alpha']:.3f}"
        ci = "n/a" if s["alpha_ci"][0] != s["alpha_ci"][0] else f"[{s['alpha_ci'][0]:.2f}, {s['alpha_ci'][1]:.2f}]"
        lines.append(f"| {g} | {lab} | {s['percent_agreement']:.3f} | {alpha} | {ci} | {'' if n is None else n} |")
    return "\n".join(lines) + "\n"
