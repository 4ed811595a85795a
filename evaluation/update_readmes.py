"""Regenerate the generated blocks of README.md and data/README.md from the bundled data.

    .venv/bin/python evaluation/update_readmes.py      (make readmes)

Blocks: data/README.md `describe` (atlas-coder describe), README.md `corpus` (its first part) and
README.md `compare` (atlas-coder compare --readme, hand codes, seed 0). Tests recompute each
block and fail when a README is stale.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def replace_block(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body.strip()}\n{end}{tail}"


def main() -> None:
    from classifier.analysis.run import run_comparison
    from classifier.io.atomic import atomic_write_text
    from classifier.reports.compare import README_BEGIN, README_END, readme_table
    from classifier.reports.describe import BEGIN, END, CORPUS_BEGIN, CORPUS_END, corpus_summary, describe_corpus

    data_readme = ROOT / "data" / "README.md"
    atomic_write_text(data_readme, replace_block(data_readme.read_text(encoding="utf-8"), BEGIN, END, describe_corpus()))
    readme = ROOT / "README.md"
    text = replace_block(readme.read_text(encoding="utf-8"), CORPUS_BEGIN, CORPUS_END, corpus_summary())
    with tempfile.TemporaryDirectory() as tmp:
        res = run_comparison("hand", out=Path(tmp) / "c")
    text = replace_block(text, README_BEGIN, README_END, readme_table(res.report))
    atomic_write_text(readme, text)
    print("updated data/README.md and README.md")


if __name__ == "__main__":
    main()
