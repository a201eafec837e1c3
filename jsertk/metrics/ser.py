"""Speech emotion recognition scores: UA, WA, F1, per-class recall/precision, confusion, CCC.

Definitions (printed beside every table):
- UA (unweighted accuracy) = unweighted average recall: the mean over reference classes of the
  fraction of that class's utterances predicted correctly. Chance is 1/number-of-classes.
- WA (weighted accuracy) = overall accuracy: correct utterances / all utterances.
- macro-F1: mean of per-class F1; weighted-F1: per-class F1 weighted by reference class counts.
- CCC (concordance correlation coefficient) per dimension:
  2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))^2), population statistics.
An utterance with a reference but no hypothesis counts as wrong (its class's recall drops) and
is listed under `missing_hypotheses`; hypotheses without a reference are ignored and counted.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from jsertk.utils.atomic import atomic_open, atomic_write_text
from jsertk.utils.errors import InputError

MISSING = "<none>"

DEFINITIONS = (
    "UA = unweighted average recall (mean over classes of per-class recall); "
    "WA = overall accuracy (correct / total); macro-F1 = mean per-class F1; "
    "weighted-F1 = per-class F1 weighted by reference counts; "
    "CCC = 2cov(x,y) / (var x + var y + (mean x - mean y)^2)"
)


def classification_scores(ref: Mapping[str, str], hyp: Mapping[str, str],
                          classes: Sequence[str] | None = None) -> dict:
    """All categorical scores of `hyp` against `ref` (utterance -> class name)."""
    if not ref:
        raise InputError("no reference labels to score against")
    utts = sorted(ref)
    missing = [u for u in utts if u not in hyp]
    extra = sum(1 for u in hyp if u not in ref)
    names = list(classes) if classes is not None else sorted(set(ref.values()) | {hyp[u] for u in utts if u in hyp})
    unknown = sorted({ref[u] for u in utts} - set(names))
    if unknown:
        raise InputError(f"reference classes {unknown} are not in the class list {names}")
    index = {c: i for i, c in enumerate(names)}
    k = len(names)
    confusion = np.zeros((k, k + 1), dtype=np.int64)  # last column: no or unknown hypothesis
    for u in utts:
        predicted = hyp.get(u)
        confusion[index[ref[u]], index.get(predicted, k)] += 1
    support = confusion.sum(axis=1)
    correct = np.diag(confusion[:, :k])
    predicted_count = confusion[:, :k].sum(axis=0)
    present = support > 0
    recall = np.divide(correct, support, out=np.zeros(k), where=present)
    precision = np.divide(correct, predicted_count, out=np.zeros(k), where=predicted_count > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0)
    total = int(support.sum())
    per_class = {c: {"support": int(support[i]), "recall": float(recall[i]), "precision": float(precision[i]),
                     "f1": float(f1[i])} for i, c in enumerate(names)}
    return {
        "num_utterances": total,
        "UA": float(recall[present].mean()),
        "WA": float(correct.sum() / total),
        "macro_F1": float(f1[present].mean()),
        "weighted_F1": float((f1 * support).sum() / total),
        "classes": names,
        "per_class": per_class,
        "confusion": confusion[:, :k].tolist(),
        "missing_hypotheses": missing,
        "ignored_hypotheses": extra,
    }


def ccc(x: Sequence[float], y: Sequence[float]) -> float:
    """Concordance correlation coefficient of two equal-length sequences."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.size < 2:
        raise InputError("CCC needs two sequences of equal length >= 2")
    mx, my = x.mean(), y.mean()
    cov = ((x - mx) * (y - my)).mean()
    denom = x.var() + y.var() + (mx - my) ** 2
    return float(2 * cov / denom) if denom > 0 else 0.0


def dimensional_scores(ref: Mapping[str, Sequence[float]], hyp: Mapping[str, Sequence[float]]) -> dict:
    """CCC per dimension (arousal, valence, dominance) over utterances present in both."""
    utts = sorted(u for u in ref if u in hyp)
    if len(utts) < 2:
        raise InputError(f"need at least 2 utterances with reference and hypothesis dimensions, got {len(utts)}")
    r, h = np.array([ref[u] for u in utts]), np.array([hyp[u] for u in utts])
    out = {f"CCC_{name}": ccc(r[:, i], h[:, i]) for i, name in enumerate(("arousal", "valence", "dominance"))}
    out["CCC_mean"] = float(np.mean(list(out.values())))
    out["num_utterances"] = len(utts)
    out["missing_hypotheses"] = [u for u in sorted(ref) if u not in hyp]
    return out


def format_table(scores: dict) -> str:
    """Human-readable summary with the definitions beside the numbers."""
    lines = []
    if "UA" in scores:
        lines.append(f"utterances: {scores['num_utterances']}   UA {100 * scores['UA']:.2f}%   "
                     f"WA {100 * scores['WA']:.2f}%   macro-F1 {100 * scores['macro_F1']:.2f}%   "
                     f"weighted-F1 {100 * scores['weighted_F1']:.2f}%")
        lines.append("")
        names = scores["classes"]
        w = max(8, *(len(c) for c in names))
        lines.append(f"{'class':<{w}}  support  recall  precision      F1")
        for c in names:
            pc = scores["per_class"][c]
            lines.append(f"{c:<{w}}  {pc['support']:7d}  {100 * pc['recall']:5.1f}%  {100 * pc['precision']:8.1f}%  "
                         f"{100 * pc['f1']:5.1f}%")
        lines.append("")
        lines.append("confusion (rows: reference, columns: hypothesis)")
        lines.append(" " * w + "  " + " ".join(f"{c[:7]:>7}" for c in names))
        for c, row in zip(names, scores["confusion"]):
            lines.append(f"{c:<{w}}  " + " ".join(f"{n:7d}" for n in row))
        if scores["missing_hypotheses"]:
            lines.append(f"\n{len(scores['missing_hypotheses'])} utterances have no hypothesis (counted wrong), "
                         f"e.g. {scores['missing_hypotheses'][0]}")
    if "dimensional" in scores:
        d = scores["dimensional"]
        lines.append(f"\nCCC arousal {d['CCC_arousal']:.3f}   valence {d['CCC_valence']:.3f}   "
                     f"dominance {d['CCC_dominance']:.3f}   mean {d['CCC_mean']:.3f}   "
                     f"({d['num_utterances']} utterances)")
    lines.append("\n" + DEFINITIONS)
    return "\n".join(lines)


def plot_confusion(scores: dict, path: str | os.PathLike) -> None:
    """Row-normalised confusion matrix as a PNG, with counts in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = scores["classes"]
    counts = np.array(scores["confusion"], dtype=float)
    norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2, 1.1 * len(names) + 1.5))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("hypothesis")
    ax.set_ylabel("reference")
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{int(counts[i, j])}\n{100 * norm[i, j]:.0f}%", ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_title(f"UA {100 * scores['UA']:.1f}%  WA {100 * scores['WA']:.1f}%")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)


def write_scores(scores: dict, outdir: str | os.PathLike) -> None:
    """scores.json, scores.txt and confusion.png (when categorical) in `outdir`."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(outdir / "scores.json", json.dumps({**scores, "definitions": DEFINITIONS}, indent=2) + "\n")
    atomic_write_text(outdir / "scores.txt", format_table(scores) + "\n")
    if "UA" in scores:
        plot_confusion(scores, outdir / "confusion.png")
