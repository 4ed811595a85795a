"""Prediction: entries → label suggestions with probabilities and evidence sentences.

The output record per entry is the label-file format (``id`` + the four groups, so predictions
can be compared with hand codes by ``atlas-coder agree``) plus ``scores``
(``{group: {label: probability}}``), ``evidence`` (``{label: [sentence, ...]}``) and the entry's
own fields carried through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from classifier.bundle import Bundle
from classifier.codebook import Codebook
from classifier.data import Entry, write_csv, write_jsonl
from classifier.embed import SentenceEncoder
from classifier.errors import InputError
from classifier.features import featurize
from classifier.model import codes_from_row

OUTPUT_FORMATS = ("jsonl", "csv")


@dataclass
class Prediction:
    id: str
    codes: dict[str, list[str]]
    scores: dict[str, dict[str, float]]
    evidence: dict[str, list[str]]
    model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self, codebook: Codebook) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.id}
        for g in codebook.group_keys:
            rec[g] = self.codes[g]
        rec["scores"] = self.scores
        rec["evidence"] = self.evidence
        rec["coder"] = self.model
        for k, v in self.extra.items():
            rec.setdefault(k, v)
        return rec

    def uncertainty(self, thresholds: dict[str, float]) -> float:
        """How close the nearest label decision is to its threshold (0 = on the threshold)."""
        margins = [abs(p - thresholds[lab]) for grp in self.scores.values() for lab, p in grp.items()]
        return -min(margins) if margins else 0.0


def predict_entries(entries: Sequence[Entry], bundle: Bundle, *, encoder: SentenceEncoder | None = None,
                    cache_dir: str | Path | None = None, progress: bool | None = None) -> list[Prediction]:
    """Suggest codes for each entry with the bundle's model (no network, no hub)."""
    clf = bundle.classifier
    cb = bundle.codebook
    encoder = encoder or SentenceEncoder(bundle.embedding_model, show_progress=progress)
    installed = encoder.version
    expected = bundle.metadata["embedding"]["version"]
    if installed != expected:
        raise InputError(bundle.path, f"model was trained with {encoder.model} {expected}, but {installed} is installed")
    emb = bundle.metadata["embedding"]
    feats = featurize(entries, encoder, pooling=emb["pooling"], max_document_sentences=emb["max_document_sentences"],
                      cache_dir=cache_dir)
    P = clf.predict_proba(feats.X)
    pred = clf.predict(feats.X, proba=P)
    name = f"atlas-coder model {bundle.metadata['fingerprint'][:12]}"
    out = []
    for i, entry in enumerate(entries):
        codes = codes_from_row(pred[i], cb)
        scores = {g: {} for g in cb.group_keys}
        for j, (g, lab) in enumerate(clf.labels):
            scores[g][lab] = round(float(P[i, j]), 4)
        evidence: dict[str, list[str]] = {}
        sent_p = clf.sentence_proba(feats.sentence_matrix(i))
        for j, (g, lab) in enumerate(clf.labels):
            if pred[i, j]:
                order = np.argsort(-sent_p[:, j], kind="stable")[: clf.evidence_sentences]
                evidence[lab] = [feats.sentences[i][k] for k in order]
        extra = {k: v for k, v in entry.to_record().items() if k != "id"}
        out.append(Prediction(entry.id, codes, scores, evidence, model=name, extra=extra))
    return out


def write_predictions(path: str | Path, predictions: Sequence[Prediction], codebook: Codebook, fmt: str | None = None) -> None:
    """Write JSONL (the label-file format plus scores and evidence) or a flat CSV for spreadsheets."""
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    if fmt not in OUTPUT_FORMATS:
        raise InputError(path, f"unsupported output format {fmt!r} (use {', '.join(OUTPUT_FORMATS)})")
    if fmt == "jsonl":
        write_jsonl(path, (p.to_record(codebook) for p in predictions))
        return
    import json

    columns = ["id", "city", "title", *codebook.group_keys]
    columns += [f"p_{lab}" for _, lab in codebook.all_labels] + ["evidence"]
    rows = []
    for p in predictions:
        row: dict[str, Any] = {"id": p.id, "city": p.extra.get("city", ""), "title": p.extra.get("title", "")}
        for g in codebook.group_keys:
            row[g] = ";".join(p.codes[g])
        for g, lab in codebook.all_labels:
            row[f"p_{lab}"] = p.scores[g][lab]
        row["evidence"] = json.dumps(p.evidence, ensure_ascii=False)
        rows.append(row)
    write_csv(path, rows, columns)
