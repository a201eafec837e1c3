"""The same `jsertk train` under torchrun: two gloo processes on CPU train one model together."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from asr_helpers import make_feats_dir, make_tokenizer, write_config

from jsertk.train.checkpoint import load

pytestmark = pytest.mark.slow  # two torchrun processes train a model


def test_two_gloo_processes_share_the_epoch(tmp_path):
    train, valid = make_feats_dir(tmp_path / "train", n_utts=12), make_feats_dir(tmp_path / "valid", n_utts=4, seed=1)
    lines = (train / "text").read_text().splitlines()
    (train / "text").write_text("\n".join(lines[::3] + lines[1::3]) + "\n")  # a third without transcripts
    cfg = write_config(tmp_path / "c.yaml", make_tokenizer(tmp_path / "tok"), train / "cmvn.ark",
                       data={"max_frames_per_batch": 150}, train={"max_epochs": 2, "accum_grad": 2})
    out = tmp_path / "exp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "jsertk.cli.main", "train", str(train), "--valid", str(valid), "--config", str(cfg),
           "--outdir", str(out), "--dist-backend", "gloo"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    log = (out / "train.log").read_text()
    assert "2 process(es)" in log and "model.pth = average" in log
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 2 and "valid/cer" in history[-1]
    from jsertk.dataset.sampler import BucketBatchSampler

    lengths = [int(line.split()[1]) for line in (train / "utt2num_frames").read_text().splitlines()]
    per_process = len(BucketBatchSampler(lengths, 150, rank=0, world_size=2).epoch_batches(1))
    assert history[0]["updates"] <= (per_process + 1) // 2  # accum_grad 2; batches without text update nothing
    assert history[0]["updates"] >= 1
    ckpt = load(out / "checkpoint.pth")
    assert len(ckpt["rng"]) == 2  # the random state of both processes, for an exact resume
