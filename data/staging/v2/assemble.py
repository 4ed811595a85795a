"""Assemble corpus v2 from the staged research (issue 9); run from the repository root.

    .venv/bin/python data/staging/v2/assemble.py [--out data/staging/v2/corpus_v2]

Reads the audited current entries (audited.jsonl, changes.jsonl), the staged candidates
(entries_*.jsonl, cities_*.csv) and the stored documents (documents/, documents_manifest_*.jsonl);
applies the rejections listed in REJECT below (each with its reason), removes any source on
data/corpus/blocked_domains.txt, copies documents and writes a manifest with sha256; writes the
uncoded corpus to --out (initiatives.jsonl, cities.csv, documents/, changes.jsonl). Nothing in
data/corpus is touched: the coded corpus replaces it only after recoding and adjudication.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STAGE = ROOT / "data" / "staging" / "v2"
sys.path.insert(0, str(ROOT / "src"))

from classifier.io.sources import blocked_domain, read_blocklist  # noqa: E402

# Staged candidates not taken into the corpus, with the reason (decided when assembling).
REJECT = {
    "hangzhou-03": "out of scope: the COVID health code is an automated rule-based risk rating; the sources do not describe AI",
    "detroit-03": "out of scope: an ordinance on surveillance technology in general, not on AI",
    "turin-02": "out of scope: a technology test-bed in which AI is one of several technologies; no AI initiative of the city is documented",
    "trelleborg-h-01": "out of scope: rule-based robotic process automation of welfare decisions; the sources describe no AI",
}

FIELDS = ("id", "city", "country", "title", "year", "description", "source_urls", "source_kinds", "why_no_official",
          "documents", "not_duplicate_of", "curated_by", "curated_at")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=STAGE / "corpus_v2")
    args = ap.parse_args()
    out: Path = args.out
    blocked = read_blocklist(ROOT / "data" / "corpus" / "blocked_domains.txt")
    changes = read_jsonl(STAGE / "changes.jsonl")
    entries = read_jsonl(STAGE / "audited.jsonl")
    for e in entries:
        e.setdefault("curated_by", "research-helper-1")
    staged = []
    for f in sorted(glob.glob(str(STAGE / "entries_*.jsonl"))):
        staged += read_jsonl(Path(f))
    log = []
    for e in staged:
        if e["id"] in REJECT:
            log.append(f"candidate {e['id']} not added: {REJECT[e['id']]}")
            continue
        entries.append(e)
    # sources on the blocklist are removed; an entry left without sources is dropped
    kept = []
    for e in entries:
        urls = [u for u in e.get("source_urls") or [] if not blocked_domain(u, blocked)]
        removed = [u for u in e.get("source_urls") or [] if u not in urls]
        if removed:
            log.append(f"{e['id']}: removed blocked sources {removed}")
        e["source_urls"] = urls
        e["source_kinds"] = {u: k for u, k in (e.get("source_kinds") or {}).items() if u in urls}
        if not urls:
            log.append(f"{e['id']}: dropped, no source left")
            continue
        kept.append(e)
    entries = kept
    ids = Counter(e["id"] for e in entries)
    dup = [u for u, n in ids.items() if n > 1]
    if dup:
        raise SystemExit(f"duplicate ids: {dup}")
    # documents
    by_id = {e["id"]: e for e in entries}
    merged_into = {c["id"]: c["into"] for c in changes if c.get("action") == "merge" and c.get("into")}
    if (out / "documents").exists():
        shutil.rmtree(out / "documents")
    (out / "documents").mkdir(parents=True)
    manifest = []
    for f in sorted(glob.glob(str(STAGE / "documents_manifest_*.jsonl"))):
        for row in read_jsonl(Path(f)):
            eid = merged_into.get(row["entry_id"], row["entry_id"])
            if eid not in by_id:
                log.append(f"document {row['path']} skipped: entry {row['entry_id']} is not in the corpus")
                continue
            src = STAGE / "documents" / row["path"]
            if not src.is_file():
                log.append(f"document {row['path']} skipped: file missing")
                continue
            rel = Path(eid) / Path(row["path"]).name
            dst = out / "documents" / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            manifest.append({**{k: row[k] for k in ("source_url", "title", "licence", "content", "retrieved",
                                                    "retrieved_via", "by")},
                             "entry_id": eid, "path": str(rel), "sha256": hashlib.sha256(dst.read_bytes()).hexdigest()})
            by_id[eid].setdefault("documents", []).append(f"../documents/{rel}")
    # cities
    cities = {}
    with open(ROOT / "data" / "corpus" / "cities.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cities[r["city"]] = r
    for f in sorted(glob.glob(str(STAGE / "cities_*.csv"))):
        with open(f, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["city"] not in cities:
                    cities[r["city"]] = r
    used = Counter(e["city"] for e in entries)
    missing = sorted(set(used) - set(cities))
    if missing:
        raise SystemExit(f"cities without a cities.csv row: {missing}")
    with open(out / "cities.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["city", "country", "ccdr_member", "source_url", "note"], lineterminator="\n")
        w.writeheader()
        for name in sorted(cities, key=lambda c: (c not in used, list(cities).index(c))):
            if name in used:
                w.writerow({k: cities[name].get(k, "") for k in ["city", "country", "ccdr_member", "source_url", "note"]})
    entries.sort(key=lambda e: (e["city"], e["id"]))
    with open(out / "initiatives.jsonl", "w", encoding="utf-8") as fh:
        for e in entries:
            rec = {k: e[k] for k in FIELDS if k in e and e[k] not in (None, [], {})}
            rec.setdefault("year", e.get("year"))
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(out / "documents" / "manifest.jsonl", "w", encoding="utf-8") as fh:
        for m in manifest:
            fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    (out / "assembly_log.txt").write_text("\n".join(log) + "\n", encoding="utf-8")
    print(f"{len(entries)} entries, {len(used)} cities, {len({m['entry_id'] for m in manifest})} entries with "
          f"{len(manifest)} documents; log: {out / 'assembly_log.txt'}")


if __name__ == "__main__":
    main()
