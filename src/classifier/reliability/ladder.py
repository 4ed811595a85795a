"""The model ladder: from a keyword list to stacked features, on the same city-grouped folds.

Every rung is judged the way users meet the model — on cities it never saw — with the same
folds and seeds (:func:`classifier.model.splits.group_folds`), and on the external AI Watch
cases (never trained on).  Rungs:

``keywords``    a label is present when one of its codebook cues occurs (no training at all);
``zero-shot``   cosine similarity of the best sentence to the label's codebook definition; only a
                threshold per label is learned (best F1 on the training folds);
``tfidf-lr``    TF-IDF of words and word pairs (fitted on the training folds) + the classifier;
``embed-lr``    pooled MiniLM sentence vectors (mean and max) + the classifier;
``stacked``     pooled vectors, cue indicators and definition similarities + the classifier;
``per-label``   the same columns, but each label picks, by F1 on its inner city-grouped CV,
                embeddings alone, all columns, its own cue and definition columns alone (its
                keyword rule, calibrated) or embeddings plus its own columns (a per-label choice
                of model, as concept classifiers do).  This is the shipped model.

"The classifier" is :class:`~classifier.model.classifier.AtlasClassifier` (per-label logistic
regression, Platt-calibrated, thresholds by F1 on an inner city-grouped CV).  Every rung ends
with the codebook's constraints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from classifier.io.codebook import Codebook
from classifier.io.codes import Coding
from classifier.model.classifier import AtlasClassifier, best_threshold
from classifier.model.splits import group_folds
from classifier.reliability.agreement import agreement
from classifier.reliability.metrics import multilabel_scores

RUNGS = ("keywords", "zero-shot", "tfidf-lr", "embed-lr", "stacked", "per-label")


@dataclass
class TextSet:
    """What every rung may read about a set of entries, computed once."""

    ids: list[str]
    sentences: list[list[str]]
    sentence_vectors: list[np.ndarray]     # per entry (n_sentences × dim), unit length
    cue_hits: list[np.ndarray]             # per entry (n_sentences × labels) 0/1
    pooled: np.ndarray                     # entry embedding features (mean+max)

    @property
    def texts(self) -> list[str]:
        return [" ".join(s) for s in self.sentences]

    def cue_entry(self) -> np.ndarray:
        return np.vstack([m.max(axis=0) for m in self.cue_hits])

    def definition_similarity(self, D: np.ndarray) -> np.ndarray:
        """(entries × labels): the best sentence's cosine similarity to each label definition."""
        return np.vstack([(S @ D.T).max(axis=0) for S in self.sentence_vectors])


def text_set(entries, features, matcher) -> TextSet:
    """A :class:`TextSet` from entries' features (sentences, vectors) and a cue matcher."""
    return TextSet([e.id for e in entries], features.sentences, features.sentence_vectors,
                   [matcher.matrix(s) for s in features.sentences], features.X)


def definition_vectors(codebook: Codebook, encoder) -> np.ndarray:
    """One unit vector per label: its codebook definition, embedded like a sentence (the same
    vectors as the shipped model's ``definitions`` block)."""
    from classifier.model.features import definition_texts

    return encoder.encode(definition_texts(codebook)).astype(np.float64)


# ------------------------------------------------------------------------------------- rungs
# Each rung is a function (train TextSet, Y_train, train cities, test TextSet, seed) -> P, pred.

Rung = Callable[[TextSet, np.ndarray, Sequence[str], TextSet, int], tuple[np.ndarray, np.ndarray]]


def _subset(ts: TextSet, idx: np.ndarray) -> TextSet:
    return TextSet([ts.ids[i] for i in idx], [ts.sentences[i] for i in idx], [ts.sentence_vectors[i] for i in idx],
                   [ts.cue_hits[i] for i in idx], ts.pooled[idx])


def rung_keywords(cb: Codebook) -> Rung:
    def run(train, Y, cities, test, seed):
        hits = np.vstack([m.sum(axis=0) for m in test.cue_hits])
        pred = (hits > 0).astype(np.int64)
        return pred.astype(float), cb.enforce(pred, hits)
    return run


def rung_zero_shot(cb: Codebook, D: np.ndarray) -> Rung:
    grid = np.round(np.arange(0.0, 0.9, 0.01), 2)

    def run(train, Y, cities, test, seed):
        s_tr, s_te = train.definition_similarity(D), test.definition_similarity(D)
        t = np.array([best_threshold(Y[:, j], s_tr[:, j], grid) for j in range(Y.shape[1])])
        pred = (s_te >= t).astype(np.int64)
        return s_te, cb.enforce(pred, s_te - t)
    return run


def _classifier_rung(cb: Codebook, params: dict[str, Any], features: Callable[[TextSet, TextSet], tuple]) -> Rung:
    def run(train, Y, cities, test, seed):
        Xtr, Xte = features(train, test)
        m = AtlasClassifier(codebook=cb, **{**params, "random_state": seed}).fit(Xtr, Y, groups=list(cities))
        P = m.predict_proba(Xte)
        return P, m.predict(None, proba=P)
    return run


def rung_tfidf(cb: Codebook, params: dict[str, Any]) -> Rung:
    def feats(train, test):
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, stop_words="english")
        return vec.fit_transform(train.texts).tocsr(), vec.transform(test.texts).tocsr()
    return _classifier_rung(cb, params, feats)


def rung_embed(cb: Codebook, params: dict[str, Any]) -> Rung:
    return _classifier_rung(cb, params, lambda train, test: (train.pooled, test.pooled))


def _stacked_columns(ts: TextSet, D: np.ndarray) -> np.ndarray:
    """Pooled vectors, cue indicators, definition similarities: the shipped model's columns."""
    return np.hstack([ts.pooled, ts.cue_entry(), ts.definition_similarity(D)])


def rung_stacked(cb: Codebook, params: dict[str, Any], D: np.ndarray) -> Rung:
    return _classifier_rung(cb, params, lambda train, test: (_stacked_columns(train, D), _stacked_columns(test, D)))


def rung_per_label(cb: Codebook, params: dict[str, Any], D: np.ndarray) -> Rung:
    """Stacked columns, but each label chooses (on its inner CV) among embeddings alone, all
    columns, its own cue and definition columns, and embeddings plus its own columns: the same
    candidates as the shipped model (:meth:`Features.candidate_sets`, :meth:`Features.label_blocks`)."""
    def run(train, Y, cities, test, seed):
        d, L = train.pooled.shape[1], Y.shape[1]
        sets = (((0, d),), ((0, d + 2 * L),))
        m = AtlasClassifier(codebook=cb, **{**params, "random_state": seed, "feature_sets": sets,
                                            "label_blocks": (d, d + L)})
        m.fit(_stacked_columns(train, D), Y, groups=list(cities))
        P = m.predict_proba(_stacked_columns(test, D))
        return P, m.predict(None, proba=P)
    return run


def rung_setfit(cb: Codebook, model_path: str, num_iterations: int = 2, num_epochs: int = 1,
                batch_size: int = 16, max_length: int = 128) -> Rung:
    """SetFit one-vs-rest: the bundled sentence-transformer fine-tuned contrastively on the
    training folds (a short schedule on CPU: 2 pair iterations per entry, 1 epoch, texts cut to
    128 word pieces), with a logistic head per label; threshold 0.5.  Optional
    (``pip install setfit``); slow (5 pair iterations at 256 word pieces took 400 s per fold on 2
    cores), so the benchmark runs it on one seed."""
    def run(train, Y, cities, test, seed):
        from datasets import Dataset
        from setfit import SetFitModel, Trainer, TrainingArguments

        labels = [lab for _, lab in cb.all_labels]
        model = SetFitModel.from_pretrained(model_path, multi_target_strategy="one-vs-rest", labels=labels,
                                            device="cpu")
        import tempfile

        out = tempfile.mkdtemp(prefix="atlas-setfit-")  # SetFit writes checkpoints; never into the checkout
        args = TrainingArguments(output_dir=out, batch_size=batch_size, num_epochs=num_epochs,
                                 num_iterations=num_iterations, max_length=max_length, seed=seed, report_to="none",
                                 show_progress_bar=False, save_strategy="no", logging_strategy="no")
        data = Dataset.from_dict({"text": train.texts, "label": Y.astype(int).tolist()})
        Trainer(model=model, args=args, train_dataset=data).train()
        P = np.asarray(model.predict_proba(test.texts, as_numpy=True), dtype=np.float64)
        if P.ndim == 3:  # one (n, 2) array per label
            P = P[:, :, 1].T
        import shutil

        shutil.rmtree(out, ignore_errors=True)
        return P, cb.enforce((P >= 0.5).astype(np.int64), P)
    return run


def make_rungs(cb: Codebook, params: dict[str, Any], D: np.ndarray) -> dict[str, Rung]:
    return {"keywords": rung_keywords(cb), "zero-shot": rung_zero_shot(cb, D), "tfidf-lr": rung_tfidf(cb, params),
            "embed-lr": rung_embed(cb, params), "stacked": rung_stacked(cb, params, D),
            "per-label": rung_per_label(cb, params, D)}


# ------------------------------------------------------------------------------ evaluation


@dataclass
class RungResult:
    name: str
    groups: dict[str, dict[str, list[float]]] = field(default_factory=dict)   # group -> metric -> per seed
    labels: dict[str, list[float]] = field(default_factory=dict)              # label -> F1 per seed
    oof: list[np.ndarray] = field(default_factory=list)                        # per seed: predictions
    fit_seconds: float = 0.0
    external: dict[str, float] | None = None


def _alpha_by_group(ids, pred, Y, cb) -> dict[str, float]:
    rep = agreement([Coding.from_matrix("model", ids, pred, cb), Coding.from_matrix("gold", ids, Y, cb)], cb,
                    n_resamples=1, seed=0)
    return {g["group"]: g["alpha"] for g in rep["groups"]}


def run_ladder(ts: TextSet, Y: np.ndarray, cities: Sequence[str], cb: Codebook, rungs: dict[str, Rung],
               seeds: Sequence[int], n_folds: int = 5, progress: Callable[[str], None] | None = None) -> dict[str, RungResult]:
    """Out-of-fold predictions of every rung on the same city-grouped folds, scored per seed."""
    cities = np.asarray(cities)
    results = {name: RungResult(name) for name in rungs}
    for seed in seeds:
        splits = group_folds(Y, cities, n_folds, seed)
        for name, rung in rungs.items():
            if progress:
                progress(f"seed {seed}: {name}")
            pred = np.zeros_like(Y)
            for tr, te in splits:
                _, pred[te] = rung(_subset(ts, tr), Y[tr], cities[tr], _subset(ts, te), seed)
            res = results[name]
            res.oof.append(pred)
            scores = multilabel_scores(Y, pred, cb.all_labels, cb.group_keys)
            alphas = _alpha_by_group(ts.ids, pred, Y, cb)
            for g in cb.group_keys:
                row = res.groups.setdefault(g, {"micro_f1": [], "macro_f1": [], "alpha": []})
                row["micro_f1"].append(scores["groups"][g]["micro_f1"])
                row["macro_f1"].append(scores["groups"][g]["macro_f1"])
                row["alpha"].append(alphas[g])
            for lab, s in scores["labels"].items():
                res.labels.setdefault(lab, []).append(s["f1"])
    return results


def fit_full_and_predict(rung: Rung, ts: TextSet, Y: np.ndarray, cities: Sequence[str], other: TextSet, seed: int
                         ) -> tuple[np.ndarray, float]:
    """Train a rung on the whole corpus and predict other entries; returns (pred, fit seconds)."""
    start = time.perf_counter()
    _, pred = rung(ts, Y, np.asarray(cities), other, seed)
    return pred, time.perf_counter() - start
