"""Global cepstral mean and variance normalisation with Kaldi's statistics format.

The statistics are a 2 x (D+1) float64 matrix: row 0 holds the per-dimension sums and the
frame count in its last column, row 1 the sums of squares. `cmvn.ark` is that matrix as a
Kaldi binary matrix (what `compute-cmvn-stats scp:feats.scp cmvn.ark` writes), readable by
Kaldi's apply-cmvn, by kaldiio.load_mat and by ESPnet's GlobalMVN.
"""
from __future__ import annotations

import os

import numpy as np

from jsertk.features.io import read_scp
from jsertk.utils.atomic import atomic_open
from jsertk.utils.errors import InputError
from jsertk.utils.progress import Progress

# Floor on the variance before its square root: a constant dimension (e.g. a dead mel band of
# silence) divides by 1e-5, not by ~0, which keeps float32 features finite.
VAR_FLOOR = 1e-10


def accumulate(feats: np.ndarray, stats: np.ndarray | None = None) -> np.ndarray:
    """Add a (frames, D) matrix to statistics (new ones when None)."""
    x = np.asarray(feats, dtype=np.float64)
    if stats is None:
        stats = np.zeros((2, x.shape[1] + 1), dtype=np.float64)
    stats[0, :-1] += x.sum(axis=0)
    stats[1, :-1] += np.square(x).sum(axis=0)
    stats[0, -1] += x.shape[0]
    return stats


def compute_stats(scp: str | os.PathLike, progress: bool = True) -> np.ndarray:
    """Global statistics of every matrix of a feats.scp, read one at a time.

    NaN or Inf values and dimensions that differ between utterances are errors naming the
    utterance.
    """
    from jsertk.data.table import read_entries

    total = len(read_entries(scp))
    meter = Progress(total, f"cmvn {scp}") if progress else None
    stats = None
    for utt, feats in read_scp(scp):
        if feats.ndim != 2 or feats.shape[0] == 0:
            raise InputError(f"{scp}: '{utt}' is not a non-empty 2-D matrix (shape {feats.shape})")
        if stats is not None and feats.shape[1] != stats.shape[1] - 1:
            raise InputError(f"{scp}: '{utt}' has dimension {feats.shape[1]}, the utterances before it "
                             f"{stats.shape[1] - 1}")
        if not np.isfinite(feats).all():
            raise InputError(f"{scp}: '{utt}' holds NaN or Inf values (check it with `jsertk feats-info`)")
        stats = accumulate(feats, stats)
        if meter:
            meter.update()
    if stats is None:
        raise InputError(f"{scp}: no features")
    if meter:
        meter.close()
    return stats


def write_stats(path: str | os.PathLike, stats: np.ndarray) -> None:
    import kaldiio

    with atomic_open(path, "wb") as f:
        kaldiio.save_mat(f, np.asarray(stats, dtype=np.float64))


def read_stats(path: str | os.PathLike) -> np.ndarray:
    """Global statistics of a Kaldi CMVN stats file: one 2 x (D+1) matrix, or an ark of several
    (per-speaker stats), which are summed. InputError names the file if it is not one."""
    import kaldiio

    path = str(path)
    if not os.path.isfile(path):
        raise InputError(f"{path}: CMVN stats file not found")
    try:
        mats = [np.asarray(kaldiio.load_mat(path))]
    except Exception:
        try:
            mats = [np.asarray(m) for _, m in kaldiio.load_ark(path)]
        except Exception as e:
            raise InputError(f"{path}: not a Kaldi matrix or ark of CMVN stats ({e})") from None
    if not mats or any(m.ndim != 2 or m.shape[0] != 2 or m.shape[1] < 2 for m in mats):
        raise InputError(f"{path}: not CMVN statistics (expected 2 x (D+1) matrices, got shapes "
                         f"{[m.shape for m in mats]})")
    stats = np.sum(np.stack(mats).astype(np.float64), axis=0)
    if stats[0, -1] < 1:
        raise InputError(f"{path}: CMVN statistics with a frame count of {stats[0, -1]}")
    return stats


def mean_std(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and standard deviation (variance floored at VAR_FLOOR)."""
    count = stats[0, -1]
    mean = stats[0, :-1] / count
    var = np.maximum(stats[1, :-1] / count - np.square(mean), VAR_FLOOR)
    return mean, np.sqrt(var)


def read_mean_std(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of a CMVN stats file as float32: what a model's frontend normalises with."""
    mean, std = mean_std(read_stats(path))
    return mean.astype(np.float32), std.astype(np.float32)


def apply_cmvn(feats: np.ndarray, stats: np.ndarray, norm_vars: bool = True) -> np.ndarray:
    """Normalised copy of a (frames, D) matrix, as Kaldi's apply-cmvn (--norm-vars)."""
    mean, std = mean_std(stats)
    out = feats - mean
    if norm_vars:
        out = out / std
    return out.astype(np.float32)
