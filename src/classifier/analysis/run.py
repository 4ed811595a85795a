"""``atlas-coder compare`` as one call: read and check the inputs, compare, write the report.

Everything is read and checked before anything is written, so bad input leaves no output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from classifier.paths import CORPUS_DIR, DATA_DIR, DEFAULT_MODEL

VARIANT_TEXT = {
    "hand": "hand codes (gold) only.",
    "model": "model labels for every entry, corrected for the model's measured errors.",
    "hybrid": "hand codes where an entry has them, model labels (corrected) elsewhere.",
}


def comparison_meta(variant: str, data, codebook, where: str, notes: list[str],
                    inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Title, description, caption and provenance of one comparison report (``where``: which
    entries and cities, in words)."""
    return {"title": f"CCDR members vs non-members ({variant} labels)",
            "description": (f"{len(data.ids)} initiatives from {len(set(data.cities))} cities {where}; codebook "
                            f"{codebook.name} {codebook.version}. Cities of unknown membership are shown in their own "
                            "column and are not part of the difference."),
            "variant": variant, "variant_text": VARIANT_TEXT[variant], "notes": notes,
            "caption": (f"CCDR members vs non-members, {variant} labels: share of initiatives per label; difference in "
                        "percentage points with 95% cluster-bootstrap interval (cities resampled within groups) and "
                        "city-level permutation p."),
            "inputs": inputs or {}}


@dataclass
class ComparisonResult:
    report: dict[str, Any]
    meta: dict[str, Any]
    markdown: str
    out_dir: Path


def run_comparison(variant: str = "hand", *, entries: str | Path | None = None, columns: str | None = None,
                   cities: str | Path | None = None,
                   gold: str | Path | None = None, out: str | Path, model: str | Path = DEFAULT_MODEL,
                   predictions: str | Path | None = None, assume: Sequence[str] = (), n_boot: int = 2000,
                   n_perm: int = 2000, seed: int = 0, config: str | Path | None = None,
                   oof: Mapping[str, dict[str, list[str]]] | None = None, cache_dir=None,
                   progress: bool | None = None) -> ComparisonResult:
    from classifier.analysis.inputs import comparison_data, check_cities, check_label_ids, model_labels_for
    from classifier.analysis.inputs import parse_assumptions
    from classifier.analysis.membership import membership_report
    from classifier.io.atomic import check_output_dir
    from classifier.io.cities import read_cities
    from classifier.io.codebook import load_codebook
    from classifier.io.codes import read_labels
    from classifier.io.entries import read_entries
    from classifier.reports.compare import FILES, write_comparison

    entries_path = Path(entries) if entries is not None else CORPUS_DIR / "initiatives.jsonl"
    cities_path = Path(cities) if cities is not None else CORPUS_DIR / "cities.csv"
    gold_path = Path(gold) if gold is not None else DATA_DIR / "annotations" / "gold.jsonl"
    inputs = [entries_path, cities_path, gold_path] + ([Path(predictions)] if predictions else [])
    out_dir = check_output_dir(out, writes=FILES, inputs=inputs)
    cb = load_codebook()
    inside_data = entries_path.resolve().is_relative_to(DATA_DIR.resolve())
    from classifier.io.entries import parse_columns

    entry_list = read_entries(entries_path, documents_root=DATA_DIR if inside_data else None,
                              columns=parse_columns(columns))
    city_map = read_cities(cities_path)
    check_cities(entry_list, city_map, entries_path)
    gold_recs = read_labels(gold_path, cb)
    check_label_ids(gold_recs, {e.id for e in entry_list}, gold_path)
    scenario = parse_assumptions(assume, city_map)
    model_labels = None
    if variant != "hand":
        model_labels = model_labels_for(entry_list, gold_recs, entry_list, cb, model=model, config=config,
                                        predictions=predictions, oof=oof, cache_dir=cache_dir, seed=None,
                                        progress=progress)
    data, notes = comparison_data(entry_list, city_map, cb, gold_recs, variant, model_labels, scenario)
    report = membership_report(data, n_boot=n_boot, n_perm=n_perm, seed=seed,
                               agreement=model_labels.agreement if model_labels else None)
    meta = comparison_meta(variant, data, cb, f"in {entries_path.name}; membership from {cities_path.name}", notes,
                           {"entries": str(entries_path), "cities": str(cities_path), "gold": str(gold_path),
                            "model": str(model) if variant != "hand" and not predictions else None,
                            "predictions": str(predictions) if predictions else None, "assume": list(assume)})
    md = write_comparison(report, meta, out_dir)
    return ComparisonResult(report, meta, md, out_dir)
