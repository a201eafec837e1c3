"""The trainer end to end on a tiny conformer: outputs, exact resume, NaN handling, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from asr_helpers import make_feats_dir, make_tokenizer, write_config
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.tasks.asr import AsrTask
from jsertk.tasks.base import register
from jsertk.train import run_training
from jsertk.train.checkpoint import CheckpointError, average_state_dicts, load
from jsertk.train.trainer import Trainer, TrainingError
from jsertk.utils.config import ConfigError

pytestmark = pytest.mark.slow  # every test trains (a tiny conformer, a few epochs)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("asr")
    make_feats_dir(root / "dump" / "train", n_utts=12)
    make_feats_dir(root / "dump" / "valid", n_utts=4, seed=1)
    make_tokenizer(root / "tok")
    return root


def _config(corpus: Path, path: Path, **sections) -> Path:
    return write_config(path, corpus / "tok", corpus / "dump" / "train" / "cmvn.ark", **sections)


def _train(corpus, outdir, cfg, resume=False, trainer_class=None, overrides=()):
    return run_training(cfg, [corpus / "dump" / "train"], [corpus / "dump" / "valid"], outdir, overrides,
                        resume=resume, trainer_class=trainer_class)


def test_training_writes_model_logs_and_curves(corpus, tmp_path):
    out = tmp_path / "exp"
    cfg = _config(corpus, tmp_path / "c.yaml", train={"max_epochs": 3, "keep_nbest": 2})
    res = CliRunner().invoke(app, ["train", str(corpus / "dump" / "train"), "--valid", str(corpus / "dump" / "valid"),
                                   "--config", str(cfg), "--outdir", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("train.log", "config.yaml", "checkpoint.pth", "model.pth", "nbest.json", "history.json",
                 "loss_curves.png", "tokenizer/tokens.txt"):
        assert (out / name).is_file(), name
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["train/loss"] < history[0]["train/loss"]
    assert 0.0 <= history[-1]["valid/cer"] <= 1.5
    nbest = json.loads((out / "nbest.json").read_text())
    kept = sorted(e["epoch"] for e in nbest["averaged"])
    assert len(kept) == 2 and sorted(int(p.stem[5:]) for p in out.glob("epoch*.pth")) == kept
    avg = average_state_dicts([out / f"epoch{e}.pth" for e in kept])
    model = load(out / "model.pth")
    assert all(torch.allclose(model[k], avg[k], atol=1e-6) for k in model if model[k].is_floating_point())
    log = (out / "train.log").read_text()
    assert "12 utterances" in log and "epoch 3 done" in log and "model.pth = average of epochs" in log
    # an existing run is not overwritten by accident
    res = CliRunner().invoke(app, ["train", str(corpus / "dump" / "train"), "--config", str(cfg), "--outdir", str(out),
                                   "--set", "train.best_metric=train/loss"])
    assert res.exit_code != 0 and "--resume" in str(res.exception or res.output)


class Interrupted(Exception):
    """Stands for a killed run."""


def _interrupting(at_epoch: int, at_batch: int):
    class InterruptedTrainer(Trainer):
        def after_batch(self):
            if self.epoch + 1 == at_epoch and self.consumed == at_batch:
                raise Interrupted()

    return InterruptedTrainer


@pytest.mark.parametrize("save_every,at_batch", [(0, 1), (1, 2)], ids=["epoch-boundary", "mid-epoch"])
def test_resume_repeats_the_uninterrupted_run_exactly(corpus, tmp_path, save_every, at_batch):
    sections = dict(frontend={"apply_specaug": True}, encoder_conf={"dropout_rate": 0.1},
                    data={"max_frames_per_batch": 300}, train={"max_epochs": 2, "save_every_steps": save_every})
    cfg = _config(corpus, tmp_path / "c.yaml", **sections)
    _train(corpus, tmp_path / "straight", cfg)
    with pytest.raises(Interrupted):
        _train(corpus, tmp_path / "resumed", cfg, trainer_class=_interrupting(2, at_batch))
    assert not (tmp_path / "resumed" / "model.pth").exists()
    _train(corpus, tmp_path / "resumed", None, resume=True)
    a, b = load(tmp_path / "straight" / "checkpoint.pth"), load(tmp_path / "resumed" / "checkpoint.pth")
    assert a["step"] == b["step"] and a["history"][-1]["train/loss"] == b["history"][-1]["train/loss"]
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert "resumed from" in (tmp_path / "resumed" / "train.log").read_text()


class NanAsrTask(AsrTask):
    """The ASR model, except that batches holding the first training utterance get a NaN loss."""

    name = "nan_asr_test"
    poisoned = "spkA-u000"

    def build(self, cfg, resources, input_dim, training):
        model = super().build(cfg, resources, input_dim, training)
        forward = model.forward

        def poisoned_forward(batch):
            out = forward(batch)
            if self.poisoned in batch.get("utts", []) and out["loss"] is not None:
                out["loss"] = out["loss"] * float("nan")
            return out

        model.forward = poisoned_forward
        return model


def test_nan_loss_skips_the_step_then_aborts_past_the_limit(corpus, tmp_path):
    register(NanAsrTask())
    cfg = _config(corpus, tmp_path / "c.yaml", model="nan_asr_test", train={"max_epochs": 2,
                                                                            "max_nonfinite_steps": 5})
    _train(corpus, tmp_path / "ok", cfg)
    log = (tmp_path / "ok" / "train.log").read_text()
    assert log.count("non-finite loss") == 2 and "spkA-u000" in log
    model = load(tmp_path / "ok" / "model.pth")
    assert all(torch.isfinite(t).all() for t in model.values() if t.is_floating_point())
    with pytest.raises(TrainingError, match="max_nonfinite_steps=1"):
        _train(corpus, tmp_path / "abort", cfg, overrides=["train.max_nonfinite_steps=1"])


def test_corrupt_checkpoint_is_reported(corpus, tmp_path):
    cfg = _config(corpus, tmp_path / "c.yaml", train={"max_epochs": 1})
    _train(corpus, tmp_path / "exp", cfg)
    ck = tmp_path / "exp" / "checkpoint.pth"
    ck.write_bytes(ck.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="checkpoint.pth: cannot be read.*corrupt"):
        _train(corpus, tmp_path / "exp", cfg, resume=True, overrides=["train.max_epochs=2"])


def test_resume_refuses_another_tokenizer(corpus, tmp_path):
    cfg = _config(corpus, tmp_path / "c.yaml", train={"max_epochs": 1})
    _train(corpus, tmp_path / "exp", cfg)
    other = make_tokenizer(tmp_path / "other", texts=["completely different words"])
    with pytest.raises(ConfigError, match="not the tokenizer"):
        _train(corpus, tmp_path / "exp", cfg, resume=True, overrides=[f"tokenizer={other}", "train.max_epochs=2"])


def test_config_errors_name_the_key(corpus, tmp_path):
    cfg = _config(corpus, tmp_path / "c.yaml", train={"max_epochs": 1})
    with pytest.raises(ConfigError, match="'train.max_epoch'"):
        _train(corpus, tmp_path / "a", cfg, overrides=["train.max_epoch=3"])
    with pytest.raises(ConfigError, match="'encoder_conf.hidden'"):
        _train(corpus, tmp_path / "b", cfg, overrides=["encoder_conf.hidden=3"])
    with pytest.raises(ConfigError, match="'model': 'lstm' is not a known model"):
        _train(corpus, tmp_path / "c", cfg, overrides=["model=lstm"])
    with pytest.raises(ConfigError, match="'train.best_metric'.*valid/wer"):
        _train(corpus, tmp_path / "d", cfg, overrides=["train.best_metric=valid/wre"])


def test_unknown_tokens_and_long_utterances_are_counted(corpus, tmp_path):
    data = tmp_path / "train"
    make_feats_dir(data, n_utts=6, seed=5)
    utts = sorted(line.split()[0] for line in (data / "text").read_text().splitlines())
    (data / "text").write_text("".join(f"{u} {'red 4' if k == 1 else 'one two'}\n" for k, u in enumerate(utts)))
    cfg = _config(corpus, tmp_path / "c.yaml", train={"max_epochs": 1, "best_metric": "train/loss"},
                  data={"max_utt_frames": 60})
    run_training(cfg, [data], [], tmp_path / "exp")
    log = (tmp_path / "exp" / "train.log").read_text()
    assert f"1 tokens missing from the vocabulary were mapped to <unk> in 1 utterances ({utts[1]})" in log
    n_long = sum(int(line.split()[1]) > 60 for line in (data / "utt2num_frames").read_text().splitlines())
    assert n_long and f"and {n_long} too long" in log


def test_sigkill_at_a_random_update_then_resume_ends_with_the_uninterrupted_model(corpus, tmp_path):
    """A real `kill -9` of a training process (not an exception): the run restarted with --resume
    ends with exactly the model of a run never interrupted (same seed, CPU, one thread)."""
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    cfg = _config(corpus, tmp_path / "c.yaml", encoder_conf={"dropout_rate": 0.1}, data={"max_frames_per_batch": 300},
                  train={"max_epochs": 3, "save_every_steps": 1, "log_interval": 1})
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def command(out, *extra):
        return [sys.executable, "-m", "jsertk.cli.main", "train", str(corpus / "dump" / "train"), "--valid",
                str(corpus / "dump" / "valid"), "--config", str(cfg), "--outdir", str(out), *extra]

    straight = subprocess.run(command(tmp_path / "straight"), env=env, capture_output=True, text=True)
    assert straight.returncode == 0, straight.stderr
    updates = load(tmp_path / "straight" / "checkpoint.pth")["step"]
    at = random.Random().randint(2, updates - 2)  # past the first checkpoint (save_every_steps 1), before the end
    out = tmp_path / "killed"
    proc = subprocess.Popen(command(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            log = out / "train.log"
            if log.is_file() and f" update {at} " in log.read_text():
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        assert proc.wait(60) == -signal.SIGKILL, f"the run ended before update {at} was seen"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (out / "model.pth").exists() and (out / "checkpoint.pth").is_file()
    resumed = subprocess.run(command(out, "--resume"), env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    a, b = load(tmp_path / "straight" / "checkpoint.pth"), load(out / "checkpoint.pth")
    assert a["step"] == b["step"] == updates
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"]), f"killed after update {at}"
    assert "resumed from" in (out / "train.log").read_text()
