"""Codes: the one representation of a coding, with every conversion in one place.

* ``Codes``: one unit's codes, ``{group: [label, ...]}`` (the label-file format's groups);
* :class:`LabelRecord`: one line of a label file (codes plus coder, time and extra fields);
* :class:`Coding`: one coder's codes over many units (a label file, the gold standard, or a
  model's predictions) — what agreement statistics compare;
* :func:`label_matrix` / :func:`codes_from_row`: to and from the 0/1 (units × labels) matrix
  the classifier works with, columns in codebook order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from classifier.errors import InputError
from classifier.io.codebook import Codebook
from classifier.io.tables import jsonl_rows

Codes = dict[str, list[str]]


def label_matrix(records: Sequence[Mapping[str, Sequence[str]]], codebook: Codebook) -> np.ndarray:
    """Binary matrix (units × codebook labels) from per-unit codes."""
    labels = codebook.all_labels
    return np.array([[int(lab in codes.get(g, [])) for g, lab in labels] for codes in records],
                    dtype=np.int64).reshape(len(records), len(labels))


def codes_from_row(row: np.ndarray, codebook: Codebook) -> Codes:
    """One unit's codes from its 0/1 row (columns in codebook order)."""
    out: Codes = {g: [] for g in codebook.group_keys}
    for j, (g, lab) in enumerate(codebook.all_labels):
        if row[j]:
            out[g].append(lab)
    return out


@dataclass
class LabelRecord:
    """The codes of one unit by one coder (or model), as one line of a label file."""

    id: str
    codes: Codes
    coder: str | None = None
    coded_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = field(default=None, repr=False, compare=False)  # where it was read (for error messages)

    def to_record(self, codebook: Codebook) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.id}
        for g in codebook.group_keys:
            rec[g] = list(self.codes.get(g, []))
        if self.coder is not None:
            rec["coder"] = self.coder
        if self.coded_at is not None:
            rec["coded_at"] = self.coded_at
        rec.update(self.extra)
        return rec


@dataclass
class Coding:
    """One coder's codes: a name and ``{unit id: Codes}``."""

    name: str
    codes: Mapping[str, Mapping[str, Sequence[str]]]

    @classmethod
    def from_records(cls, name: str, records: Mapping[str, LabelRecord]) -> "Coding":
        return cls(name, {uid: r.codes for uid, r in records.items()})

    @classmethod
    def from_matrix(cls, name: str, ids: Sequence[str], matrix: np.ndarray, codebook: Codebook) -> "Coding":
        return cls(name, {u: codes_from_row(matrix[i], codebook) for i, u in enumerate(ids)})

    def matrix(self, ids: Sequence[str], codebook: Codebook) -> np.ndarray:
        """0/1 matrix over ``ids`` (a unit this coder did not code is a row of zeros)."""
        return label_matrix([self.codes.get(u) or {} for u in ids], codebook)

    def label_counts(self, codebook: Codebook) -> dict[str, int]:
        """How many units carry each label (every codebook label present, zeros included)."""
        counts = Counter(lab for codes in self.codes.values() for labs in codes.values() for lab in labs)
        return {lab: counts[lab] for _, lab in codebook.all_labels}


def read_labels(path: str | Path, codebook: Codebook, *, allow_empty: bool = False) -> dict[str, LabelRecord]:
    """Read a label file (hand codes or predictions); check every label against the codebook."""
    path = Path(path)
    if path.suffix.lower() != ".jsonl":
        raise InputError(path, f"label files are JSONL, got '{path.suffix or '(none)'}'")
    out: dict[str, LabelRecord] = {}
    for line, row in jsonl_rows(path):
        if "id" not in row or not str(row["id"]).strip():
            raise InputError(path, "missing required field", line=line, field="id")
        uid = str(row["id"]).strip()
        if uid in out:
            raise InputError(path, f"duplicate id {uid!r}", line=line, field="id")
        codes: Codes = {}
        for g in codebook.group_keys:
            if g not in row:
                raise InputError(path, "missing label group (use [] for none)", line=line, field=g)
            value = row[g]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(path, "must be a list of label keys", line=line, field=g)
            codes[g] = value
        problems = codebook.violations(codes)
        if problems:
            fieldname, problem = problems[0]
            raise InputError(path, problem, line=line, field=fieldname)
        extra = {k: v for k, v in row.items() if k not in {"id", "coder", "coded_at", *codebook.group_keys}}
        out[uid] = LabelRecord(uid, codes, coder=row.get("coder"), coded_at=row.get("coded_at"), extra=extra, line=line)
    if not out and not allow_empty:
        raise InputError(path, "contains no label records")
    return out
