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
                       data={"max_frames_per_batch": 150}, train={"max_epochs": 2, "accum_grad": 2, "log_interval": 1})
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


def _even_budget(train_dir) -> int:
    """A frame budget giving an even number of batches in both epochs: then 2 processes get the
    same batches as one (an odd count is padded by wrapping, an extra batch for one process)."""
    from jsertk.dataset.sampler import BucketBatchSampler

    lengths = [int(line.split()[1]) for line in (train_dir / "utt2num_frames").read_text().splitlines()]
    for budget in range(150, 400, 10):
        sampler = BucketBatchSampler(lengths, budget, seed=0)
        if all(len(sampler.all_batches(epoch)) % 2 == 0 for epoch in (1, 2)):
            return budget
    raise AssertionError("no frame budget gives an even number of batches")


def _ddp_setup(tmp_path, **train):
    train = {"log_interval": 1, **train}
    train_dir = make_feats_dir(tmp_path / "train", n_utts=16)
    valid = make_feats_dir(tmp_path / "valid", n_utts=4, seed=1)
    # no dropout and no SpecAugment: each process draws its own random numbers (seed + rank)
    cfg = write_config(tmp_path / "c.yaml", make_tokenizer(tmp_path / "tok"), train_dir / "cmvn.ark",
                       frontend={"apply_specaug": False}, **NO_DROPOUT,
                       data={"max_frames_per_batch": _even_budget(train_dir)}, train={"max_epochs": 2, **train})
    return train_dir, valid, cfg


NO_DROPOUT = {"encoder_conf": {"dropout_rate": 0.0, "positional_dropout_rate": 0.0}}


def _train_cmd(nproc, train, valid, cfg, out):
    run = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc)] \
        if nproc > 1 else [sys.executable]
    return [*run, "-m", "jsertk.cli.main", "train", str(train), "--valid", str(valid), "--config", str(cfg),
            "--outdir", str(out), *(["--dist-backend", "gloo"] if nproc > 1 else [])]


def test_two_processes_match_one_process_with_the_same_global_batch(tmp_path):
    """2 gloo processes, one batch each per update, against 1 process accumulating the same 2
    batches per update (the sampler gives rank r batches r, r+2, ... of one shuffled list): the
    same updates, so the same losses and weights up to float summation order."""
    import torch

    train, valid, cfg2 = _ddp_setup(tmp_path / "a", accum_grad=1)
    cfg1 = write_config(tmp_path / "c1.yaml", tmp_path / "a" / "tok", train / "cmvn.ark",
                        frontend={"apply_specaug": False}, **NO_DROPOUT,
                        data={"max_frames_per_batch": _even_budget(train)},
                        train={"max_epochs": 2, "accum_grad": 2, "log_interval": 1})
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for nproc, cfg in ((2, cfg2), (1, cfg1)):
        res = subprocess.run(_train_cmd(nproc, train, valid, cfg, tmp_path / f"exp{nproc}"), capture_output=True,
                             text=True, timeout=300, env=env, cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
    h1, h2 = (json.loads((tmp_path / f"exp{n}" / "history.json").read_text()) for n in (1, 2))
    for key in ("train/loss", "updates"):
        assert [h[key] for h in h2] == pytest.approx([h[key] for h in h1], rel=1e-4), key
    # BatchNorm's running statistics (the conformer's convolution module) come from rank 0's batches
    # under DDP (its buffers are broadcast), from every batch in one process: validation, which uses
    # them, agrees less closely
    assert [h["valid/loss"] for h in h2] == pytest.approx([h["valid/loss"] for h in h1], rel=2e-2)
    m1, m2 = (load(tmp_path / f"exp{n}" / "checkpoint.pth")["model"] for n in (1, 2))
    weights = [k for k in m1 if m1[k].is_floating_point() and "running_" not in k]
    assert weights and all(torch.allclose(m1[k], m2[k], rtol=1e-4, atol=1e-5) for k in weights)
    # only rank 0 writes: one log line per epoch, one provenance entry
    log = (tmp_path / "exp2" / "train.log").read_text()
    assert log.count("epoch 2 done") == 1 and "2 process(es)" in log
    assert len(json.loads((tmp_path / "exp2" / "provenance.json").read_text())["runs"]) == 1


def test_a_rank_that_dies_ends_the_run_with_an_error(tmp_path):
    import signal
    import time

    train, valid, cfg = _ddp_setup(tmp_path, max_epochs=50, log_interval=1)
    out = tmp_path / "exp"
    proc = subprocess.Popen(_train_cmd(2, train, valid, cfg, out), env={**os.environ, "OMP_NUM_THREADS": "1"},
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline, victim = time.time() + 180, None
        while time.time() < deadline and victim is None and proc.poll() is None:
            if (out / "train.log").is_file() and " update 3 " in (out / "train.log").read_text():
                victim = _rank_pid(proc.pid, rank=1)
            time.sleep(0.05)
        assert victim is not None, "rank 1 was not found training"
        os.kill(victim, signal.SIGKILL)
        code = proc.wait(timeout=120)  # no hang: the others are stopped
        assert code != 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not (out / "model.pth").exists()


def _rank_pid(parent: int, rank: int) -> int | None:
    """The pid of the process with RANK=`rank` among the descendants of `parent` (from /proc)."""
    from pathlib import Path

    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if f"RANK={rank}".encode() in environ and b"TORCHELASTIC_RUN_ID" in b" ".join(environ):
            ppid = int(stat[1])
            if ppid == parent or _is_descendant(ppid, parent):
                return int(proc.name)
    return None


def _is_descendant(pid: int, ancestor: int) -> bool:
    from pathlib import Path

    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
    return False
