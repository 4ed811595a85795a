"""Write the membership comparison: Markdown, CSV, LaTeX (booktabs), self-contained HTML, JSON,
and a short terminal table."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from classifier.io.atomic import atomic_write_text
from classifier.io.tables import json_dumps, write_csv
from classifier.reports.render import render

FILES = ("compare.md", "compare.csv", "compare.tex", "compare.html", "compare.json")
GROUP_NAMES = {"member": "members", "non-member": "non-members", "unknown": "unknown membership"}


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}"


def cell(row: Mapping[str, Any], g: str, corrected: bool = False) -> str:
    """``n (share %)`` for a label row of one group (corrected: ``share % (n counted)``, the share
    corrected for the model's errors, the count as labelled); counts and means for the first rows."""
    c = row.get(g)
    if c is None:
        return "–"
    if row["kind"] == "count":
        return str(c["n"])
    if row["kind"] == "mean":
        return "–" if c["mean"] is None else f"{c['mean']:.1f}"
    if corrected:
        return f"{pct(c['share'])}% ({c['n']} labelled)"
    return f"{c['n']} ({pct(c['share'])}%)"


def diff_text(row: Mapping[str, Any]) -> str:
    if row.get("diff") is None:
        return "–"
    if row["kind"] == "mean":
        lo, hi = row["diff_ci"]
        return f"{row['diff']:+.1f} [{lo:+.1f}, {hi:+.1f}]" if lo is not None else f"{row['diff']:+.1f}"
    lo, hi = row["diff_ci"]
    span = f" [{100 * lo:+.1f}, {100 * hi:+.1f}]" if lo is not None else ""
    return f"{100 * row['diff']:+.1f}{span}"


def p_text(p: float | None) -> str:
    if p is None:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def gee_text(g: Mapping[str, Any] | None) -> str:
    if not g:
        return "n/a"
    return f"{g['odds_ratio']:.2f} [{g['ci'][0]:.2f}, {g['ci'][1]:.2f}], p {p_text(g['p'])}"


def loo_text(row: Mapping[str, Any]) -> str:
    loo = row.get("loo")
    if not loo:
        return "–"
    return (f"{100 * loo['min']:+.1f} to {100 * loo['max']:+.1f}"
            f"{'' if loo['sign_stable'] else ' (sign changes)'}; most: {loo['most_influential']}")


def table_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One flat row per table line (for CSV, LaTeX and the terminal)."""
    out = []
    for r in report["rows"]:
        out.append({
            "row": r["label"], "group": r.get("group", ""),
            "members": cell(r, "member", report["corrected"]), "non_members": cell(r, "non-member", report["corrected"]),
            "unknown": cell(r, "unknown", report["corrected"]),
            "difference_pp": diff_text(r), "p_permutation": p_text(r.get("p_perm")),
            "gee_odds_ratio": gee_text(r.get("gee")) if r["kind"] == "label" else "–",
            "fisher_p_ignores_clustering": p_text(r.get("fisher_p")),
            "uncorrected_difference_pp": (f"{100 * r['diff_raw']:+.1f}" if r.get("diff_raw") is not None and
                                          report["corrected"] else ""),
            "leave_one_city_out_pp": loo_text(r), "model_agreement": r.get("agreement") or "",
            "flag": "model labels unreliable: not a finding" if r.get("flag") else "",
        })
    return out


def latex(report: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    def esc(s: str) -> str:
        return (s.replace("\\", "\\textbackslash{}").replace("&", "\\&").replace("%", "\\%").replace("_", "\\_")
                .replace("#", "\\#").replace("$", "\\$").replace("–", "--").replace("⚠", "$^\\dagger$"))

    lines = ["% atlas-coder compare: " + esc(meta["title"]), "\\begin{table}[ht]", "\\centering\\small",
             "\\begin{tabular}{lllrl}", "\\toprule",
             "& Members & Non-members & Difference (pp) [95\\% CI] & $p_{\\mathrm{perm}}$ \\\\", "\\midrule"]
    for t, r in zip(table_rows(report), report["rows"]):
        name = t["row"] + (" ⚠" if r.get("flag") else "")
        lines.append(f"{esc(name)} & {esc(t['members'])} & {esc(t['non_members'])} & {esc(t['difference_pp'])} & "
                     f"{esc(t['p_permutation'])} \\\\")
    lines += ["\\bottomrule", "\\end{tabular}",
              f"\\caption{{{esc(meta['caption'])}}}", "\\end{table}", ""]
    return "\n".join(lines)


def write_comparison(report: Mapping[str, Any], meta: Mapping[str, Any], out_dir: str | Path) -> str:
    """Write every format; return the Markdown."""
    from classifier.reports.plots import membership_plot

    out = Path(out_dir)
    rows = table_rows(report)
    md = render("compare.md.j2", r=report, meta=meta, rows=rows, names=GROUP_NAMES)
    html = render("compare.html.j2", r=report, meta=meta, rows=rows, names=GROUP_NAMES, plot=membership_plot(report))
    atomic_write_text(out / "compare.json", json_dumps({"meta": meta, **report}))
    write_csv(out / "compare.csv", rows, list(rows[0].keys()))
    atomic_write_text(out / "compare.tex", latex(report, meta))
    atomic_write_text(out / "compare.html", html)
    atomic_write_text(out / "compare.md", md)
    return md


def terminal_table(report: Mapping[str, Any]) -> str:
    rows = table_rows(report)
    w = max(len(r["row"]) for r in rows) + 2
    head = f"{'':{w}}{'members':>16}{'non-members':>16}{'unknown':>14}   difference pp [95% CI]     p (perm.)"
    lines = [head]
    for r, raw in zip(rows, report["rows"]):
        mark = " ⚠" if raw.get("flag") else ""
        lines.append(f"{r['row']:{w}}{r['members']:>22}{r['non_members']:>22}{r['unknown']:>22}   "
                     f"{r['difference_pp']:<26} {r['p_permutation']}{mark}")
    return "\n".join(lines)


README_BEGIN, README_END = "<!-- BEGIN atlas-coder compare -->", "<!-- END atlas-coder compare -->"


def readme_table(report: Mapping[str, Any]) -> str:
    """The compact table pasted in README.md (a test re-computes it from the bundled corpus)."""
    lines = ["| | members | non-members | unknown | difference, pp [95% CI] | p (perm.) |",
             "|---|---|---|---|---|---|"]
    for t in table_rows(report):
        lines.append(f"| {t['row']} | {t['members']} | {t['non_members']} | {t['unknown']} | {t['difference_pp']} | "
                     f"{t['p_permutation']} |")
    return "\n".join(lines) + "\n"
