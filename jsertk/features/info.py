"""Summary and sanity check of a feats.scp: dimensions, frame counts, NaN/Inf, utt2num_frames."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from jsertk.data.table import read_entries, read_table
from jsertk.features.io import read_scp
from jsertk.utils.errors import InputError
from jsertk.utils.progress import Progress


def feats_info(path: str | os.PathLike, frame_shift_ms: float = 10.0, progress: bool = False) -> dict[str, Any]:
    """Facts about the features of a dump dir (or of one feats.scp), and a list of problems.

    Problems: NaN/Inf values, empty or non-2-D matrices, dimensions that differ, frame counts
    that disagree with utt2num_frames (when it sits beside the scp).
    """
    path = Path(path)
    scp = path / "feats.scp" if path.is_dir() else path
    if not scp.is_file():
        raise InputError(f"{scp}: no such feats.scp")
    num_frames_file = scp.parent / "utt2num_frames"
    expected = {k: int(v) for k, v in read_table(num_frames_file).items()} if num_frames_file.is_file() else None
    meter = Progress(len(read_entries(scp)), f"feats-info {scp}") if progress else None
    dims: dict[int, int] = {}
    lengths: list[int] = []
    problems: list[str] = []
    seen: set[str] = set()
    for utt, feats in read_scp(scp):
        seen.add(utt)
        if feats.ndim != 2 or feats.shape[0] == 0:
            problems.append(f"'{utt}': not a non-empty 2-D matrix (shape {feats.shape})")
            continue
        dims[feats.shape[1]] = dims.get(feats.shape[1], 0) + 1
        lengths.append(feats.shape[0])
        bad = np.size(feats) - np.count_nonzero(np.isfinite(feats))
        if bad:
            problems.append(f"'{utt}': {bad} NaN/Inf values")
        if expected is not None and utt not in expected:
            problems.append(f"'{utt}': not in utt2num_frames")
        elif expected is not None and expected[utt] != feats.shape[0]:
            problems.append(f"'{utt}': {feats.shape[0]} frames, utt2num_frames says {expected[utt]}")
        if meter:
            meter.update()
    if meter:
        meter.close()
    if len(dims) > 1:
        problems.append("dimensions differ: "
                        + ", ".join(f"{n} utterances of dim {d}" for d, n in sorted(dims.items())))
    if expected is not None:
        problems += [f"'{u}': in utt2num_frames but not in feats.scp" for u in sorted(set(expected) - seen)]
    frames = np.asarray(lengths) if lengths else np.zeros(1, dtype=int)
    return {
        "scp": str(scp),
        "utterances": len(seen),
        "dim": sorted(dims)[0] if len(dims) == 1 else sorted(dims),
        "frames": {"total": int(frames.sum()), "min": int(frames.min()), "mean": round(float(frames.mean()), 1),
                   "max": int(frames.max())},
        "hours": round(float(frames.sum()) * frame_shift_ms / 1000 / 3600, 4),
        "num_frames_checked": expected is not None,
        "problems": problems,
    }


def format_feats_info(info: dict[str, Any]) -> str:
    f = info["frames"]
    lines = [f"{info['scp']}: {info['utterances']} utterances, dim {info['dim']}, frames total {f['total']} "
             f"(min {f['min']}, mean {f['mean']}, max {f['max']}), {info['hours']:.3f} h"]
    lines += [f"  problem: {p}" for p in info["problems"]]
    if not info["problems"]:
        checked = "; frame counts agree with utt2num_frames" if info["num_frames_checked"] else ""
        lines.append(f"  ok: no NaN/Inf values{checked}")
    return "\n".join(lines)
