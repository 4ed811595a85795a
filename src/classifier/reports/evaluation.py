"""Write an evaluation to a folder: JSON, Markdown, HTML, the review queue and the OOF codes."""

from __future__ import annotations

from pathlib import Path

from classifier.io.atomic import atomic_write_text
from classifier.io.codebook import Codebook
from classifier.io.tables import json_dumps, write_csv, write_jsonl
from classifier.reliability.evaluate import Evaluation
from classifier.reliability.review import QUEUE_COLUMNS
from classifier.reports.render import render

FILES = ("evaluation.json", "evaluation.md", "evaluation.html", "review_queue.csv", "model_oof.jsonl")


def evaluation_markdown(report: dict, codebook: Codebook) -> str:
    return render("evaluation.md.j2", r=report, cb=codebook)


def evaluation_html(report: dict, codebook: Codebook) -> str:
    from classifier.reports.plots import agreement_plot, pr_plot, reliability_plot

    return render("evaluation.html.j2", r=report, cb=codebook, agreement_plot=agreement_plot(report, codebook),
                  pr_plot=pr_plot(report, codebook), reliability_plot=reliability_plot(report))


def write_evaluation(ev: Evaluation, codebook: Codebook, out_dir: str | Path) -> Path:
    out_dir = Path(out_dir)
    write_jsonl(out_dir / "model_oof.jsonl", ({"id": u, **codes, "coder": ev.model_oof.name}
                                              for u, codes in ev.model_oof.codes.items()))
    write_csv(out_dir / "review_queue.csv", ev.queue, QUEUE_COLUMNS)
    atomic_write_text(out_dir / "evaluation.json", json_dumps(ev.report))
    atomic_write_text(out_dir / "evaluation.md", evaluation_markdown(ev.report, codebook))
    atomic_write_text(out_dir / "evaluation.html", evaluation_html(ev.report, codebook))
    return out_dir
