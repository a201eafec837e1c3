"""`init`: start a joint model from a trained experiment (an ASR model for the ASR branch, or a
joint model such as the teacher of a semi-supervised round), reading its config and weights."""
from __future__ import annotations

import logging
from pathlib import Path

import yaml

from jsertk.utils import checkpoint as ckpt
from jsertk.utils.config import to_plain
from jsertk.utils.errors import ConfigError

log = logging.getLogger("jsertk.train")
ARCHITECTURE_KEYS = ("encoder", "encoder_conf", "decoder", "decoder_conf")


def _init_config(init_dir: Path) -> dict:
    path = init_dir / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"config key 'init': {path} not found; 'init' must be an experiment dir of `jsertk train`")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"config key 'init': {path} is not valid YAML: {e}") from None


def adopt_asr_architecture(cfg: dict, init_dir: Path) -> None:
    """Build the ASR branch as the init experiment built its model (its encoder and decoder sections,
    and its tokenizer unless the config names one), so the weights fit; the saved config records it."""
    path = init_dir / "config.yaml"
    asr_cfg = _init_config(init_dir)
    for key in ARCHITECTURE_KEYS:
        if key in asr_cfg and to_plain(cfg[key]) != asr_cfg[key]:
            log.info("config key '%s' taken from %s: %s", key, path, asr_cfg[key])
            cfg[key] = asr_cfg[key]
    if not cfg["tokenizer"]:
        cfg["tokenizer"] = str(init_dir / "tokenizer")
    # Input normalisation is not in the weights, but the weights were trained for one. Per-utterance MVN
    # helps ASR and removes loudness, an emotion cue, so a joint model may choose otherwise: say so.
    init_mvn = (asr_cfg.get("frontend") or {}).get("utterance_mvn", "none")
    if init_mvn != cfg["frontend"]["utterance_mvn"]:
        log.warning(
            "config key 'frontend.utterance_mvn' is '%s' but %s was trained with '%s': the shared encoder sees "
            "input normalised differently from its pretraining (set frontend.utterance_mvn: %s to match)",
            cfg["frontend"]["utterance_mvn"], init_dir, init_mvn, init_mvn)


def init_model_type(init_dir: Path) -> str:
    """The `model` of the experiment that `init` names (asr or jser)."""
    return _init_config(init_dir).get("model", "asr")


def load_joint_init(model, init_dir: Path) -> None:
    """Start from a trained joint model (e.g. the teacher of a semi-supervised round): every tensor
    whose name and shape it shares with this model is copied; parts it lacks (an AAE the teacher was
    trained without) start fresh. The ASR branch and the emotion heads must fit."""
    state = ckpt.load_weights(init_dir / "model.pth")
    # the teacher's update count is not the student's: its distribution-matching ramp starts at 0
    state = {k: v for k, v in state.items() if k != "dm_updates"}
    own = model.state_dict()
    wrong = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in state
             if k in own and state[k].shape != own[k].shape]
    if wrong:
        raise ConfigError(f"config key 'init': {init_dir}/model.pth does not fit this model (same tokenizer, "
                          f"encoder, lexical and fusion sections and class list needed): {'; '.join(wrong[:5])}")
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    fresh = sorted({k.split(".")[0] + ("." + k.split(".")[1] if k.startswith("heads.") else "")
                    for k in own if k not in state})
    log.info(
        "initialised %d of %d tensors from %s/model.pth%s", sum(k in own for k in state), len(own), init_dir,
        f"; fresh: {', '.join(fresh)}" if fresh else "")


def load_asr_init(asr, init_dir: Path) -> None:
    """Copy the weights of a trained ASR experiment (its model.pth) into the ASR branch."""
    state = ckpt.load_weights(init_dir / "model.pth")
    try:
        asr.load_state_dict(state)
    except RuntimeError as e:
        raise ConfigError(f"config key 'init': {init_dir}/model.pth does not fit the ASR branch of this config "
                          f"(encoder, decoder and tokenizer must match the ASR experiment): {e}") from None
