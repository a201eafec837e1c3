"""The Slurm backend: one `sbatch --array` job, waited for, cancelled on interrupt.

Beside the logs, in `<logdir>/q/`, go the generated array script `<name>.sh`, Slurm's own
output per task `<name>.<k>.out` (errors before the job's command started), and per task a
status file `<name>.<k>.status` holding the command's exit code, written last. A task that
leaves no status file (killed for time or memory, node failure) counts as failed, with the
state sacct reports.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from jsertk.parallel.jobs import Job
from jsertk.parallel.slurm_conf import SlurmConf
from jsertk.utils.errors import InputError

_TERMINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
                    "BOOT_FAIL", "DEADLINE", "REVOKED"}

_TASK_TEMPLATE = """\
mkdir -p "$(dirname "$log")"
start=$(date +%s)
{ printf '# %s\\n' "${cmd//$'\\n'/ }"; echo "# Started at $(date) on $(hostname)"; echo "#"; } > "$log"
bash -o pipefail -c "$cmd" >> "$log" 2>&1 < /dev/null
rc=$?
elapsed=$(( $(date +%s) - start ))
{ echo "# Accounting: time=$elapsed threads=1"
  echo "# Ended (code $rc) at $(date), elapsed time $elapsed seconds"; } >> "$log"
echo "$rc" > "$status.tmp.$$" && mv -f "$status.tmp.$$" "$status"
exit "$rc"
"""


@dataclass
class TaskResult:
    code: int | None  # None: the task left no exit status
    state: str = ""  # Slurm's state for a task without status, when sacct knows it


@dataclass(frozen=True)
class QueueFiles:
    """The files of one launch in `<logdir>/q/`, named after the log (`fbank` for fbank.JOB.log)."""

    dir: Path
    name: str

    @classmethod
    def for_log(cls, log_template: str, job_name: str | None) -> "QueueFiles":
        path = Path(log_template)
        name = path.name[:-4] if path.name.endswith(".log") else path.name
        if job_name:
            name = re.sub(rf"[._-]?{re.escape(job_name)}", "", name)
        parent = Path(str(path.parent).replace(job_name, "1")) if job_name else path.parent
        return cls(parent / "q", name or "job")

    @property
    def script(self) -> Path:
        return self.dir / f"{self.name}.sh"

    def status(self, index: int) -> Path:
        return self.dir / f"{self.name}.{index}.status"

    @property
    def output_pattern(self) -> Path:
        return self.dir / f"{self.name}.%a.out"


def array_spec(indices: list[int], max_jobs: int | None) -> str:
    """`1-4` for a run of indices, `2,5` otherwise; `%M` caps how many run at once."""
    ordered = sorted(indices)
    contiguous = ordered == list(range(ordered[0], ordered[-1] + 1))
    if len(ordered) == 1:
        spec = str(ordered[0])
    else:
        spec = f"{ordered[0]}-{ordered[-1]}" if contiguous else ",".join(map(str, ordered))
    return spec + (f"%{max_jobs}" if max_jobs else "")


def array_script(jobs: list[Job], files: QueueFiles, cwd: str | os.PathLike) -> str:
    """bash script run by every array task; it picks its job by $SLURM_ARRAY_TASK_ID."""
    lines = ["#!/usr/bin/env bash", "# Written by jsertk launch: one Slurm array task per job.",
             f"cd {shlex.quote(str(cwd))} || exit 1", 'case "$SLURM_ARRAY_TASK_ID" in']
    for job in jobs:
        status = shlex.quote(str(files.status(job.index)))
        lines.append(f"  {job.index}) log={shlex.quote(str(job.log))}; status={status}"
                     f"; cmd={shlex.quote(job.command)} ;;")
    lines += ['  *) echo "no job for array task $SLURM_ARRAY_TASK_ID" >&2; exit 1 ;;', "esac"]
    return "\n".join(lines) + "\n" + _TASK_TEMPLATE


def sbatch_command(conf: SlurmConf, options: dict[str, str], jobs: list[Job], files: QueueFiles,
                   max_jobs: int | None) -> list[str]:
    array = array_spec([j.index for j in jobs], max_jobs)
    return [*conf.command, *conf.flags(options), "--parsable", f"--array={array}",
            f"--job-name={files.name}", f"--output={files.output_pattern}", str(files.script)]


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise InputError(f"'{argv[0]}' not found: the Slurm backend needs Slurm's commands on PATH "
                         "(or use --backend local)") from None


class SlurmBackend:
    def __init__(self, conf: SlurmConf, options: dict[str, str], max_jobs: int | None = None,
                 poll_s: float = 10.0, cwd: str | os.PathLike | None = None):
        self.conf, self.options, self.max_jobs, self.poll_s = conf, options, max_jobs, poll_s
        self.cwd = Path(cwd or os.getcwd()).resolve()
        self.job_id: str | None = None

    def submit(self, jobs: list[Job], files: QueueFiles) -> str:
        files.dir.mkdir(parents=True, exist_ok=True)
        for job in jobs:
            files.status(job.index).unlink(missing_ok=True)  # a stale status would read as this run's
        files.script.write_text(array_script(jobs, files, self.cwd), encoding="utf-8")
        files.script.chmod(0o755)
        argv = sbatch_command(self.conf, self.options, jobs, files, self.max_jobs)
        proc = _run(argv)
        if proc.returncode != 0:
            raise InputError(f"sbatch failed (exit code {proc.returncode}): {proc.stderr.strip()}\n"
                             f"  command: {shlex.join(argv)}")
        job_id = proc.stdout.strip().split(";")[0].strip()
        if not job_id.isdigit():
            raise InputError(f"sbatch --parsable printed '{proc.stdout.strip()}', not a job id")
        self.job_id = job_id
        return job_id

    def run(self, jobs: list[Job], files: QueueFiles) -> dict[int, TaskResult]:
        """Submit, wait for every task, return index -> result. scancel on any interrupt."""
        job_id = self.submit(jobs, files)
        print(f"jsertk launch: submitted Slurm job {job_id} ({len(jobs)} tasks; logs {jobs[0].log.parent})",
              file=sys.stderr)
        try:
            self.wait(job_id, [files.status(j.index) for j in jobs])
        except BaseException:
            self.cancel()
            raise
        return self.results(job_id, jobs, files)

    def cancel(self) -> None:
        if self.job_id is not None:
            proc = _run(["scancel", self.job_id])
            detail = "" if proc.returncode == 0 else f" (scancel failed: {proc.stderr.strip()})"
            print(f"jsertk launch: cancelled Slurm job {self.job_id}{detail}", file=sys.stderr)

    def wait(self, job_id: str, statuses: list[Path]) -> None:
        warned = False
        while not all(p.exists() for p in statuses):
            queued = self.in_queue(job_id)
            if queued is False:
                # Status files written on another node may take a moment to appear here.
                deadline = time.monotonic() + min(30.0, max(1.0, 3 * self.poll_s))
                while time.monotonic() < deadline and not all(p.exists() for p in statuses):
                    time.sleep(min(self.poll_s, 1.0))
                return
            if queued is None and not warned:
                print(f"jsertk launch: cannot query Slurm about job {job_id}; still waiting", file=sys.stderr)
                warned = True
            time.sleep(self.poll_s)

    def in_queue(self, job_id: str) -> bool | None:
        """True while any task is pending or running, False when none is, None when unknown."""
        proc = _run(["squeue", "-h", "-j", job_id, "-o", "%T"])
        if proc.returncode == 0:
            return bool(proc.stdout.strip())
        if "invalid job id" in proc.stderr.lower():  # squeue forgets finished jobs
            return False
        states = self.sacct_states(job_id)
        if states and all(s.split()[0] in _TERMINAL_STATES for s in states.values()):
            return False
        return None

    def sacct_states(self, job_id: str) -> dict[int, str]:
        """Array task index -> Slurm state, as far as sacct knows."""
        proc = _run(["sacct", "-n", "-P", "-X", "-j", job_id, "-o", "JobID,State"])
        states: dict[int, str] = {}
        if proc.returncode != 0:
            return states
        for line in proc.stdout.splitlines():
            parts = line.strip().split("|")
            m = re.fullmatch(rf"{job_id}_(\d+)", parts[0]) if len(parts) >= 2 else None
            if m:
                states[int(m.group(1))] = parts[1].strip()
        return states

    def results(self, job_id: str, jobs: list[Job], files: QueueFiles) -> dict[int, TaskResult]:
        out: dict[int, TaskResult] = {}
        missing = []
        for job in jobs:
            path = files.status(job.index)
            try:
                out[job.index] = TaskResult(int(path.read_text().strip()))
            except (OSError, ValueError):
                missing.append(job.index)
        if missing:
            states = self.sacct_states(job_id)
            for index in missing:
                out[index] = TaskResult(None, states.get(index, "unknown"))
        return out
