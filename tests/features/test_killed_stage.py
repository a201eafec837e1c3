"""A feature stage (steps/make_fbank.sh) killed with SIGKILL part-way through leaves no feats.scp;
run again from its start, it ends with exactly the features of a run never interrupted."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import make_data_dir

SCRIPT = Path(__file__).resolve().parents[2] / "egs" / "TEMPLATE" / "jser1" / "steps" / "make_fbank.sh"
ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}


def _matrices(feat_dir: Path) -> dict:
    import kaldiio

    return {utt: m.tobytes() for utt, m in kaldiio.load_scp_sequential(str(feat_dir / "feats.scp"))}


@pytest.mark.slow
def test_a_killed_stage_reruns_from_its_start_without_its_partial_outputs(tmp_path):
    data = make_data_dir(tmp_path / "data", speakers=("a", "b"), utts_per_spk=4)
    wav = (data / "wav.scp").read_text().splitlines()
    # every utterance read through a slow pipe, so that the stage is still running when it is killed
    (data / "wav.scp").write_text("".join(f"{u} sleep 0.4; cat {p} |\n" for u, p in (ln.split() for ln in wav)))
    clean = subprocess.run(["bash", SCRIPT, "--nj", "2", data, tmp_path / "clean"], capture_output=True, text=True,
                           env=ENV, cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    out = tmp_path / "dump"
    proc = subprocess.Popen(["bash", SCRIPT, "--nj", "2", data, out], env=ENV, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while not list(out.glob("split*/*/.feats.ark.tmp*")):  # a job is writing its ark
        assert time.time() < deadline and proc.poll() is None, "the stage did not start writing"
        time.sleep(0.02)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # the stage script, the launcher and its jobs
    proc.wait(timeout=30)
    assert not (out / "feats.scp").exists()
    rerun = subprocess.run(["bash", SCRIPT, "--nj", "2", data, out], capture_output=True, text=True, env=ENV,
                           cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert _matrices(out) == _matrices(tmp_path / "clean")
    assert (out / "utt2num_frames").read_text() == (tmp_path / "clean" / "utt2num_frames").read_text()
    assert not list(out.rglob(".*.tmp*"))  # the killed run's temporary files are gone
