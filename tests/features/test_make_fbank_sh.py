"""egs/TEMPLATE/jser1/steps/make_fbank.sh: split, parallel jobs, merge, CMVN and check in one call."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_data_dir

from jsertk.data import DataDir, validate
from jsertk.features.cmvn import read_stats

SCRIPT = Path(__file__).resolve().parents[2] / "egs" / "TEMPLATE" / "jser1" / "steps" / "make_fbank.sh"
ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.slow
def test_make_fbank_sh(tmp_path):
    data = make_data_dir(tmp_path / "data" / "train", speakers=("a", "b"), utts_per_spk=2)
    proc = subprocess.run(["bash", SCRIPT, "--nj", "9", "--fbank-opts", "--num-mel-bins 40", data,
                           tmp_path / "dump" / "train"], capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    dump = tmp_path / "dump" / "train"
    assert validate(dump) == [] and DataDir(dump).utterances() == DataDir(data).utterances()
    assert sorted(p.name for p in (dump / "log").iterdir()) == [f"fbank.{k}.log" for k in range(1, 5)]  # nj capped
    assert read_stats(dump / "cmvn.ark").shape == (2, 41)


def test_make_fbank_sh_names_the_failed_job(tmp_path):
    data = make_data_dir(tmp_path / "data", speakers=("a", "b"), utts_per_spk=1)
    (data / "wav.scp").write_text(f"a-utt000 {data}/wav/a-utt000.wav\nb-utt000 {data}/wav/missing.wav\n")
    proc = subprocess.run(["bash", SCRIPT, "--nj", "2", data, tmp_path / "dump"], capture_output=True, text=True,
                          env=ENV, cwd=tmp_path)
    assert proc.returncode != 0
    assert "job 2 failed with exit code 1" in proc.stderr and "missing.wav: audio file not found" in proc.stderr
    assert not (tmp_path / "dump" / "feats.scp").exists()
