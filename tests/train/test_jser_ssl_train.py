"""`jsertk train` of the joint model on true, ASR-only, pseudo-labelled and unlabelled dirs together,
with distribution matching, the AAE, confidence weighting and balanced sampling, interrupted and resumed."""
from __future__ import annotations

import json

import pytest
import torch
from asr_helpers import make_tokenizer
from jser_helpers import make_ser_dir, write_jser_config
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.train.checkpoint import load

pytestmark = pytest.mark.slow  # trains the joint model, interrupted and resumed


def _pseudo_dir(root):
    d = make_ser_dir(root, 8, seed=3, speakers=("spkD",))
    emo = (d / "utt2emo").read_text().splitlines()[1::2]
    (d / "utt2emo").write_text("".join(f"{line}\n" for line in emo))
    (d / "utt2emo_conf").write_text("".join(f"{line.split()[0]} 0.8\n" for line in emo))
    text = (d / "text").read_text().splitlines()[:5]
    (d / "text").write_text("".join(f"{line}\n" for line in text))
    (d / "utt2text_conf").write_text("".join(f"{line.split()[0]} 0.6\n" for line in text))
    return d


def test_train_on_ser_asr_pseudo_and_unlab_dirs_then_resume(tmp_path):
    dirs = [make_ser_dir(tmp_path / "ser"), make_ser_dir(tmp_path / "asr", 6, seed=2, emo=False, speakers=("spkC",)),
            _pseudo_dir(tmp_path / "pseudo"), make_ser_dir(tmp_path / "unlab", 6, seed=4, speakers=("spkE",))]
    valid = make_ser_dir(tmp_path / "valid", 6, seed=1)
    cfg = write_jser_config(tmp_path / "c.yaml", make_tokenizer(tmp_path / "tok"), dirs[0] / "cmvn.ark",
                            data_roles=["ser", "asr", "pseudo", "unlab"], aae={"enabled": True},
                            pseudo={"confidence_weighting": True},
                            distribution_matching={"weight": 0.5, "warmup_steps": 3},
                            data={"max_frames_per_batch": 400, "balance_classes": True},
                            train={"max_epochs": 1, "log_interval": 1})
    out = tmp_path / "exp"
    args = ["train", *map(str, dirs), "--valid", str(valid), "--config", str(cfg), "--outdir", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    res = CliRunner().invoke(app, [*args, "--resume", "--set", "train.max_epochs=2"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    for key in ("train/loss_emotion", "train/loss_emotion_pseudo", "train/loss_asr", "train/loss_asr_pseudo",
                "train/loss_dm", "train/loss_aae_recon", "train/loss_aae_class_pseudo", "valid/ua"):
        assert all(key in h and h[key] == h[key] for h in history), key
    assert "valid/loss_emotion_pseudo" not in history[-1]  # validation labels are true labels
    log = (out / "train.log").read_text()
    assert "loss_emotion_pseudo=" in log and "loss_dm=" in log and "resumed from" in log
    state = load(out / "checkpoint.pth")
    assert int(state["model"]["dm_updates"]) == state["step"] == history[-1]["updates"] > history[0]["updates"]
    assert torch.isfinite(torch.tensor(history[-1]["train/loss"]))
