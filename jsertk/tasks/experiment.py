"""An experiment dir written by `jsertk train`: its config, its resources and its weights.

`load_model` rebuilds the trained model from config.yaml, the resources the task copied there
(tokenizer, class and speaker lists) and a weights file; decoding, packing and pseudo-labelling
all go through it.
"""
from __future__ import annotations

from pathlib import Path

import torch

from jsertk.tasks.base import get_task
from jsertk.tasks.config import load_train_config
from jsertk.tasks.upstream import resolve_upstream
from jsertk.utils import checkpoint as ckpt
from jsertk.utils.errors import InputError

CONFIG = "config.yaml"


def experiment_config(expdir: str | Path) -> dict:
    """The resolved config of an experiment dir (checked against the defaults of its task)."""
    cfg_path = Path(expdir) / CONFIG
    if not cfg_path.is_file():
        raise InputError(f"{cfg_path}: not found; is {expdir} an experiment dir written by `jsertk train`?")
    return load_train_config(cfg_path)


def weights_path(expdir: str | Path, checkpoint: str = "model.pth") -> Path:
    """`checkpoint` inside `expdir`, unless it is a path of its own (absolute or with a '/')."""
    return Path(checkpoint) if Path(checkpoint).is_absolute() or "/" in checkpoint else Path(expdir) / checkpoint


def load_resources(expdir: str | Path, cfg: dict | None = None):
    """(config, resources such as the tokenizer) of an experiment dir, without its weights."""
    cfg = cfg if cfg is not None else experiment_config(expdir)
    return cfg, get_task(cfg["model"]).setup(cfg, Path(expdir), training=False)


def load_model(expdir: str | Path, checkpoint: str = "model.pth", device: str | torch.device = "cpu",
               model: str | None = None):
    """(model in eval mode, resolved config, resources such as the tokenizer). With `model`, an
    experiment of another kind (asr vs jser) is an InputError naming the dir."""
    expdir = Path(expdir)
    cfg = experiment_config(expdir)
    if model is not None and cfg["model"] != model:
        raise InputError(f"{expdir}: a '{cfg['model']}' model, where a '{model}' model is needed")
    task = get_task(cfg["model"])
    resolve_upstream(cfg, expdir)  # a packed model's upstream: inside the pack, or checked where it is named
    resources = task.setup(cfg, expdir, training=False)
    net = task.build(cfg, resources, cfg["input_dim"], training=False)
    path = weights_path(expdir, checkpoint)
    try:
        net.load_state_dict(ckpt.load_weights(path))
    except RuntimeError as e:
        raise ckpt.CheckpointError(f"{path}: does not fit the model of {expdir / CONFIG}: {e}") from None
    return net.to(device).eval(), cfg, resources
