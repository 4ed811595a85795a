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


def write_human_agreement(report: Mapping[str, Any], out_dir: str | Path) -> str:
    """Write ``agree-humans.md`` and ``.json`` (human-human, then each human against gold)."""
    out_dir = Path(out_dir)

    def section(rep: Mapping[str, Any], title: str) -> str:
        body = agreement_markdown(rep, title=title)
        return "\n".join("#" + line if line.startswith("#") else line for line in body.splitlines()) + "\n"

    md = (f"# Human coders: agreement on the kit's sample\n\n"
          f"Human coders: {', '.join(report['humans'])}; {report['n_entries']} entries coded. Unlike every other "
          "agreement figure in this project, these coders are people, not sessions of one AI model.\n\n"
          + section(report["human_human"], "Human against human")
          + "".join(section(rep, f"Human against gold: {name}") for name, rep in report["human_gold"].items()))
    atomic_write_text(out_dir / "agree-humans.json", json_dumps(report))
    atomic_write_text(out_dir / "agree-humans.md", md)
    return md
