"""Coding packets for the independent coders: entry text plus stored documents, no codes.

    .venv/bin/python data/staging/v2/coding/make_packet.py NAME ENTRIES.jsonl [ENTRIES.jsonl ...] [--skip ID ...]
writes data/staging/v2/coding/packet_NAME.jsonl (one entry per line: id, city, country, title,
year, description, documents: [{path, text}]) and packet_NAME.md (the same, readable).
"""
import glob
import json
import sys
from pathlib import Path

STAGE = Path(__file__).resolve().parents[1]
args = sys.argv[1:]
skip = set()
if "--skip" in args:
    i = args.index("--skip")
    skip = set(args[i + 1:])
    args = args[:i]
name, files = args[0], args[1:]
docs = {}
for f in sorted(glob.glob(str(STAGE / "documents_manifest_*.jsonl"))):
    for line in open(f, encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            p = STAGE / "documents" / r["path"]
            if p.is_file():
                docs.setdefault(r["entry_id"], []).append({"path": r["path"], "title": r["title"],
                                                           "text": p.read_text(encoding="utf-8")})
rows = []
for f in files:
    for line in open(f, encoding="utf-8"):
        if not line.strip():
            continue
        e = json.loads(line)
        if e["id"] in skip:
            continue
        rows.append({"id": e["id"], "city": e["city"], "country": e.get("country"), "title": e["title"],
                     "year": e.get("year"), "description": e["description"], "documents": docs.get(e["id"], [])})
out = STAGE / "coding" / f"packet_{name}.jsonl"
out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
md = []
for r in rows:
    md.append(f"## {r['id']} — {r['title']} ({r['city']}, {r['year']})\n\n{r['description']}\n")
    for d in r["documents"]:
        md.append(f"### Linked document: {d['title']} ({d['path']})\n\n{d['text'].strip()}\n")
(STAGE / "coding" / f"packet_{name}.md").write_text("\n".join(md), encoding="utf-8")
print(out, len(rows), sum(1 for r in rows if r["documents"]))
