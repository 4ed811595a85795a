"""The coding scheme as data: groups, labels, constraints and decision rules.

Every label name in code, reports and exports comes from the codebook file
(``data/annotations/codebook.yaml``); its SHA-256 is stored with models and reports so that a
result can always be traced to the exact scheme it used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from classifier.errors import InputError
from classifier.paths import DEFAULT_CODEBOOK


@dataclass(frozen=True)
class Label:
    key: str
    definition: str
    cues: tuple[str, ...] = ()  # phrases that reference the label, matched on lemmas (text/cues.py)


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    labels: tuple[Label, ...]
    min_labels: int = 0
    requires: tuple[str, str] | None = None  # (group, label) that must be present

    @property
    def label_keys(self) -> list[str]:
        return [lab.key for lab in self.labels]


@dataclass(frozen=True)
class Codebook:
    name: str
    version: str
    groups: tuple[Group, ...]
    decision_rules: tuple[dict, ...] = ()
    sha256: str = ""
    path: str = ""

    @property
    def group_keys(self) -> list[str]:
        return [g.key for g in self.groups]

    def group(self, key: str) -> Group:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)

    def labels(self, group: str) -> list[str]:
        return self.group(group).label_keys

    @property
    def all_labels(self) -> list[tuple[str, str]]:
        """Every (group, label) pair in codebook order."""
        return [(g.key, lab.key) for g in self.groups for lab in g.labels]

    def violations(self, codes: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
        """Constraint violations of one coded unit as (field, problem) pairs; empty when valid."""
        problems: list[tuple[str, str]] = []
        for g in self.groups:
            values = list(codes.get(g.key, []))
            unknown = [v for v in values if v not in g.label_keys]
            if unknown:
                problems.append((g.key, f"unknown label {unknown[0]!r} (allowed: {', '.join(g.label_keys)})"))
            if len(set(values)) != len(values):
                problems.append((g.key, "a label is listed twice"))
            if len(values) < g.min_labels:
                problems.append((g.key, f"needs at least {g.min_labels} label(s)"))
            if g.requires and values:
                req_group, req_label = g.requires
                if req_label not in codes.get(req_group, []):
                    problems.append((g.key, f"only allowed when {req_group} includes {req_label!r}"))
        return problems


    def enforce(self, pred, scores):
        """A 0/1 (units × labels) matrix made to obey the constraints, columns in
        :attr:`all_labels` order.

        A group with ``min_labels`` gets its best-scoring labels switched on (``scores``: larger
        is more likely, e.g. probability over threshold); a group that ``requires`` a label is
        emptied where that label is absent.
        """
        import numpy as np

        pred = np.array(pred, dtype=np.int64, copy=True)
        col = {lab: j for j, lab in enumerate(self.all_labels)}
        for g in self.groups:
            cols = [col[(g.key, lab)] for lab in g.label_keys]
            if g.min_labels:
                for i in np.where(pred[:, cols].sum(axis=1) < g.min_labels)[0]:
                    for k in np.argsort(-np.asarray(scores)[i, cols], kind="stable")[: g.min_labels]:
                        pred[i, cols[k]] = 1
            if g.requires:
                missing = pred[:, col[g.requires]] == 0
                pred[np.ix_(missing, cols)] = 0
        return pred


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and check a codebook YAML file (default: the project's own)."""
    import yaml

    path = Path(path) if path is not None else DEFAULT_CODEBOOK
    if not path.exists():
        raise InputError(path, "codebook file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("groups"), list):
        raise InputError(path, "needs a 'groups' list", field="groups")
    groups = []
    seen: set[str] = set()
    for i, g in enumerate(raw["groups"]):
        try:
            labels = tuple(Label(str(lab["key"]), str(lab.get("definition", "")).strip(),
                                 tuple(str(c) for c in (lab.get("cues") or ()))) for lab in g["labels"])
            key = str(g["key"])
        except (KeyError, TypeError):
            raise InputError(path, f"group #{i + 1} needs 'key' and 'labels' with 'key'", field="groups") from None
        for lab in labels:
            if lab.key in seen:
                raise InputError(path, f"label key {lab.key!r} is used twice", field="groups")
            seen.add(lab.key)
        req = g.get("requires")
        groups.append(
            Group(
                key=key,
                title=str(g.get("title", key)),
                labels=labels,
                min_labels=int(g.get("min_labels", 0)),
                requires=(str(req["group"]), str(req["label"])) if req else None,
            )
        )
    return Codebook(
        name=str(raw.get("name", path.stem)),
        version=str(raw.get("version", "")),
        groups=tuple(groups),
        decision_rules=tuple(raw.get("decision_rules", []) or []),
        sha256=_sha256(path),
        path=str(path),
    )
