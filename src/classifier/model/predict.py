"""Prediction: entries → label suggestions with probabilities and evidence sentences.

The output record per entry is the label-file format (``id`` + the four groups, so predictions
can be compared with hand codes by ``atlas-coder agree``) plus ``scores``
(``{group: {label: probability}}``), ``evidence`` (``{label: [sentence, ...]}``) and the entry's
own fields carried through.  Flat rows (CSV, XLSX, the MLflow pyfunc's DataFrame) join each
group's labels with ``;`` and give one ``p_<label>`` column per label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from classifier.errors import InputError
from classifier.io.codebook import Codebook
from classifier.io.codes import Codes, codes_from_row
from classifier.io.entries import Entry
from classifier.io.tables import write_csv, write_jsonl, write_xlsx
from classifier.model.bundle import Bundle
from classifier.model.embed import SentenceEncoder
from classifier.model.features import Features, featurize

OUTPUT_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}


@dataclass
class Prediction:
    id: str
    codes: Codes
    scores: dict[str, dict[str, float]]
    evidence: dict[str, list[dict[str, Any]]]
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

    def to_row(self, codebook: Codebook) -> dict[str, Any]:
        """One flat row: ``;``-joined labels, a ``p_<label>`` per label, evidence as JSON."""
        row: dict[str, Any] = {"id": self.id, "city": self.extra.get("city", ""), "title": self.extra.get("title", "")}
        for g in codebook.group_keys:
            row[g] = ";".join(self.codes[g])
        for g, lab in codebook.all_labels:
            row[f"p_{lab}"] = self.scores[g][lab]
        row["evidence"] = json.dumps(self.evidence, ensure_ascii=False)
        return row


def row_columns(codebook: Codebook) -> list[str]:
    return ["id", "city", "title", *codebook.group_keys, *(f"p_{lab}" for _, lab in codebook.all_labels), "evidence"]


def check_features(features: Features, bundle: Bundle) -> None:
    """Features must come from the embedding model and settings the bundle was trained with."""
    emb = bundle.metadata["embedding"]
    if (features.embedding_model, features.embedding_version) != (emb["model"], emb["version"]):
        raise InputError(bundle.path, f"model was trained with {emb['model']} {emb['version']}, "
                                      f"but {features.embedding_model} {features.embedding_version} is installed")
    if features.pooling != emb["pooling"] or features.X.shape[1] != emb["dim"] or \
            [list(b) for b in features.layout] != emb.get("layout", [["embedding", 0, emb["dim"]]]):
        raise InputError(bundle.path, "features were computed with other embedding settings than the model's")


def featurize_for(entries: Sequence[Entry], bundle: Bundle, *, cache_dir: str | Path | None = None,
                  progress: bool | None = None) -> Features:
    """Featurise entries exactly as the bundle's training data was featurised."""
    emb = bundle.metadata["embedding"]
    encoder = SentenceEncoder(emb["model"], batch_size=emb.get("batch_size", SentenceEncoder.batch_size),
                              show_progress=progress)
    if encoder.version != emb["version"]:
        raise InputError(bundle.path, f"model was trained with {encoder.model} {emb['version']}, but {encoder.version} is installed")
    from classifier.config import FeatureSettings

    settings = FeatureSettings(**emb.get("features", {"cues": False, "definitions": False}))
    return featurize(entries, encoder, pooling=emb["pooling"], max_document_sentences=emb["max_document_sentences"],
                     cache_dir=cache_dir, codebook=bundle.codebook, settings=settings)


def predict_features(entries: Sequence[Entry], features: Features, bundle: Bundle) -> list[Prediction]:
    """Suggestions for entries whose features are already computed (row ``i`` ↔ ``entries[i]``)."""
    check_features(features, bundle)
    clf, cb = bundle.classifier, bundle.codebook
    P = clf.predict_proba(features.X)
    pred = clf.predict(None, proba=P)
    name = f"atlas-coder model {bundle.metadata['fingerprint'][:12]}"
    out = []
    for i, entry in enumerate(entries):
        scores = {g: {} for g in cb.group_keys}
        for j, (g, lab) in enumerate(clf.labels):
            scores[g][lab] = round(float(P[i, j]), 4)
        sent_p = clf.predict_proba(features.sentence_matrix(i))  # the same linear scores, per sentence
        evidence = {lab: evidence_for(entry, features, i, lab, sent_p[:, j], clf.evidence_sentences)
                    for j, (g, lab) in enumerate(clf.labels) if pred[i, j]}
        extra = {k: v for k, v in entry.to_record().items() if k != "id"}
        if entry.document_warnings:
            extra["document_warnings"] = list(entry.document_warnings)
        out.append(Prediction(entry.id, codes_from_row(pred[i], cb), scores, evidence, model=name, extra=extra))
    return out


def evidence_for(entry: Entry, features: Features, i: int, label: str, sentence_p: np.ndarray, k: int
                 ) -> list[dict[str, Any]]:
    """The evidence of ``label`` for entry ``i``: its ``k`` best-scoring sentences, plus the first
    sentence with one of the label's cue phrases if none of those has one.  Each item gives the
    sentence, its source (title, description or document), character offsets in that source,
    the sentence's own probability, and the cue phrases found in it (with offsets)."""
    from classifier.text.sentences import Sentence, offsets_in_source

    spans = features.spans[i] if features.spans is not None else \
        [Sentence(t, "", 0, 0) for t in features.sentences[i]]
    cues: dict[int, list] = {}
    if features.cue_matches is not None:
        for m in features.cue_matches[i]:
            if m.label == label:
                cues.setdefault(m.sentence, []).append(m)
    order = list(np.argsort(-sentence_p, kind="stable")[:k])
    if cues and not any(s in cues for s in order):
        order.append(min(cues))
    items = []
    for s in order:
        sp = spans[s]
        item = {"text": sp.text, "source": sp.source, "start": sp.start, "end": sp.end,
                "probability": round(float(sentence_p[s]), 4), "cues": []}
        for m in cues.get(s, []):
            a, b = offsets_in_source(entry, sp, m.start, m.end) if features.spans is not None else (m.start, m.end)
            item["cues"].append({"phrase": m.phrase, "start": a, "end": b})
        items.append(item)
    return items


def predict_entries(entries: Sequence[Entry], bundle: Bundle, *, cache_dir: str | Path | None = None,
                    progress: bool | None = None) -> list[Prediction]:
    """Suggest codes for each entry with the bundle's model (no network, no hub)."""
    return predict_features(entries, featurize_for(entries, bundle, cache_dir=cache_dir, progress=progress), bundle)


def output_format(path: str | Path, fmt: str | None = None) -> str:
    """The format of a predictions file: its suffix (``.jsonl``, ``.csv``, ``.xlsx``), which a
    given ``fmt`` must match."""
    path = Path(path)
    by_suffix = OUTPUT_FORMATS.get(path.suffix.lower())
    if by_suffix is None:  # also with --format: an odd suffix is how a model or document gets overwritten
        raise InputError(path, f"unsupported output file type '{path.suffix or '(none)'}' (use {', '.join(OUTPUT_FORMATS)})")
    if fmt is not None and fmt != by_suffix:
        raise InputError(path, f"--format {fmt} does not match the file's suffix '{path.suffix}'")
    return by_suffix


def write_predictions(path: str | Path, predictions: Sequence[Prediction], codebook: Codebook, fmt: str | None = None) -> None:
    """Write JSONL (the label-file format plus scores and evidence), or flat CSV / XLSX rows."""
    fmt = output_format(path, fmt)
    if fmt == "jsonl":
        write_jsonl(path, (p.to_record(codebook) for p in predictions))
        return
    rows = [p.to_row(codebook) for p in predictions]
    (write_csv if fmt == "csv" else write_xlsx)(path, rows, row_columns(codebook))
