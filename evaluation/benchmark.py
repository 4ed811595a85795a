"""Speed benchmark of atlas-coder on this machine (run: `make benchmark`).

Measures, each in a fresh process as a user would run it:
1. `atlas-coder --help` wall time (median of 5);
2. `atlas-coder train` on the bundled corpus with a cold embedding cache (MLflow logging to a
   temporary store included);
3. `atlas-coder predict` on 1,000 distinct entries with a cold cache. Each entry takes 5-8
   sentences of corpus descriptions with their words shuffled (seeded), so that every title and
   every sentence is distinct (the encoder cannot reuse any work) while lengths stay realistic.
   They are benchmark inputs only, never training data.
4. `atlas-coder predict` on 50 entries that each link a ~1,000-word text document (the same
   kind of distinct shuffled sentences), with a cold cache;
5. `atlas-coder run` (the main job) with a cold embedding cache, with its per-step timings.
Peak memory (max RSS of the child processes) is kept after each step.
Results are printed and written to reports/benchmark.json.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
EXE = [str(ROOT / ".venv" / "bin" / "atlas-coder")]


PEAK_MB: dict[str, float] = {}
# Runs the command as its only child and reports that child's own peak memory (max RSS, KiB),
# so memory of the benchmarking process (or anything it forked earlier) never counts.
_MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(r.returncode)")


def timed(cmd: list[str], env: dict, name: str | None = None) -> float:
    """Wall time of one command; its own peak memory (max RSS) is kept under ``name``."""
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{res.stderr}")
    if name:
        kib = int(res.stderr.strip().splitlines()[-1].split()[-1])
        PEAK_MB[name] = kib / 1024
    return elapsed


def synthetic_entries(n: int, seed: int = 0) -> list[dict]:
    from classifier.io.corpus import load_corpus
    from classifier.text.sentences import split_sentences

    entries = load_corpus().entries
    pool = [s for e in entries for s in split_sentences(e.description)]
    rng = random.Random(seed)
    seen: set[str] = set()

    def distinct(text: str) -> str:
        """A word shuffle of ``text`` not produced before; a short text whose shuffles are all
        used up gets a running number (a title of two words has only two orders)."""
        words = text.split()
        for _ in range(50):
            rng.shuffle(words)
            candidate = " ".join(words)
            if candidate not in seen:
                seen.add(candidate)
                return candidate
        candidate = f"{' '.join(words)} {len(seen)}"
        seen.add(candidate)
        return candidate

    out = []
    for i in range(n):
        base = rng.choice(entries)
        desc = " ".join(distinct(s) for s in rng.sample(pool, rng.randint(5, 8)))
        out.append({"id": f"bench-{i:04d}", "city": base.city, "country": base.country,
                    "title": distinct(base.title), "description": desc})
    return out


def main() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}", "HF_HUB_OFFLINE": "1"}
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}

    help_times = [timed(EXE + ["--help"], env) for _ in range(5)]
    results["help_seconds_median"] = round(statistics.median(help_times), 3)

    env_train = {**env, "ATLAS_CODER_CACHE": str(tmp / "cache-train")}
    results["train_seconds_cold"] = round(timed(EXE + ["train", "--out", str(tmp / "model")], env_train, "train"), 2)

    path = tmp / "bench.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in synthetic_entries(1000)), encoding="utf-8")
    env_pred = {**env, "ATLAS_CODER_CACHE": str(tmp / "cache-pred")}
    results["predict_1000_seconds_cold"] = round(
        timed(EXE + ["predict", str(path), "--out", str(tmp / "pred.jsonl"), "--model", str(tmp / "model")], env_pred,
              "predict"), 2)
    results["predict_1000_n_entries"] = sum(1 for _ in (tmp / "pred.jsonl").open())
    results["predict_1000_n_sentences"] = sum(1 + len(e["description"].split(". ")) for e in map(json.loads, path.open()))

    # the fast configuration (static embeddings distilled from the default model), same inputs
    static_cfg = ROOT / "training" / "config-static.yaml"
    if static_cfg.exists():
        env_s = {**env, "ATLAS_CODER_CACHE": str(tmp / "cache-static-train")}
        results["static_train_seconds_cold"] = round(timed(EXE + ["train", "--config", str(static_cfg), "--out",
                                                                  str(tmp / "model-static")], env_s, "train static"), 2)
        env_s = {**env, "ATLAS_CODER_CACHE": str(tmp / "cache-static-pred")}
        results["static_predict_1000_seconds_cold"] = round(
            timed(EXE + ["predict", str(path), "--out", str(tmp / "pred-static.jsonl"), "--model",
                         str(tmp / "model-static")], env_s, "predict static"), 2)

    # with linked documents: 50 entries, each linking a ~1,000-word text document of distinct
    # shuffled corpus sentences (benchmark inputs only)
    docs = synthetic_entries(50, seed=1)
    (tmp / "docs").mkdir()
    filler = synthetic_entries(50 * 5, seed=2)
    for i, e in enumerate(docs):
        text = "\n\n".join(f["description"] for f in filler[i * 5:(i + 1) * 5])
        (tmp / "docs" / f"d{i:03d}.txt").write_text(text, encoding="utf-8")
        e["documents"] = [f"docs/d{i:03d}.txt"]
    path_docs = tmp / "bench_docs.jsonl"
    path_docs.write_text("".join(json.dumps(e) + "\n" for e in docs), encoding="utf-8")
    results["predict_50_with_documents_words_per_document"] = round(
        statistics.mean(len((tmp / "docs" / f"d{i:03d}.txt").read_text().split()) for i in range(50)))
    env_docs = {**env, "ATLAS_CODER_CACHE": str(tmp / "cache-docs")}
    results["predict_50_with_documents_seconds_cold"] = round(
        timed(EXE + ["predict", str(path_docs), "--out", str(tmp / "pred_docs.jsonl"), "--model", str(tmp / "model")],
              env_docs, "predict with documents"), 2)

    # the main job with a cold embedding cache: featurised once, then train (reused), predict, evaluate
    env_run = {**env, "ATLAS_CODER_CACHE": str(tmp / "cache-run")}
    results["run_seconds_cold"] = round(timed(EXE + ["run", "--out", str(tmp / "reports"), "--no-tracking"], env_run,
                                              "run"), 2)
    results["run_step_seconds"] = json.loads((tmp / "reports" / "summary.json").read_text())["timings"]

    results["peak_memory_mb"] = {k: round(v) for k, v in PEAK_MB.items()}
    print(json.dumps(results, indent=1))
    from classifier.io.atomic import atomic_write_text

    atomic_write_text(ROOT / "reports" / "benchmark.json", json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
