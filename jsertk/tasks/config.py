"""Training configuration: the trainer's sections plus those of the model named by `model:`.

The model name is read first (from the file or a `--set model=...` override) so that the
sections its `Task` adds are known keys; anything else unknown is an error naming its path.
"""
from __future__ import annotations

import os
from typing import Iterable

import yaml

from jsertk.tasks.asr import check_component_sections
from jsertk.tasks.base import get_task
from jsertk.utils.config import ConfigError, load_config, parse_override

TRAINER_DEFAULTS = {
    "model": "asr",  # key of the model registry (jsertk.tasks.base)
    "input_dim": None,  # feature dimension; filled in from the data
    "seed": 0,
    "data": {
        "max_frames_per_batch": 20000,  # padded frames (batch size x longest utterance) per batch
        "max_batch_size": 0,  # utterances per batch at most; 0 = no limit besides the frame budget
        "min_utt_frames": 10,  # shorter utterances are filtered out (with a count in the log)
        "max_utt_frames": 3000,  # longer utterances are filtered out (with a count in the log)
        "set_weights": [],  # per training data dir: how often each utterance is drawn per epoch (1.0)
        "balance_classes": False,  # draw emotion-labelled utterances class-balanced each epoch (skewed label sets)
        "label_root": "data",  # labels missing from a feature dir are read from <label_root>/<dir name>/
        "num_workers": 0,  # DataLoader worker processes
        "frame_shift_ms": 10.0,  # for reporting throughput in seconds of audio
    },
    "optim": {"name": "adamw", "lr": 0.002, "betas": [0.9, 0.98], "eps": 1e-8, "weight_decay": 1e-6},
    "scheduler": {"name": "warmuplr", "warmup_steps": 1000, "min_lr_ratio": 0.0},
    "train": {
        "max_epochs": 30,
        "accum_grad": 1,  # batches per optimizer update
        "grad_clip": 5.0,  # max global gradient norm; 0 = no clipping
        "amp": "auto",  # auto (bf16/fp16 on GPU, off on CPU), bf16, fp16, off
        "device": "auto",  # auto, cpu, cuda
        "max_nonfinite_steps": 10,  # abort after this many NaN/Inf losses or gradients
        "log_interval": 50,  # optimizer updates between log lines / TensorBoard points
        "save_every_steps": 0,  # also checkpoint inside an epoch every N updates (0 = per epoch only)
        "best_metric": "valid/cer",  # chooses the n best epochs: valid/<stat> or train/<stat>
        "best_mode": "min",  # min or max
        "keep_nbest": 5,  # epochs averaged into model.pth
        "patience": 0,  # stop after this many epochs without improvement of best_metric (0 = never)
        "ddp_find_unused_parameters": True,  # needed when a batch leaves some heads without a loss
    },
}

AMP_MODES = ("auto", "bf16", "fp16", "off")
# sections of the ASR model (AsrTask, and JserTask, which builds one), checked by check_component_sections
ASR_SECTIONS = ("encoder", "encoder_conf", "decoder", "decoder_conf", "frontend")


def _model_name(path: str | os.PathLike | None, overrides: Iterable[str]) -> str:
    name = TRAINER_DEFAULTS["model"]
    if path is not None:
        try:
            loaded = yaml.safe_load(open(path, encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"{path}: cannot read the config: {e}") from None
        if isinstance(loaded, dict) and "model" in loaded:
            name = loaded["model"]
    for text in overrides:
        if text.partition("=")[0].strip() == "model":
            name = parse_override(text)["model"]
    if not isinstance(name, str):
        raise ConfigError(f"config key 'model' must be a name, got {name!r}")
    return name


def train_defaults(model: str) -> dict:
    model_sections = get_task(model).defaults()
    clash = set(model_sections) & set(TRAINER_DEFAULTS)
    if clash:
        raise ConfigError(f"model '{model}' defines config sections the trainer owns: {', '.join(sorted(clash))}")
    return {**TRAINER_DEFAULTS, **model_sections}


def load_train_config(path: str | os.PathLike | None, overrides: Iterable[str] = ()) -> dict:
    overrides = list(overrides)
    cfg = load_config(train_defaults(_model_name(path, overrides)), path, overrides)
    # options passed straight to ESPnet classes (the open sections encoder_conf, decoder_conf,
    # frontend.specaug) are checked against those classes now, before any data is read
    if all(key in cfg for key in ASR_SECTIONS):
        check_component_sections(cfg)
    checks = [("train.amp", cfg["train"]["amp"] in AMP_MODES, f"one of {', '.join(AMP_MODES)}"),
              ("train.best_mode", cfg["train"]["best_mode"] in ("min", "max"), "min or max"),
              ("train.best_metric", "/" in cfg["train"]["best_metric"], "of the form valid/<stat> or train/<stat>"),
              ("train.accum_grad", cfg["train"]["accum_grad"] >= 1, "at least 1"),
              ("train.keep_nbest", cfg["train"]["keep_nbest"] >= 1, "at least 1"),
              ("train.max_epochs", cfg["train"]["max_epochs"] >= 1, "at least 1"),
              ("data.max_frames_per_batch", cfg["data"]["max_frames_per_batch"] > 0, "positive"),
              ("data.balance_classes", isinstance(cfg["data"]["balance_classes"], bool), "true or false"),
              ("data.set_weights", all(isinstance(w, (int, float)) and w >= 0 for w in cfg["data"]["set_weights"]),
               "a list of non-negative numbers")]
    for key, ok, what in checks:
        if not ok:
            section, name = key.split(".")
            raise ConfigError(f"config key '{key}' must be {what}, got {cfg[section][name]!r}")
    return cfg
