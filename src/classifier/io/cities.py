"""The cities file: ``city,country,ccdr_member,source_url`` with membership yes / no / unknown."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.errors import InputError
from classifier.io.tables import csv_rows

CITY_COLUMNS = ("city", "country", "ccdr_member", "source_url")
MEMBERSHIP_VALUES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False, "unknown": None, "": None}


@dataclass
class City:
    city: str
    country: str
    ccdr_member: bool | None  # None = unknown
    source_url: str
    extra: dict[str, Any] = field(default_factory=dict)


def read_cities(path: str | Path) -> dict[str, City]:
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise InputError(path, f"the cities file is CSV, got '{path.suffix or '(none)'}'")
    out: dict[str, City] = {}
    for line, row in csv_rows(path, CITY_COLUMNS):
        name = (row["city"] or "").strip()
        if not name:
            raise InputError(path, "is empty", line=line, field="city")
        if name in out:
            raise InputError(path, f"duplicate city {name!r}", line=line, field="city")
        raw = (row["ccdr_member"] or "").strip().lower()
        if raw not in MEMBERSHIP_VALUES:
            raise InputError(path, f"must be yes, no or unknown, got {row['ccdr_member']!r}", line=line, field="ccdr_member")
        extra = {k: v for k, v in row.items() if k not in CITY_COLUMNS}
        out[name] = City(name, (row["country"] or "").strip(), MEMBERSHIP_VALUES[raw], (row["source_url"] or "").strip(), extra)
    return out
