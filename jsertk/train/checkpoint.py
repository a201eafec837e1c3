"""Atomic checkpoints, the n best epochs by a validation metric, and their average.

Files in an experiment dir:
- `checkpoint.pth`  the latest full training state (model, optimizer, scheduler, scaler, sampler
                    position, RNG states of every process, history); rewritten atomically.
- `epoch<N>.pth`    model weights after epoch N, kept only while N is among the n best.
- `model.pth`       the average of the n best epochs' weights: the model to decode with.
- `nbest.json`      which epochs were averaged, by which metric, with their values.
"""
from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import numpy as np
import torch

from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.checkpoint import CheckpointError, load, save  # noqa: F401 (part of this module's surface)

CHECKPOINT = "checkpoint.pth"
FINAL_MODEL = "model.pth"
REQUIRED_KEYS = ("model", "optimizer", "scheduler", "epoch", "step", "consumed", "history")


def rng_state() -> dict:
    np_state = np.random.get_state()
    state = {"python": random.getstate(), "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)),
                                                     *np_state[2:]), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def nbest_epochs(history: list[dict], metric: str, mode: str, n: int) -> list[tuple[int, float]]:
    """(epoch, value) of the n best epochs; ties go to the later epoch."""
    scored = [(h["epoch"], h[metric]) for h in history if metric in h and np.isfinite(h[metric])]
    sign = 1.0 if mode == "min" else -1.0
    return sorted(scored, key=lambda ev: (sign * ev[1], -ev[0]))[:n]


def epoch_file(expdir: Path, epoch: int) -> Path:
    return expdir / f"epoch{epoch}.pth"


def prune_epochs(expdir: Path, keep: set[int]) -> None:
    for p in expdir.glob("epoch*.pth"):
        stem = p.stem[len("epoch"):]
        if stem.isdigit() and int(stem) not in keep:
            p.unlink()


def average_state_dicts(paths: list[Path]) -> dict:
    """Element-wise mean of floating-point tensors; other entries (counters) from the first file."""
    avg: dict = {}
    for k, p in enumerate(paths):
        sd = load(p)
        if k and set(sd) != set(avg):
            raise CheckpointError(f"{p}: its parameters differ from those of {paths[0]}")
        for name, t in sd.items():
            if not k:
                avg[name] = t.clone().double() if t.is_floating_point() else t.clone()
            elif t.is_floating_point():
                avg[name] += t.double()
    for name, first in load(paths[0]).items():
        if first.is_floating_point():
            avg[name] = (avg[name] / len(paths)).to(first.dtype)
    return avg


def write_final_model(expdir: Path, history: list[dict], metric: str, mode: str, n: int) -> list[tuple[int, float]]:
    """Average the n best epochs into model.pth and describe them in nbest.json."""
    best = nbest_epochs(history, metric, mode, n)
    if not best:
        raise CheckpointError(f"{expdir}: no epoch has a finite value of '{metric}' to choose models by")
    kept = [(e, v) for e, v in best if epoch_file(expdir, e).is_file()]
    if len(kept) < len(best):  # pruned under a smaller keep_nbest (or another metric) before a resume
        logging.getLogger("jsertk.train").warning(
            "epochs %s are among the %d best by %s but their weights were already removed; averaging %s",
            [e for e, v in best if (e, v) not in kept], n, metric, [e for e, _ in kept])
        best = kept
    if not best:
        raise CheckpointError(f"{expdir}: none of the best epochs by '{metric}' has its weights file left")
    paths = [epoch_file(expdir, e) for e, _ in best]
    save(average_state_dicts(paths), expdir / FINAL_MODEL)
    atomic_write_text(expdir / "nbest.json", json.dumps(
        {"metric": metric, "mode": mode, "averaged": [{"epoch": e, metric: v} for e, v in best]}, indent=2) + "\n")
    return best
