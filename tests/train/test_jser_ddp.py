"""The joint model under torchrun: two gloo processes fine-tune from an ASR experiment together."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from asr_helpers import make_tokenizer, write_config
from jser_helpers import make_ser_dir, write_jser_config

from jsertk.train import run_training

pytestmark = pytest.mark.slow  # two torchrun processes train the joint model


def test_two_gloo_processes_train_the_joint_model_from_an_asr_init(tmp_path):
    train, valid = make_ser_dir(tmp_path / "train"), make_ser_dir(tmp_path / "valid", 6, seed=1)
    # the ASR experiment's encoder differs from the jser config's: every process must adopt it
    asr_cfg = write_config(tmp_path / "asr.yaml", make_tokenizer(tmp_path / "tok"), train / "cmvn.ark",
                           encoder_conf={"output_size": 48, "attention_heads": 2, "linear_units": 64, "num_blocks": 1,
                                         "input_layer": "conv2d", "dropout_rate": 0.0, "cnn_module_kernel": 5},
                           train={"max_epochs": 1, "keep_nbest": 1})
    run_training(asr_cfg, [train], [], tmp_path / "asr", overrides=["train.best_metric=train/loss"])
    cfg = write_jser_config(tmp_path / "c.yaml", None, None, heads={"speaker": 0.2}, train={"max_epochs": 1},
                            data={"max_frames_per_batch": 300})
    out = tmp_path / "exp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "jsertk.cli.main", "train", str(train), "--valid", str(valid), "--config", str(cfg),
           "--init", str(tmp_path / "asr"), "--outdir", str(out), "--dist-backend", "gloo"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 process(es)" in (out / "train.log").read_text()
    history = json.loads((out / "history.json").read_text())
    # both processes' validation utterances are counted once: the recalls average to the UA reported
    last = history[-1]
    recalls = [v for k, v in last.items() if k.startswith("valid/recall_")]
    assert recalls and last["valid/ua"] == pytest.approx(sum(recalls) / len(recalls))
    assert "output_size: 48" in (out / "config.yaml").read_text()
