"""Corpus v2 after coding (issue 9); run from the repository root.

    .venv/bin/python data/staging/v2/finalize.py disputes   # coders' files -> coding/disputes_*.md for the adjudicator
    .venv/bin/python data/staging/v2/finalize.py install    # + adjudication -> data/corpus, data/documents, data/annotations

`install` writes gold = labels both coders coded + labels the adjudicator decided present;
coder_a.jsonl / coder_b.jsonl are the two independent codings as returned; adjudication.md lists
every disputed label with its decision and reason; CHANGES.md lists every removal, merge, split,
source change and relabel (gold v1 -> v2) with its reason.
"""

from __future__ import annotations

import glob
import json
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STAGE = ROOT / "data" / "staging" / "v2"
CODING = STAGE / "coding"
V2 = STAGE / "corpus_v2"
sys.path.insert(0, str(ROOT / "src"))

from classifier.io.codebook import load_codebook  # noqa: E402

CB = load_codebook(ROOT / "data" / "annotations" / "codebook.yaml")
GROUPS = CB.group_keys
GROUP_OF = {lab: g for g, lab in CB.all_labels}


def read_jsonl(path) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]


def codings(coder: str) -> dict[str, dict]:
    out = {}
    for f in sorted(glob.glob(str(CODING / f"{coder}_*.jsonl"))):
        for r in read_jsonl(f):
            out[r["id"]] = r
    return out


def labels_of(rec: dict) -> set[str]:
    return {lab for g in GROUPS for lab in rec.get(g, [])}


def disputes() -> None:
    a, b = codings("coder_a"), codings("coder_b")
    packet = {}
    for f in sorted(glob.glob(str(CODING / "packet_*.jsonl"))):
        for r in read_jsonl(f):
            packet[r["id"]] = r
    both = sorted(set(a) & set(b))
    rows, md = [], []
    for u in both:
        la, lb = labels_of(a[u]), labels_of(b[u])
        diff = sorted(la ^ lb, key=lambda lab: [x for _, x in CB.all_labels].index(lab))
        if not diff:
            continue
        e = packet[u]
        agreed = sorted(la & lb, key=lambda lab: [x for _, x in CB.all_labels].index(lab))
        items = [{"label": lab, "group": GROUP_OF[lab], "coded_present_by": "coder_a" if lab in la else "coder_b"}
                 for lab in diff]
        rows.append({"id": u, "disputed": items})
        md.append(f"## {u} — {e['title']} ({e['city']}, {e['year']})\n\n{e['description']}\n")
        for d in e["documents"]:
            md.append(f"### Linked document: {d['title']}\n\n{d['text'].strip()}\n")
        md.append(f"**Agreed by both coders (these stand):** {', '.join(agreed) or '(none)'}\n")
        md.append("**Disputed labels:** " + "; ".join(f"{i['label']} ({i['group']}, coded present by "
                                                      f"{i['coded_present_by']})" for i in items) + "\n")
        md.append(f"coder_a note: {a[u].get('note', '')}\n\ncoder_b note: {b[u].get('note', '')}\n")
    name = sys.argv[2] if len(sys.argv) > 2 else "all"
    done = set()  # entries already handed to an adjudicator in an earlier disputes file
    for f in glob.glob(str(CODING / "disputes_*.jsonl")):
        if Path(f).name != f"disputes_{name}.jsonl":
            done |= {r["id"] for r in read_jsonl(f)}
    todo = [r for r in rows if r["id"] not in done]
    (CODING / f"disputes_{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in todo), encoding="utf-8")
    (CODING / f"disputes_{name}.md").write_text("\n".join(
        block for r, block in _blocks(md) if r in {t["id"] for t in todo}), encoding="utf-8")
    n_labels = sum(len(r["disputed"]) for r in todo)
    print(f"{len(both)} entries coded by both; {len(rows)} with disputes ({len(todo)} not yet adjudicated, "
          f"{n_labels} labels) -> disputes_{name}.md")


def _blocks(md: list[str]):
    """Group the markdown pieces by entry (each entry starts with '## id')."""
    cur, buf = None, []
    for m in md:
        if m.startswith("## "):
            if cur:
                yield cur, "\n".join(buf)
            cur, buf = m[3:].split(" — ")[0], [m]
        else:
            buf.append(m)
    if cur:
        yield cur, "\n".join(buf)


def install() -> None:
    today = "2026-11-26"
    entries = read_jsonl(V2 / "initiatives.jsonl")
    ids = [e["id"] for e in entries]
    a, b = codings("coder_a"), codings("coder_b")
    missing = [u for u in ids if u not in a or u not in b]
    if missing:
        raise SystemExit(f"{len(missing)} entries not coded by both coders, e.g. {missing[:5]}")
    adj = {}
    for f in sorted(glob.glob(str(CODING / "adjudication_*.jsonl"))):
        for r in read_jsonl(f):
            adj[(r["id"], r["label"])] = r
    order = [lab for _, lab in CB.all_labels]
    gold, rows, problems = {}, [], []
    for u in ids:
        la, lb = labels_of(a[u]), labels_of(b[u])
        final = set(la & lb)
        for lab in sorted(la ^ lb, key=order.index):
            r = adj.get((u, lab))
            if r is None:
                problems.append(f"{u}: {lab} disputed but not adjudicated")
                continue
            if r["decision"] == "present":
                final.add(lab)
            rows.append({"id": u, "label": lab, "group": GROUP_OF[lab], "decision": r["decision"],
                         "by": "coder_a" if lab in la else "coder_b", "reason": r["reason"]})
        codes = {g: [lab for lab in order if lab in final and GROUP_OF[lab] == g] for g in GROUPS}
        v = CB.violations(codes)
        if v:
            problems.append(f"{u}: {v[0]}")
        gold[u] = codes
    if problems:
        raise SystemExit("\n".join(problems[:30]))
    ann = ROOT / "data" / "annotations"
    v1 = ann / "v1"
    v1.mkdir(exist_ok=True)
    for name in ("gold.jsonl", "coder_a.jsonl", "coder_b.jsonl", "adjudication.md"):
        if (ann / name).exists() and not (v1 / name).exists():
            shutil.copyfile(ann / name, v1 / name)
    old_gold = {r["id"]: r for r in read_jsonl(v1 / "gold.jsonl")}  # v1, also when install is run again

    def write(path, recs):
        Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")

    write(ann / "gold.jsonl", [{"id": u, **gold[u], "coder": "gold", "coded_at": today,
                                 "note": "agreed by coder_a and coder_b, disputed labels adjudicated (adjudication.md)"}
                                for u in ids])
    for name, recs in (("coder_a", a), ("coder_b", b)):
        write(ann / f"{name}.jsonl", [{"id": u, **{g: recs[u].get(g, []) for g in GROUPS}, "coder": name,
                                        "coded_at": recs[u].get("coded_at", today), "note": recs[u].get("note", "")}
                                       for u in ids])
    n_present = sum(r["decision"] == "present" for r in rows)
    md = ["# Adjudication log (corpus v2)", "",
          "Two coders (`coder_a`, `coder_b`) coded every entry independently under codebook "
          f"{CB.version} (decision rules R1-R16), each seeing only the codebook and the entry's title, description "
          "and stored linked documents. An adjudicator resolved every label on which they disagreed, seeing the "
          "same materials, the labels both coders agreed on (which stand) and both coders' notes. Labels on which "
          "both coders agreed are not listed; they pass into `gold.jsonl` unchanged.", "",
          f"Disputed label decisions: {len(rows)} ({n_present} resolved present, {len(rows) - n_present} absent), "
          f"over {len({r['id'] for r in rows})} of {len(ids)} entries.", "",
          "Who: coder_a, coder_b and the adjudicator are separate AI assistant sessions (the same underlying "
          "language model; each coder's work was split over six sessions, one per batch of entries; the adjudicator over five), each given only "
          "what is described above. Their agreement is not the agreement of independent humans; the human-coding "
          "kit in `data/human_coding/` is how people check it. The first round (v1, 180 entries, descriptions only, "
          "codebook 1.0.0) is kept in `v1/`.", "",
          "| entry | label | decision | group | coded present by | reason |", "|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['id']} | {r['label']} | {r['decision']} | {r['group']} | {r['by']} | "
                  f"{r['reason'].replace('|', '/')} |")
    (ann / "adjudication.md").write_text("\n".join(md) + "\n", encoding="utf-8")

    # changes log: the audit's changes, then relabels of every entry kept from v1
    changes = read_jsonl(STAGE / "changes.jsonl")
    reasons = defaultdict(list)
    for r in rows:
        reasons[r["id"]].append(f"{r['label']} {r['decision']}: {r['reason']}")
    for u in ids:
        if u not in old_gold:
            continue
        before = labels_of(old_gold[u])
        after = {lab for g in GROUPS for lab in gold[u][g]}
        if before == after:
            continue
        plus, minus = sorted(after - before, key=order.index), sorted(before - after, key=order.index)
        why = ("recoded under codebook 2.0.0 (rules R7-R16) from the description and its stored documents by two "
               "independent coders, disputes adjudicated")
        if reasons[u]:
            why += "; adjudicated: " + " / ".join(reasons[u])
        changes.append({"id": u, "action": "relabel", "into": None,
                        "reason": f"{'+' + ', +'.join(plus) if plus else ''}{'; ' if plus and minus else ''}"
                                  f"{'-' + ', -'.join(minus) if minus else ''}: {why}", "date": today})
    corpus = ROOT / "data" / "corpus"
    write(corpus / "changes.jsonl", changes)
    old_ids = set(old_gold)
    added = Counter(e["city"] for e in entries if e["id"] not in old_ids)
    sections = [("drop", "Removed"), ("merge", "Merged"), ("split", "Split"), ("reattribute", "Reattributed"),
                ("source-replaced", "Sources replaced"), ("source-removed", "Sources removed"),
                ("description-edited", "Descriptions edited"), ("relabel", "Relabelled (gold v1 -> v2)")]
    out = ["# Corpus changes", "",
           f"Corpus v2 ({today}): {len(entries)} entries from {len({e['city'] for e in entries})} cities, coded under "
           f"codebook {CB.version}. It was made from the 180 entries of v1 by the source audit "
           "(`data/staging/v2/source_review.jsonl`), which removed content-farm, scraper and aggregator sources "
           "(`blocked_domains.txt`), dropped out-of-scope and unsourced entries, merged entries split from one "
           "article and split merged ones; then new documented initiatives were added "
           f"({sum(added.values())} entries; {len(added)} cities gained entries) and every entry was recoded. "
           "Machine-readable: `changes.jsonl` (one line per change, the same rows as below).", ""]
    for action, title in sections:
        rs = [c for c in changes if c["action"] == action]
        if not rs:
            continue
        out += [f"## {title} ({len(rs)})", "", "| entry | into | reason |", "|---|---|---|"]
        out += [f"| {c['id']} | {c.get('into') or ''} | {c['reason'].replace('|', '/')} |" for c in rs]
        out.append("")
    out += ["## Added", "", "| city | new entries |", "|---|---|"]
    out += [f"| {c} | {n} |" for c, n in sorted(added.items())]
    (corpus / "CHANGES.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    shutil.copyfile(V2 / "initiatives.jsonl", corpus / "initiatives.jsonl")
    shutil.copyfile(V2 / "cities.csv", corpus / "cities.csv")
    docs = ROOT / "data" / "documents"
    if docs.exists():
        shutil.rmtree(docs)
    shutil.copytree(V2 / "documents", docs)
    print(f"installed {len(ids)} entries; {len(rows)} adjudicated labels; {sum(c['action'] == 'relabel' for c in changes)} "
          "relabelled v1 entries")


if __name__ == "__main__":
    {"disputes": disputes, "install": install}[sys.argv[1]]()
