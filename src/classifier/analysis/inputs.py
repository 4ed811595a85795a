"""What the membership comparison reads, checked: entries, cities, hand codes and model codes.

Three variants of the labels counted (``--labels``):

``hand``    gold labels; entries without gold are left out (and the report says how many);
``model``   model labels for every entry.  An entry with gold takes its city-grouped
            out-of-fold label (a model that never saw its city), so the model's errors on it are
            the errors it makes on new cities; the other entries take the trained model's labels;
``hybrid``  gold where an entry has it, model labels elsewhere.

For ``model`` and ``hybrid`` the hand-coded entries (gold beside their out-of-fold model labels)
are the sample that measures and corrects the model's errors (:mod:`classifier.analysis.compare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from classifier.analysis.compare import ComparisonData
from classifier.errors import InputError
from classifier.io.cities import City
from classifier.io.codebook import Codebook
from classifier.io.codes import LabelRecord, label_matrix
from classifier.io.entries import Entry

VARIANTS = ("hand", "model", "hybrid")


def parse_assumptions(values: Sequence[str], cities: Mapping[str, City]) -> dict[str, bool]:
    """``CITY=yes|no`` scenario overrides of membership; the city must be in the cities file."""
    out: dict[str, bool] = {}
    for v in values:
        name, sep, answer = v.rpartition("=")
        answer = answer.strip().lower()
        if not sep or answer not in ("yes", "no"):
            raise InputError(None, f"--assume {v!r}: write CITY=yes or CITY=no")
        if name.strip() not in cities:
            raise InputError(None, f"--assume {v!r}: no city {name.strip()!r} in the cities file")
        out[name.strip()] = answer == "yes"
    return out


def group_of(city: City, assume: Mapping[str, bool]) -> str:
    member = assume.get(city.city, city.ccdr_member)
    return {True: "member", False: "non-member", None: "unknown"}[member]


def check_cities(entries: Sequence[Entry], cities: Mapping[str, City], entries_path: str | Path) -> None:
    for e in entries:
        if e.city not in cities:
            raise InputError(entries_path, f"city {e.city!r} (entry {e.id!r}) is not in the cities file",
                             line=e.line, field="city")


def check_label_ids(records: Mapping[str, LabelRecord], ids: set[str], path: str | Path) -> None:
    for uid, rec in records.items():
        if uid not in ids:
            raise InputError(path, f"labels for id {uid!r}, which is not among the entries", line=rec.line, field="id")


@dataclass
class ModelLabels:
    """Model codes: ``final`` for every entry (trained model), ``oof`` for hand-coded entries."""

    final: dict[str, dict[str, list[str]]]
    oof: dict[str, dict[str, list[str]]]
    note: str = ""
    agreement: dict[str, str] = field(default_factory=dict)   # label -> model-vs-gold verdict (out-of-fold)


def comparison_data(entries: Sequence[Entry], cities: Mapping[str, City], codebook: Codebook,
                    gold: Mapping[str, LabelRecord], variant: str, model: ModelLabels | None = None,
                    assume: Mapping[str, bool] | None = None) -> tuple[ComparisonData, list[str]]:
    """The comparison's input and notes on what was left out or assumed."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}")
    assume = assume or {}
    notes: list[str] = []
    if variant == "hand":
        kept = [e for e in entries if e.id in gold]
        if len(kept) < len(entries):
            notes.append(f"{len(entries) - len(kept)} entries without hand codes are left out (hand variant)")
        entries = kept
    elif model is None:
        raise ValueError(f"the {variant} variant needs model labels")
    if not entries:
        raise InputError(None, "no entries to compare")
    ids = [e.id for e in entries]
    gold_mask = np.array([u in gold for u in ids])
    empty: dict[str, list[str]] = {}
    G = label_matrix([gold[u].codes if u in gold else empty for u in ids], codebook)
    if variant == "hand":
        used, from_model = G, np.zeros(len(ids), dtype=bool)
        F_oof = np.zeros_like(G)
    else:
        missing = [u for u in ids if u not in model.final and not (u in gold and u in model.oof)]
        if missing:
            raise InputError(None, f"no model labels for entry {missing[0]!r}")
        F_oof = label_matrix([model.oof.get(u, empty) if u in gold else empty for u in ids], codebook)
        lacking = [u for u in ids if u in gold and u not in model.oof]
        if lacking:
            raise InputError(None, f"no out-of-fold model labels for hand-coded entry {lacking[0]!r}")
        F = label_matrix([model.oof[u] if u in gold else model.final[u] for u in ids], codebook)
        if variant == "model":
            used, from_model = F, np.ones(len(ids), dtype=bool)
        else:
            used = np.where(gold_mask[:, None], G, F)
            from_model = ~gold_mask
        if model.note:
            notes.append(model.note)
    group = [group_of(cities[e.city], assume) for e in entries]
    for name, value in assume.items():
        notes.append(f"scenario: {name} counted as {'a member' if value else 'a non-member'} (--assume), "
                     "not as recorded in the cities file")
    data = ComparisonData(ids, [e.city for e in entries], group, codebook.all_labels, used, gold_mask, G, F_oof,
                          from_model, corrected=variant != "hand")
    return data, notes


def model_labels_for(entries: Sequence[Entry], gold: Mapping[str, LabelRecord], corpus_entries: Sequence[Entry],
                     codebook: Codebook, *, model: str | Path, config=None, predictions: str | Path | None = None,
                     oof: Mapping[str, dict[str, list[str]]] | None = None, cache_dir=None, seed: int | None = None,
                     progress: bool | None = None) -> ModelLabels:
    """Model labels for ``entries`` and city-grouped out-of-fold labels for the hand-coded ones.

    ``predictions``: a label file from ``atlas-coder predict`` instead of predicting here.
    ``oof``: out-of-fold labels already computed (the main job passes its evaluation's); else
    they are computed here by cross-validating the training recipe on the hand-coded entries.
    """
    from classifier.config import load_config
    from classifier.io.codes import Coding, read_labels
    from classifier.reliability.agreement import agreement

    cfg = load_config(config).with_seed(seed)
    if predictions is not None:
        recs = read_labels(predictions, codebook)
        check_label_ids(recs, {e.id for e in entries}, predictions)
        final = {u: r.codes for u, r in recs.items()}
        source = f"model labels from {predictions}"
    else:
        from classifier.model.bundle import load_bundle
        from classifier.model.predict import predict_entries

        bundle = load_bundle(model)
        final = {p.id: p.codes for p in predict_entries(entries, bundle, cache_dir=cache_dir, progress=progress)}
        source = f"model labels from {model}"
    gold_entries = [e for e in corpus_entries if e.id in gold]
    if oof is None:
        from classifier.model.classifier import AtlasClassifier
        from classifier.model.cv import out_of_fold
        from classifier.model.features import featurize_with_config

        feats = featurize_with_config(gold_entries, cfg, codebook=codebook, cache_dir=cache_dir, progress=progress)
        Y = label_matrix([gold[e.id].codes for e in gold_entries], codebook)
        est = AtlasClassifier(codebook=codebook, **cfg.classifier_params(), feature_sets=feats.candidate_sets(),
                              label_blocks=feats.label_blocks())
        run = out_of_fold(est, feats.X, Y, [e.city for e in gold_entries], cfg.seed, 5, progress)
        oof = Coding.from_matrix("oof", [e.id for e in gold_entries], run.pred, codebook).codes
    rep = agreement([Coding("model", {u: oof[u] for u in oof if u in gold}),
                     Coding("gold", {u: gold[u].codes for u in oof if u in gold})], codebook, n_resamples=1, seed=0)
    verdicts = {s["label"]: s["verdict"] for s in rep["labels"]}
    note = (f"{source}; hand-coded entries take city-grouped out-of-fold model labels (5 folds, seed {cfg.seed}), "
            "which also measure the model's errors for the correction")
    return ModelLabels(final, dict(oof), note, verdicts)
