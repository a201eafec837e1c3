"""steps/decode.sh: what it asks the launcher to run (CPU or GPU), and its option checks. The
decoding itself, in one job and in two, is run by test_synth_emo_pipeline.py."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

DECODE_SH = Path(__file__).resolve().parents[2] / "egs" / "TEMPLATE" / "jser1" / "steps" / "decode.sh"


@pytest.fixture
def fake_launcher(tmp_path):
    """A launcher that records its arguments, one per line, and runs nothing."""
    script = tmp_path / "launch.sh"
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {tmp_path}/launched\n')
    script.chmod(0o755)
    feats = tmp_path / "feats"
    feats.mkdir()
    (feats / "feats.scp").write_text("u1 x.ark:1\n")
    return script, feats, tmp_path / "launched"


@pytest.mark.parametrize("ngpu, resources, device", [("0", [], "cpu"), ("1", ["--gpu", "1"], "cuda")])
def test_one_job_through_the_launcher_on_cpu_or_one_gpu(tmp_path, fake_launcher, ngpu, resources, device):
    launcher, feats, launched = fake_launcher
    run = subprocess.run([str(DECODE_SH), "--nj", "1", "--ngpu", ngpu, "--cmd", str(launcher), "--task", "asr",
                          "--decode-opts", "--method joint --beam-size 4", str(feats), "exp/asr",
                          str(tmp_path / "dec")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert launched.read_text().splitlines() == resources + [
        "JOB=1:1", f"{tmp_path}/dec/log/decode.JOB.log", "jsertk", "decode-asr", str(feats), "--model-dir", "exp/asr",
        "--max-frames-per-batch", "20000", "--device", device, "--outdir", f"{tmp_path}/dec", "--method", "joint",
        "--beam-size", "4"]


@pytest.mark.parametrize("args, message", [
    (["--task", "tts"], "--task must be jser or asr"),
    (["--nj", "0"], "--nj must be a positive integer"),
    (["--ngpu", "x"], "--ngpu must be a non-negative integer"),
])
def test_bad_options_are_refused(tmp_path, fake_launcher, args, message):
    launcher, feats, launched = fake_launcher
    run = subprocess.run([str(DECODE_SH), "--cmd", str(launcher), *args, str(feats), "exp/m", str(tmp_path / "dec")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and message in run.stderr and not launched.exists()


def test_a_feature_dir_without_feats_scp_is_refused(tmp_path, fake_launcher):
    launcher, _, launched = fake_launcher
    run = subprocess.run([str(DECODE_SH), "--cmd", str(launcher), str(tmp_path), "exp/m", str(tmp_path / "dec")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and f"{tmp_path}/feats.scp not found" in run.stderr and not launched.exists()
