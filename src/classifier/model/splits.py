"""Cross-validation folds that keep each city on one side: how users meet the model.

Users run the model on cities it has never seen, so every cross-validation in the project
(threshold tuning inside ``fit``, ``evaluate``, the benchmark) splits by city.  Folds are
multilabel-stratified over *cities* with iterative stratification (``iterative-stratification``):
each city is one sample whose targets say whether it has at least 1, 2 and 3 entries carrying each
label.  That balances both how many cities carry a label and how many entries carry it, which a
plain ``GroupKFold`` (balancing only sizes) or ``StratifiedGroupKFold`` (one label at a time)
cannot do for 23 labels at once.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

Splits = list[tuple[np.ndarray, np.ndarray]]
LEVELS = (1, 2, 3)


def entry_folds(Y: np.ndarray, n_splits: int, random_state: int) -> Splits:
    """Multilabel-stratified folds over entries (cities mixed: optimistic for unseen cities)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    mskf = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return list(mskf.split(np.zeros((len(Y), 1)), Y))


def group_folds(Y: np.ndarray, groups: Sequence[str], n_splits: int, random_state: int) -> Splits:
    """Multilabel-stratified folds over groups (cities): no group has entries on both sides."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    groups = np.asarray(groups)
    names = sorted(set(groups.tolist()))
    if len(names) < 2:
        raise ValueError("grouped cross-validation needs at least two groups (cities)")
    n_splits = min(n_splits, len(names))
    counts = np.array([Y[groups == g].sum(axis=0) for g in names])
    targets = np.hstack([(counts >= k).astype(int) for k in LEVELS])
    mskf = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    out = []
    for g_train, g_test in mskf.split(np.zeros((len(names), 1)), targets):
        test = np.isin(groups, [names[i] for i in g_test])
        out.append((np.flatnonzero(~test), np.flatnonzero(test)))
    return out


def folds(Y: np.ndarray, groups: Sequence[str] | None, n_splits: int, random_state: int) -> Splits:
    """City-grouped folds when ``groups`` is given (the project's rule), else entry folds."""
    return entry_folds(Y, n_splits, random_state) if groups is None else group_folds(Y, groups, n_splits, random_state)
