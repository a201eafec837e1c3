"""The local backend through `jsertk launch`: logs, bounded concurrency, failures, reruns, Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from helpers import interruptible

LAUNCH = [sys.executable, "-m", "jsertk.cli.main", "launch"]


def launch(*args, cwd=None):
    return subprocess.run([*LAUNCH, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_each_job_gets_its_log_with_command_times_and_exit_code(tmp_path):
    proc = launch("JOB=1:3", tmp_path / "log" / "echo.JOB.log", "echo", "job", "JOB", "of", "3")
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "log" / "echo.2.log").read_text().splitlines()
    assert lines[0] == "# echo job 2 of 3" and lines[1].startswith("# Started at ")
    assert "job 2 of 3" in lines and lines[-1].startswith("# Ended (code 0) at ")


def test_at_most_max_jobs_run_at_once(tmp_path):
    # Each job records when it started and ended; no instant may see more than 2 running.
    cmd = f"echo $(date +%s.%N) > {tmp_path}/JOB.start; sleep 0.3; echo $(date +%s.%N) > {tmp_path}/JOB.end"
    proc = launch("--max-jobs", 2, "JOB=1:5", tmp_path / "log" / "s.JOB.log", "bash", "-c", cmd)
    assert proc.returncode == 0, proc.stderr
    spans = [(float((tmp_path / f"{k}.start").read_text()), float((tmp_path / f"{k}.end").read_text()))
             for k in range(1, 6)]
    assert max(sum(s <= t < e for s, e in spans) for t, _ in spans) <= 2


def test_failures_name_every_failed_job_and_its_log_and_rerun_only_those(tmp_path):
    counter = tmp_path / "runs"
    log = tmp_path / "log" / "f.JOB.log"
    args = ["JOB=1:4", log, "bash", "-c", f"echo JOB >> {counter}; echo trouble in JOB; test JOB -ne 2 -a JOB -ne 4"]
    proc = launch(*args)
    assert proc.returncode == 1
    for k in (2, 4):
        assert f"job {k} failed with exit code 1; see {tmp_path}/log/f.{k}.log" in proc.stderr
        assert f"trouble in {k}" in proc.stderr
    assert "2 of 4 jobs failed (2, 4)" in proc.stderr
    assert (tmp_path / "log" / "f.2.log").read_text().splitlines()[-1].startswith("# Ended (code 1)")
    counter.write_text("")
    proc = launch("--only-failed", *args)
    assert proc.returncode == 1 and sorted(counter.read_text().split()) == ["2", "4"]
    assert "already succeeded with the same command, not rerun: 1, 3" in proc.stderr


def test_single_job_without_a_range(tmp_path):
    proc = launch(tmp_path / "one.log", "echo", "JOB stays")
    assert proc.returncode == 0
    assert "JOB stays" in (tmp_path / "one.log").read_text()


def test_interrupt_stops_the_running_jobs(tmp_path):
    cmd = f"echo $$ > {tmp_path}/JOB.pid; exec sleep 60"
    proc = subprocess.Popen([*LAUNCH, "JOB=1:2", str(tmp_path / "log" / "w.JOB.log"), "bash", "-c", cmd],
                            stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    pids = [tmp_path / "1.pid", tmp_path / "2.pid"]
    deadline = time.monotonic() + 20
    while not all(p.exists() and p.read_text().strip() for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "interrupted" in err
    for p in pids:
        pid = int(p.read_text())
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
    assert "# Interrupted" in (tmp_path / "log" / "w.1.log").read_text()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_job_killed_with_sigkill_fails_and_only_it_reruns(tmp_path):
    counter = tmp_path / "runs"
    # job 2 waits to be killed; the others finish at once
    cmd = f"echo JOB >> {counter}; if [ JOB = 2 ] && [ ! -e {tmp_path}/rerun ]; then echo $$ > {tmp_path}/pid; " \
          f"sleep 60; fi"
    args = ["JOB=1:3", tmp_path / "log" / "k.JOB.log", "bash", "-c", cmd]
    proc = subprocess.Popen([*LAUNCH, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (tmp_path / "pid").is_file() or not (tmp_path / "pid").read_text().strip():
        assert time.time() < deadline, "job 2 did not start"
        time.sleep(0.05)
    os.kill(int((tmp_path / "pid").read_text()), signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "job 2" in err and str(tmp_path / "log" / "k.2.log") in err and "job 1" not in err
    (tmp_path / "rerun").touch()
    again = launch("--only-failed", *args)
    assert again.returncode == 0, again.stderr
    assert sorted(counter.read_text().split()) == ["1", "2", "2", "3"]  # only job 2 ran again
