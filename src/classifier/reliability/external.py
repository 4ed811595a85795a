"""External check on AI Watch T6 public-sector AI cases (never used for training).

Every case is an AI application, so a good model codes it ``application`` and not
``regulatory``, and its sector set hits one of the sectors that ``cofog_to_sector.json``
accepts for the case's COFOG secondary sector.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from classifier.io.entries import Entry
from classifier.model.bundle import Bundle
from classifier.errors import InputError


def load_external_cases(folder: str | Path) -> tuple[list[Entry], dict[str, list[str]]]:
    """Cases as entries, and the accepted sectors per case id."""
    folder = Path(folder)
    mapping = json.loads((folder / "cofog_to_sector.json").read_text(encoding="utf-8"))["by_secondary"]
    entries, accepted = [], {}
    for lineno, line in enumerate((folder / "cases.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        case = json.loads(line)
        cid = str(case["id"])
        sector = case.get("secondary_sector")
        if sector not in mapping:
            raise InputError(folder / "cases.jsonl", f"secondary sector {sector!r} not in cofog_to_sector.json", line=lineno, field="secondary_sector")
        geo = case.get("geocoverage") or []
        entries.append(Entry(id=cid, city=", ".join(geo) if isinstance(geo, list) else str(geo), country="",
                             title=str(case.get("name", "")).strip() or cid, description=str(case.get("description", "")).strip()))
        accepted[cid] = list(mapping[sector])
    return entries, accepted


def external_check(bundle: Bundle, folder: str | Path, cache_dir: str | Path | None = None) -> dict[str, Any]:
    from classifier.model.predict import predict_entries

    entries, accepted = load_external_cases(folder)
    preds = predict_entries(entries, bundle, cache_dir=cache_dir)
    n = len(preds)
    app = sum("application" in p.codes["policy_type"] for p in preds)
    reg = sum("regulatory" in p.codes["policy_type"] for p in preds)
    hits = sum(bool(set(p.codes["sector"]) & set(accepted[p.id])) for p in preds)
    return {
        "source": str(folder), "n_cases": n,
        "application_recall": round(app / n, 4),
        "share_coded_regulatory": round(reg / n, 4),
        "sector_hit_rate": round(hits / n, 4),
        "counts": {"application": app, "regulatory": reg, "sector_hits": hits},
    }
