"""The Slurm backend against fake sbatch/squeue/sacct/scancel on PATH.

The fake sbatch records its arguments and runs the generated array script once per task
(with SLURM_ARRAY_TASK_ID set), as Slurm would; FAKE_SLURM_KILL lists tasks it "kills"
(never runs), FAKE_SLURM_MODE=hang runs nothing and keeps the job in the queue.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import interruptible

from jsertk.parallel.slurm import QueueFiles, array_spec
from jsertk.parallel.slurm_conf import SlurmConf

FAKE_SBATCH = """\
import json, os, subprocess, sys
d = os.environ["FAKE_SLURM"]
argv = sys.argv[1:]
with open(os.path.join(d, "sbatch.calls"), "a") as f:
    f.write(json.dumps(argv) + "\\n")
if os.environ.get("FAKE_SLURM_MODE") == "reject":
    print("sbatch: error: invalid partition specified: nope", file=sys.stderr)
    sys.exit(1)
spec = next(a for a in argv if a.startswith("--array="))[8:].split("%")[0]
tasks = []
for part in spec.split(","):
    a, _, b = part.partition("-")
    tasks += range(int(a), int(b or a) + 1)
killed = {int(t) for t in os.environ.get("FAKE_SLURM_KILL", "").split(",") if t}
out = next(a for a in argv if a.startswith("--output="))[9:]
if os.environ.get("FAKE_SLURM_MODE") != "hang":
    for t in tasks:
        if t not in killed:
            with open(out.replace("%a", str(t)), "w") as o:
                subprocess.run(["bash", argv[-1]], env={**os.environ, "SLURM_ARRAY_TASK_ID": str(t)}, stdout=o,
                               stderr=subprocess.STDOUT)
print("4242;cluster")
"""

FAKE_SQUEUE = """\
import os, sys
d = os.environ["FAKE_SLURM"]
open(os.path.join(d, "squeue.calls"), "a").write(" ".join(sys.argv[1:]) + "\\n")
if os.environ.get("FAKE_SLURM_MODE") == "hang":
    print("RUNNING")
elif os.environ.get("FAKE_SQUEUE") == "invalid":
    print("slurm_load_jobs error: Invalid job id specified", file=sys.stderr)
    sys.exit(1)
"""

FAKE_SACCT = """\
import os, sys
p = os.path.join(os.environ["FAKE_SLURM"], "sacct.out")
if os.path.exists(p):
    sys.stdout.write(open(p).read())
"""

FAKE_SCANCEL = """\
import os, sys
open(os.path.join(os.environ["FAKE_SLURM"], "scancel.calls"), "a").write(" ".join(sys.argv[1:]) + "\\n")
"""


@pytest.fixture
def slurm(tmp_path):
    """A fake Slurm: returns (env, state dir); run the launcher with that env."""
    bin_dir, state = tmp_path / "bin", tmp_path / "slurm"
    bin_dir.mkdir()
    state.mkdir()
    for name, body in (("sbatch", FAKE_SBATCH), ("squeue", FAKE_SQUEUE), ("sacct", FAKE_SACCT),
                       ("scancel", FAKE_SCANCEL)):
        exe = bin_dir / name
        exe.write_text(f"#!{sys.executable}\n{body}")
        exe.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_SLURM": str(state)}
    return env, state


def launch(env, *args, cwd):
    return subprocess.run([sys.executable, "-m", "jsertk.cli.main", "launch", "--backend", "slurm",
                           "--poll-interval", "0.05", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd)


def sbatch_calls(state: Path) -> list[list[str]]:
    return [json.loads(line) for line in (state / "sbatch.calls").read_text().splitlines()]


def _pairs(argv):
    return list(zip(argv, argv[1:]))


def test_sbatch_command_from_options_and_the_array_script_runs_each_job(tmp_path, slurm):
    env, state = slurm
    proc = launch(env, "--mem", "4G", "--gpu", "1", "--time", "1:00:00", "--partition", "p1", "--max-jobs", 2,
                  "JOB=1:3", "exp/log/fbank.JOB.log", "echo", "job", "JOB", "with spaces", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (argv,) = sbatch_calls(state)
    assert argv[:2] == ["--export=ALL", "--ntasks=1"]
    assert {("--mem", "4G"), ("--time", "1:00:00"), ("--partition", "p1")} <= set(_pairs(argv))
    assert "--gres=gpu:1" in argv and "--parsable" in argv and "--array=1-3%2" in argv
    assert "--job-name=fbank" in argv and "--output=exp/log/q/fbank.%a.out" in argv
    assert argv[-1] == "exp/log/q/fbank.sh"
    log = (tmp_path / "exp/log/fbank.2.log").read_text().splitlines()
    assert log[0] == '# echo job 2 "with spaces"' and "job 2 with spaces" in log
    assert log[-1].startswith("# Ended (code 0)")
    assert (tmp_path / "exp/log/q/fbank.3.status").read_text().strip() == "0"


def test_conf_file_maps_options_and_unknown_options_fail_before_submitting(tmp_path, slurm):
    env, state = slurm
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "slurm.conf").write_text(
        "command sbatch --qos=high  # our cluster\noption mem=* --mem-per-cpu $0\noption gpu=0\n"
        "option gpu=* -p gpu --gres=gpu:$0\ndefault gpu=0\n")
    assert launch(env, "--mem", "2G", "JOB=1:2", "log/x.JOB.log", "true", cwd=tmp_path).returncode == 0
    (argv,) = sbatch_calls(state)
    assert argv[0] == "--qos=high" and ("--mem-per-cpu", "2G") in _pairs(argv) and "-p" not in argv
    proc = launch(env, "--gpu", "2", "--colour", "blue", "JOB=1:2", "log/x.JOB.log", "true", cwd=tmp_path)
    assert proc.returncode == 1 and "conf/slurm.conf: no rule for --colour blue" in proc.stderr
    assert len(sbatch_calls(state)) == 1


def test_failed_task_is_named_with_its_log_and_rerun_alone(tmp_path, slurm):
    env, state = slurm
    args = ["JOB=1:3", "log/t.JOB.log", "test", "JOB", "-ne", "2", "-o", "-e", "fixed"]
    proc = launch(env, *args, cwd=tmp_path)
    assert proc.returncode == 1
    assert "job 2 failed with exit code 1; see log/t.2.log" in proc.stderr and "1 of 3 jobs failed" in proc.stderr
    (tmp_path / "fixed").touch()
    proc = launch(env, "--only-failed", *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "--array=2" in sbatch_calls(state)[1]


def test_task_killed_by_slurm_reports_its_state(tmp_path, slurm):
    env, state = slurm
    env = {**env, "FAKE_SLURM_KILL": "3", "FAKE_SQUEUE": "invalid"}  # squeue has already forgotten the job
    (state / "sacct.out").write_text("4242_1|COMPLETED\n4242_2|COMPLETED\n4242_3|TIMEOUT\n")
    proc = launch(env, "JOB=1:3", "log/k.JOB.log", "true", cwd=tmp_path)
    assert proc.returncode == 1
    assert "job 3 left no exit status (Slurm state: TIMEOUT); see log/k.3.log" in proc.stderr
    assert "job 1" not in proc.stderr


def test_rejected_submission_is_an_error(tmp_path, slurm):
    env, _ = slurm
    proc = launch({**env, "FAKE_SLURM_MODE": "reject"}, "--partition", "nope", "JOB=1:2", "log/r.JOB.log", "true",
                  cwd=tmp_path)
    assert proc.returncode == 1 and "sbatch failed (exit code 1): sbatch: error: invalid partition" in proc.stderr


def test_interrupt_cancels_the_slurm_job(tmp_path, slurm):
    env, state = slurm
    proc = subprocess.Popen([sys.executable, "-m", "jsertk.cli.main", "launch", "--backend", "slurm",
                             "--poll-interval", "0.05", "JOB=1:2", "log/h.JOB.log", "sleep", "100"],
                            env={**env, "FAKE_SLURM_MODE": "hang"}, cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)
    deadline = time.monotonic() + 20
    while not (state / "squeue.calls").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert (state / "scancel.calls").read_text().split() == ["4242"] and "cancelled Slurm job 4242" in err


def test_array_specs_and_queue_file_names():
    assert array_spec([1, 2, 3, 4], None) == "1-4" and array_spec([4, 2, 7], 3) == "2,4,7%3"
    files = QueueFiles.for_log("exp/log/decode_test.JOB.log", "JOB")
    assert files.script == Path("exp/log/q/decode_test.sh")
    assert files.status(3) == Path("exp/log/q/decode_test.3.status")


def test_built_in_conf_defaults():
    conf = SlurmConf.load(None)
    assert conf.flags({}) == []
    assert conf.flags({"num-threads": "4", "mem": "0"}) == ["--cpus-per-task", "4"]
    with pytest.raises(ValueError, match="no 'command' line"):
        SlurmConf.parse("option mem=* --mem $0\n", "my.conf")
