"""The slurm backend of `jsertk launch` against a real Slurm (one node on localhost in CI:
tools/slurm/local_cluster.sh); skipped, saying how to get one, where none answers."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from slurm_cluster import cluster_missing

MISSING = cluster_missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}


def _launch(tmp_path, *args):
    return subprocess.run(["jsertk", "launch", "--backend", "slurm", *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=tmp_path, timeout=300)


def test_an_array_runs_on_slurm_and_a_failed_task_is_named_with_its_log(tmp_path):
    res = _launch(tmp_path, "JOB=1:3", tmp_path / "log" / "t.JOB.log", "bash", "-c",
                  f"echo task JOB on $(hostname) > {tmp_path}/out.JOB; [ JOB != 2 ] || [ -e {tmp_path}/fixed ]")
    assert res.returncode != 0
    assert "job 2" in res.stderr and str(tmp_path / "log" / "t.2.log") in res.stderr, res.stderr
    assert all((tmp_path / f"out.{k}").read_text().startswith(f"task {k} on ") for k in (1, 2, 3))
    assert "Started at" in (tmp_path / "log" / "t.1.log").read_text()
    assert sorted(p.name for p in (tmp_path / "log" / "q").glob("*.status")) == [f"t.{k}.status" for k in (1, 2, 3)]
    (tmp_path / "fixed").touch()
    for k in (1, 3):
        (tmp_path / f"out.{k}").unlink()
    res = _launch(tmp_path, "--only-failed", "JOB=1:3", tmp_path / "log" / "t.JOB.log", "bash", "-c",
                  f"echo task JOB on $(hostname) > {tmp_path}/out.JOB; [ JOB != 2 ] || [ -e {tmp_path}/fixed ]")
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "out.1").exists() and not (tmp_path / "out.3").exists()  # only job 2 ran again


def test_a_failing_feature_job_on_slurm_fails_the_step_naming_its_log(tmp_path):
    from pathlib import Path

    from helpers import make_data_dir

    script = Path(__file__).resolve().parents[2] / "egs" / "TEMPLATE" / "jser1" / "steps" / "make_fbank.sh"
    data = make_data_dir(tmp_path / "data", speakers=("a", "b"), utts_per_spk=1)
    (data / "wav.scp").write_text(f"a-utt000 {data}/wav/a-utt000.wav\nb-utt000 {data}/wav/missing.wav\n")
    proc = subprocess.run(["bash", script, "--nj", "2", "--cmd", "jsertk launch --backend slurm", data,
                           tmp_path / "dump"], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=300)
    assert proc.returncode != 0
    assert "job 2 failed" in proc.stderr and str(tmp_path / "dump" / "log" / "fbank.2.log") in proc.stderr, proc.stderr
    assert "missing.wav: audio file not found" in (tmp_path / "dump" / "log" / "fbank.2.log").read_text()
    assert not (tmp_path / "dump" / "feats.scp").exists()
