"""The local backend: jobs as processes on this machine, at most `max_jobs` at a time."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque

from jsertk.parallel import joblog
from jsertk.parallel.jobs import Job
from jsertk.utils.errors import InputError

KILL_WAIT_S = 5.0  # after SIGTERM, how long jobs get to clean up before SIGKILL


def _start(job: Job) -> tuple[subprocess.Popen, object, float]:
    job.log.parent.mkdir(parents=True, exist_ok=True)
    log = open(job.log, "w", encoding="utf-8")
    log.write(joblog.header(job.command))
    log.flush()
    # Own process group: a Ctrl-C reaches the launcher, which then stops each job as a whole.
    proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", job.command], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    return proc, log, time.monotonic()


def _finish(log, code: int, started: float) -> None:
    log.write(joblog.footer(code, time.monotonic() - started))
    log.close()


def run_local(jobs: list[Job], max_jobs: int, poll_s: float = 0.05) -> dict[int, int]:
    """Run every job; return job index -> exit status. On KeyboardInterrupt the running jobs
    are terminated (their logs record it) and the interrupt is raised again."""
    if max_jobs < 1:
        raise InputError(f"--max-jobs must be >= 1, got {max_jobs}")
    pending = deque(jobs)
    running: dict[int, tuple[subprocess.Popen, object, float]] = {}
    codes: dict[int, int] = {}
    try:
        while pending or running:
            while pending and len(running) < max_jobs:
                job = pending.popleft()
                running[job.index] = _start(job)
            for index, (proc, log, started) in list(running.items()):
                code = proc.poll()
                if code is not None:
                    _finish(log, code, started)
                    codes[index] = code
                    del running[index]
            time.sleep(poll_s)
    except BaseException:
        _terminate(running)
        raise
    return codes


def _terminate(running: dict[int, tuple[subprocess.Popen, object, float]]) -> None:
    for proc, _, _ in running.values():
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + KILL_WAIT_S
    for proc, log, started in running.values():
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        log.write("# Interrupted: the launcher was stopped\n")
        _finish(log, proc.returncode, started)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, sig)
