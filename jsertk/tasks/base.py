"""Tasks: one per kind of model the trainer can build, keyed by the config field `model:`.

A `Task` is what the model-agnostic trainer and the decoders know about one kind of model: the
config sections it adds, the resources it loads and keeps in the experiment dir (a tokenizer,
class and speaker lists), the label files its dataset reads and how each line is parsed, and
how to build the `torch.nn.Module` from the config. The networks under `jsertk.models` never
touch a file; the task does that work for them (as ESPnet's `espnet2/tasks` do for `espnet2/asr`).
The module's `forward(batch)` returns `{"loss": tensor | None, "stats": {name: (sum, count)}}`.
"""
from __future__ import annotations

import abc
import importlib
import os
from typing import Any, Callable

import torch

from jsertk.utils.errors import ConfigError

# name -> "module:Class" of the task; imported on first use so `jsertk --help` stays fast.
BUILTIN = {"asr": "jsertk.tasks.asr:AsrTask", "jser": "jsertk.tasks.jser:JserTask"}
_TASKS: dict[str, "Task"] = {}


class Task(abc.ABC):
    name = ""

    def defaults(self) -> dict:
        """Config sections this model adds to the trainer's (top-level keys)."""
        return {}

    def setup(self, cfg: dict, expdir: str | os.PathLike, training: bool) -> Any:
        """Load what the model needs besides weights. With `training`, copy it into `expdir` so the
        experiment dir alone rebuilds the model; without, load it from there."""
        return None

    def label_parsers(self, resources: Any) -> dict[str, Callable[[str, str], Any]]:
        """Label file name -> parser(utt, raw value) giving an int, a float tuple or a list of ints."""
        return {}

    def label_report(self, resources: Any) -> list[str]:
        """Warnings about the labels read (e.g. tokens mapped to <unk>), logged once after loading."""
        return []

    def train_data_options(self, cfg: dict, num_dirs: int) -> dict:
        """Keyword arguments for the training `FeatsDataset` (e.g. per-dir `pseudo`, `labelled`)."""
        return {}

    def data_options(self, cfg: dict) -> dict:
        """Keyword arguments for every `FeatsDataset` of this model, training and decoding (e.g.
        `lexical`: read dumped decoder states with the features)."""
        return {}

    def check_inputs(self, cfg: dict, resources: Any, datasets: list) -> None:
        """Called once the training and validation sets are read: check what they hold against the
        model (e.g. dumped states from the model's own pretrained model)."""

    def check_data(self, cfg: dict, resources: Any, train_set) -> None:
        """Called once the training sets are read, before the validation sets: check them against the
        config and fix label inventories (e.g. class lists) that come from the training data."""

    @abc.abstractmethod
    def build(self, cfg: dict, resources: Any, input_dim: int, training: bool) -> torch.nn.Module:
        """The model; with `training`, also read training-only inputs (CMVN stats) and enable augmentation."""


def register(task: Task) -> None:
    _TASKS[task.name] = task


def get_task(name: str) -> Task:
    if name not in _TASKS and name in BUILTIN:
        module, cls = BUILTIN[name].split(":")
        register(getattr(importlib.import_module(module), cls)())
    if name not in _TASKS:
        known = ", ".join(sorted(set(BUILTIN) | set(_TASKS)))
        raise ConfigError(f"config key 'model': '{name}' is not a known model (known: {known})")
    return _TASKS[name]
