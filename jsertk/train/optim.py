"""AdamW and learning-rate schedules with warmup, stepped once per optimizer update.

- `warmuplr` (ESPnet's WarmupLR / Noam): linear rise to `lr` at `warmup_steps`, then lr * sqrt(warmup/step).
- `warmup_cosine`: linear rise to `lr`, then cosine decay to `lr * min_lr_ratio` at the last step.
- `constant`: linear rise to `lr`, then constant.
"""
from __future__ import annotations

import math

import torch

from jsertk.utils.config import ConfigError

SCHEDULERS = ("warmuplr", "warmup_cosine", "constant")


def build_optimizer(params, conf: dict) -> torch.optim.Optimizer:
    if conf["name"] != "adamw":
        raise ConfigError(f"config key 'optim.name': '{conf['name']}' is not supported (adamw)")
    if len(conf["betas"]) != 2:
        raise ConfigError(f"config key 'optim.betas' needs two numbers, got {conf['betas']}")
    return torch.optim.AdamW(params, lr=conf["lr"], betas=tuple(conf["betas"]), eps=conf["eps"],
                             weight_decay=conf["weight_decay"])


def lr_factor(name: str, step: int, warmup: int, total: int, min_lr_ratio: float) -> float:
    """Multiplier of the peak learning rate after `step` optimizer updates (step 0 = the first update)."""
    s = step + 1
    if warmup > 0 and s < warmup:
        return s / warmup
    if name == "warmuplr":
        return math.sqrt(max(warmup, 1) / s)
    if name == "warmup_cosine":
        progress = min(1.0, (s - warmup) / max(1, total - warmup))
        return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return 1.0


def build_scheduler(optimizer: torch.optim.Optimizer, conf: dict, total_steps: int):
    name = conf["name"]
    if name not in SCHEDULERS:
        raise ConfigError(f"config key 'scheduler.name': '{name}' is not one of {', '.join(SCHEDULERS)}")
    warmup, ratio = conf["warmup_steps"], conf["min_lr_ratio"]
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(name, step, warmup, total_steps, ratio))
