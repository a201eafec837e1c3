"""A small joint model learns emotion: trained on synthetic speech of 8 voices, it recognises the
emotions of 2 held-out voices well above chance. Fails on a model that learns nothing (or learns
the speakers instead of the emotions)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from asr_helpers import make_tokenizer
from jser_helpers import write_jser_config

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ser_above_chance")]

CHANCE = 0.25  # four balanced classes


def jsertk(*args, cwd=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "jsertk.cli.main", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)
    assert proc.returncode == 0, f"jsertk {' '.join(map(str, args))}:\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("above_chance")
    jsertk("synth-corpus", root / "corpus", "--data-dir", root / "data", "--size", "tiny", "--num-train-labeled", 240,
           "--num-train-unlabeled", 4, "--num-asr-train", 4, "--num-dev", 40, "--num-test", 80, "--nj", 2, "--seed", 3)
    for name in ("train_labeled", "dev", "test"):
        jsertk("compute-fbank", root / "data" / name, root / "dump" / name, "--no-progress")
    jsertk("compute-cmvn", root / "dump" / "train_labeled", "--no-progress")
    texts = [line.split(None, 1)[1] for line in (root / "data" / "train_labeled" / "text").read_text().splitlines()]
    tok = make_tokenizer(root / "tok", texts)
    # acoustic only: the lexical view needs a trained ASR; the synthetic emotions are mostly prosodic
    cfg = write_jser_config(root / "jser.yaml", tok, root / "dump" / "train_labeled" / "cmvn.ark",
                            lexical={"source": "none"}, heads={"emotion_acoustic": 0.0, "emotion_lexical": 0.0,
                                                               "dimensional": 0.0, "hidden": 32},
                            asr_weight=0.0, train={"max_epochs": 8, "keep_nbest": 2, "best_metric": "valid/ua",
                                                   "best_mode": "max"},
                            data={"max_frames_per_batch": 4000, "min_utt_frames": 10, "label_root": str(root / "data")},
                            optim={"lr": 0.003}, scheduler={"name": "warmuplr", "warmup_steps": 20})
    exp = root / "exp"
    jsertk("train", root / "dump" / "train_labeled", "--valid", root / "dump" / "dev", "--config", cfg,
           "--outdir", exp)
    dec = exp / "decode_test"
    jsertk("decode", root / "dump" / "test", "--model-dir", exp, "--outdir", dec, "--ref", root / "data" / "test")
    return root, exp, dec


def test_held_out_voices_are_recognised_well_above_chance(trained):
    root, exp, dec = trained
    def speakers(name: str) -> set[str]:
        return {line.split()[0] for line in (root / "data" / name / "spk2utt").read_text().splitlines()}

    train_spk, test_spk = speakers("train_labeled"), speakers("test")
    assert test_spk and not test_spk & train_spk  # speaker-independent
    scores = json.loads((dec / "scores.json").read_text())
    assert scores["num_utterances"] == 80
    assert scores["UA"] >= CHANCE + 0.15, f"test UA {scores['UA']:.3f} is not well above chance {CHANCE}"
    summary = json.loads((dec / "summary.json").read_text())
    assert summary["UA"] == scores["UA"]
    assert yaml.safe_load((exp / "config.yaml").read_text())["lexical"]["source"] == "none"
