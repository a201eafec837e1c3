"""Confidence intervals and paired tests for emotion classification scores.

- `bootstrap_ci`: percentile 95% intervals of UA, WA, macro-F1 and weighted F1 (MELD's usual
  score) by resampling the test utterances (or whole speakers, `groups`) with replacement.
- `paired_bootstrap`: two systems on the same utterances; resamples utterances (or speakers) and
  reports the difference of a score, its 95% interval and a two-sided p-value: twice the share
  of resamples on the other side of zero, as (count + 1) / (resamples + 1), so never 0.
- `mcnemar`: the exact McNemar test on the utterances one system gets right and the other wrong
  (binomial, two-sided) — a test of accuracy (WA), not of UA.
- `paired_t`: Student's t interval and two-sided p of the mean of paired differences (one per fold,
  or per run of a repeated cross-validation): a test whose unit is the fold or the run, not the
  utterance.
Classes are integer indices 0..K-1; the scores match `jsertk.metrics.ser.classification_scores`
(UA and macro-F1 over the classes present in the reference of each resample).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

METRICS = ("UA", "WA", "macro_F1", "weighted_F1")


def scores_from_indices(ref: np.ndarray, hyp: np.ndarray, k: int) -> dict[str, float]:
    """UA, WA, macro-F1 and weighted F1 of integer labels (hyp == k: no hypothesis, counted wrong)."""
    confusion = np.bincount(ref * (k + 1) + hyp, minlength=k * (k + 1)).reshape(k, k + 1)
    support = confusion.sum(axis=1)  # the last column (no hypothesis) counts in the support
    correct = np.diagonal(confusion[:, :k])
    predicted = confusion[:, :k].sum(axis=0)
    present = support > 0
    recall = np.divide(correct, support, out=np.zeros(correct.shape), where=present)
    precision = np.divide(correct, predicted, out=np.zeros(correct.shape), where=predicted > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(correct.shape),
                   where=(precision + recall) > 0)
    n_present = present.sum()
    return {"UA": float((recall * present).sum() / n_present), "WA": float(correct.sum() / len(ref)),
            "macro_F1": float((f1 * present).sum() / n_present),
            "weighted_F1": float((f1 * support).sum() / len(ref))}


def _resample_indices(n: int, groups: Sequence[int] | None, rng: np.random.Generator, num: int):
    """`num` bootstrap samples of utterance indices: utterances, or whole groups (speakers)."""
    if groups is None:
        for _ in range(num):
            yield rng.integers(0, n, n)
        return
    groups = np.asarray(groups)
    order = np.argsort(groups, kind="stable")  # the members of each group, in one pass
    members = np.split(order, np.flatnonzero(np.diff(groups[order])) + 1)
    for _ in range(num):
        picked = rng.integers(0, len(members), len(members))
        yield np.concatenate([members[i] for i in picked])


def bootstrap_ci(ref: Sequence[int], hyp: Sequence[int], k: int, num: int = 1000, seed: int = 0,
                 groups: Sequence[int] | None = None, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals {metric: (low, high)} of UA, WA, macro-F1."""
    ref, hyp = np.asarray(ref), np.asarray(hyp)
    rng = np.random.default_rng(seed)
    samples = {m: [] for m in METRICS}
    for idx in _resample_indices(len(ref), groups, rng, num):
        s = scores_from_indices(ref[idx], hyp[idx], k)
        for m in METRICS:
            samples[m].append(float(s[m]))
    tail = 100 * (1 - level) / 2
    return {m: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))) for m, v in samples.items()}


def paired_bootstrap(ref: Sequence[int], hyp_a: Sequence[int], hyp_b: Sequence[int], k: int, num: int = 1000,
                     seed: int = 0, groups: Sequence[int] | None = None) -> dict[str, dict]:
    """Per metric: {a, b, diff (a - b), ci (95% of the difference), p (two-sided)}."""
    ref, a, b = np.asarray(ref), np.asarray(hyp_a), np.asarray(hyp_b)
    full_a, full_b = scores_from_indices(ref, a, k), scores_from_indices(ref, b, k)
    rng = np.random.default_rng(seed)
    diffs = {m: [] for m in METRICS}
    for idx in _resample_indices(len(ref), groups, rng, num):
        sa, sb = scores_from_indices(ref[idx], a[idx], k), scores_from_indices(ref[idx], b[idx], k)
        for m in METRICS:
            diffs[m].append(float(sa[m] - sb[m]))
    out = {}
    for m in METRICS:
        d = np.asarray(diffs[m])
        diff = float(full_a[m] - full_b[m])
        # two-sided: how often a resample falls on the other side of zero from the observed difference
        # (count + 1) / (resamples + 1): never 0 from a finite number of resamples
        crossed = np.sum(d <= 0) if diff > 0 else np.sum(d >= 0) if diff < 0 else len(d)
        other_side = (crossed + 1) / (len(d) + 1)
        out[m] = {"a": float(full_a[m]), "b": float(full_b[m]), "diff": diff,
                  "ci": (float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5))),
                  "p": float(min(1.0, 2 * other_side))}
    return out


def mcnemar(ref: Sequence[int], hyp_a: Sequence[int], hyp_b: Sequence[int]) -> dict:
    """Exact two-sided McNemar test: {a_only, b_only (utterances only that system gets right), p}."""
    ref, a, b = np.asarray(ref), np.asarray(hyp_a), np.asarray(hyp_b)
    a_ok, b_ok = a == ref, b == ref
    n01, n10 = int(np.sum(a_ok & ~b_ok)), int(np.sum(~a_ok & b_ok))
    n = n01 + n10
    if n == 0:
        return {"a_only": 0, "b_only": 0, "p": 1.0}
    tail = sum(math.comb(n, i) for i in range(min(n01, n10) + 1)) / 2 ** n
    return {"a_only": n01, "b_only": n10, "p": float(min(1.0, 2 * tail))}


def paired_t(diffs: Sequence[float], level: float = 0.95) -> dict | None:
    """{n, mean, ci, p} of the mean of paired differences; None for fewer than two."""
    from scipy import stats

    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return None
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0:  # every difference the same: no spread to test against
        return {"n": len(d), "mean": mean, "ci": (mean, mean), "p": 1.0 if mean == 0 else 0.0}
    half = float(stats.t.ppf(0.5 + level / 2, len(d) - 1)) * sd / math.sqrt(len(d))
    p = float(2 * stats.t.sf(abs(mean) / (sd / math.sqrt(len(d))), len(d) - 1))
    return {"n": len(d), "mean": mean, "ci": (mean - half, mean + half), "p": p}
