"""Rebuild a trained model from its experiment dir: config.yaml + weights + resources copied there."""
from __future__ import annotations

from pathlib import Path

import torch


def load_model(expdir: str | Path, checkpoint: str = "model.pth", device: str | torch.device = "cpu"):
    """(model in eval mode, resolved config, resources such as the tokenizer)."""
    from jsertk.models.registry import get_spec
    from jsertk.train import checkpoint as ckpt
    from jsertk.train.config import load_train_config

    expdir = Path(expdir)
    cfg_path = expdir / "config.yaml"
    if not cfg_path.is_file():
        raise FileNotFoundError(f"{cfg_path}: not found; is {expdir} an experiment dir written by `jsertk train`?")
    cfg = load_train_config(cfg_path)
    spec = get_spec(cfg["model"])
    resources = spec.setup(cfg, expdir, training=False)
    model = spec.build(cfg, resources, cfg["input_dim"], training=False)
    weights_path = Path(checkpoint) if Path(checkpoint).is_absolute() or "/" in checkpoint else expdir / checkpoint
    state = ckpt.load(weights_path)
    if "model" in state and "optimizer" in state:  # a full training checkpoint
        state = state["model"]
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise ckpt.CheckpointError(f"{weights_path}: does not fit the model of {cfg_path}: {e}") from None
    return model.to(device).eval(), cfg, resources
