"""Plots of the evaluation report, as PNG data URIs to embed in self-contained HTML."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from classifier.io.codebook import Codebook


def _pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend (imported only when a plot is made)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    """The figure as a PNG data URI; the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def agreement_plot(report: dict[str, Any], cb: Codebook) -> str:
    """Alpha per label with 95% CI bars: model ~ gold next to the human comparisons."""
    plt = _pyplot()

    comps = report["comparisons"]
    labels = [lab for _, lab in cb.all_labels]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(labels) + 1.2))
    offsets = np.linspace(-0.3, 0.3, len(comps))
    for off, (name, rep) in zip(offsets, comps.items()):
        y = np.arange(len(labels)) + off
        a = np.array([r["alpha"] for r in rep["labels"]], dtype=float)
        lo = np.array([r["alpha_ci"][0] for r in rep["labels"]], dtype=float)
        hi = np.array([r["alpha_ci"][1] for r in rep["labels"]], dtype=float)
        ok = np.isfinite(a)
        err = np.vstack([np.where(np.isfinite(lo), a - lo, 0), np.where(np.isfinite(hi), hi - a, 0)])[:, ok]
        ax.errorbar(a[ok], y[ok], xerr=err, fmt="o", ms=4, capsize=2, label=name)
    for x, style in ((0.667, ":"), (0.8, "--")):
        ax.axvline(x, color="grey", ls=style, lw=1)
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("Krippendorff's alpha (95% bootstrap CI); dotted 0.667, dashed 0.800")
    ax.set_xlim(-0.6, 1.05)
    ax.legend(loc="lower left", fontsize=8)
    return _png(fig)


def pr_plot(report: dict[str, Any], cb: Codebook) -> str:
    """Model precision and recall per label (mean over seeds, sd as error bars)."""
    plt = _pyplot()

    rows = report["comparisons"]["model ~ gold"]["labels"]
    labels = [r["label"] for r in rows]
    y = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(labels) + 1.2))
    ax.barh(y - 0.2, [r["precision_mean"] for r in rows], 0.4, xerr=[r["precision_sd"] for r in rows], label="precision")
    ax.barh(y + 0.2, [r["recall_mean"] for r in rows], 0.4, xerr=[r["recall_sd"] for r in rows], label="recall")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("model vs gold, out-of-fold (mean ± sd over seeds)")
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def reliability_plot(report: dict[str, Any]) -> str:
    """Reliability diagram: observed share of gold-present against the predicted probability."""
    plt = _pyplot()

    rel = report["calibration"]["reliability"]
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1, label="perfect calibration")
    ax.plot(rel["predicted"], rel["observed"], "o-", ms=4, label="model (all labels pooled)")
    ax.set_xlabel("predicted probability (out-of-fold, city-grouped)")
    ax.set_ylabel("share coded present in gold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def membership_plot(report: dict[str, Any]) -> str:
    """Members vs non-members per label: share of initiatives with 95% cluster-bootstrap bars."""
    plt = _pyplot()

    rows = [r for r in report["rows"] if r["kind"] == "label" and r.get("member") and r.get("non-member")]
    labels = [r["label"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.36 * len(labels) + 1.4))
    y = np.arange(len(labels))
    for off, g, colour in ((-0.18, "member", "#1f77b4"), (0.18, "non-member", "#ff7f0e")):
        share = np.array([100 * r[g]["share"] for r in rows])
        lo = np.array([100 * (r[g]["ci"][0] if r[g]["ci"][0] is not None else r[g]["share"]) for r in rows])
        hi = np.array([100 * (r[g]["ci"][1] if r[g]["ci"][1] is not None else r[g]["share"]) for r in rows])
        ax.barh(y + off, share, height=0.34, color=colour, label=f"CCDR {g}s")
        ax.errorbar(share, y + off, xerr=np.vstack([np.maximum(share - lo, 0), np.maximum(hi - share, 0)]),
                    fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_yticks(y, [f"{lab} ⚠" if r.get("flag") else lab for lab, r in zip(labels, rows)])
    ax.invert_yaxis()
    ax.set_xlabel("% of initiatives (95% interval: cities resampled within each group)")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)
