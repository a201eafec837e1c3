"""Reading and writing weight files (`torch.save` dicts of tensors) safely.

Every file is loaded with `weights_only=True`, so a checkpoint cannot run code. A full training
checkpoint (`{"model": ..., "optimizer": ...}`) and a plain state dict both give their weights
through `model_state`.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from jsertk.utils.atomic import atomic_open
from jsertk.utils.errors import JsertkError


class CheckpointError(JsertkError):
    """A checkpoint that is missing, unreadable or does not fit the model."""


def save(obj, path: str | os.PathLike) -> None:
    """torch.save, atomically (a killed process leaves the old file or none)."""
    with atomic_open(path, "wb") as f:
        torch.save(obj, f)


def load(path: str | os.PathLike, required: tuple[str, ...] = ()) -> dict:
    """Load a file written by `save`; unreadable or incomplete files raise CheckpointError naming it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"{path}: cannot be read ({type(e).__name__}: {e}); the file is corrupt or "
                              "truncated: remove it to start over, or restore a good copy") from None
    if not isinstance(obj, dict) or any(k not in obj for k in required):
        missing = [k for k in required if not isinstance(obj, dict) or k not in obj]
        raise CheckpointError(f"{path}: not a training checkpoint (missing {', '.join(missing)})")
    return obj


def model_state(obj: dict) -> dict:
    """The model weights of a loaded file: a full training checkpoint's "model" entry, else the file."""
    return obj["model"] if "model" in obj and "optimizer" in obj else obj


def load_weights(path: str | os.PathLike) -> dict:
    """The model weights of a weights file or a full training checkpoint."""
    return model_state(load(path))
