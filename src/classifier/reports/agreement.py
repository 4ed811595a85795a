"""Write an agreement report: ``agreement.md``, ``agreement.json`` and ``disagreements.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from classifier.io.atomic import atomic_write_text
from classifier.io.tables import json_dumps, write_csv
from classifier.reports.render import render

FILES = ("agreement.md", "agreement.json", "disagreements.csv")


def agreement_markdown(report: Mapping[str, Any], title: str = "Agreement") -> str:
    return render("agreement.md.j2", r=report, title=title)


def write_agreement(report: Mapping[str, Any], out_dir: str | Path) -> str:
    """Write the three files; return the Markdown."""
    out_dir = Path(out_dir)
    md = agreement_markdown(report)
    rows = [{"group": s["group"], "label": s["label"], "id": u} for s in report["labels"] for u in s["disagreements"]]
    atomic_write_text(out_dir / "agreement.json", json_dumps(report))
    atomic_write_text(out_dir / "agreement.md", md)
    write_csv(out_dir / "disagreements.csv", rows, ["group", "label", "id"])
    return md
