"""Run a Kaldi-style job array on a backend and report every failed job with its log."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jsertk.parallel import joblog
from jsertk.parallel.jobs import Job, JobRange, expand_jobs
from jsertk.parallel.local import run_local
from jsertk.parallel.slurm import QueueFiles, SlurmBackend, TaskResult
from jsertk.parallel.slurm_conf import SlurmConf
from jsertk.utils.errors import InputError

BACKENDS = ("local", "slurm")
KALDI_SLURM_CONF = Path("conf/slurm.conf")  # used when --conf is not given and it exists


@dataclass
class LaunchOptions:
    backend: str = "local"
    max_jobs: int | None = None  # local: default the number of CPUs; slurm: no cap
    conf: Path | None = None
    only_failed: bool = False
    poll_interval: float = 10.0
    resources: dict[str, str] = field(default_factory=dict)  # --mem 4G, --gpu 1, ... (Slurm conf rules)


@dataclass
class LaunchReport:
    jobs: list[Job]  # the jobs that ran
    skipped: list[Job]  # with only_failed: jobs whose earlier run of the same command succeeded
    results: dict[int, TaskResult]

    @property
    def failed(self) -> list[tuple[Job, TaskResult]]:
        return [(j, self.results[j.index]) for j in self.jobs if self.results[j.index].code != 0]


def launch(opts: LaunchOptions, job_range: JobRange | None, log: str, args: list[str]) -> LaunchReport:
    if opts.backend not in BACKENDS:
        raise InputError(f"--backend must be one of {', '.join(BACKENDS)}, got '{opts.backend}'")
    if opts.max_jobs is not None and opts.max_jobs < 1:
        raise InputError(f"--max-jobs must be >= 1, got {opts.max_jobs}")
    jobs = expand_jobs(job_range, log, args)
    skipped: list[Job] = []
    if opts.only_failed:
        skipped = [j for j in jobs if joblog.succeeded_before(j.log, j.command)]
        jobs = [j for j in jobs if j not in skipped]
    if not jobs:
        return LaunchReport([], skipped, {})
    if opts.backend == "local":
        codes = run_local(jobs, opts.max_jobs or os.cpu_count() or 1)
        results = {k: TaskResult(c) for k, c in codes.items()}
    else:
        conf_path = opts.conf if opts.conf is not None else (KALDI_SLURM_CONF if KALDI_SLURM_CONF.is_file() else None)
        conf = SlurmConf.load(conf_path)
        conf.flags(opts.resources)  # an option without a rule fails here, before anything is written
        files = QueueFiles.for_log(log, job_range.name if job_range else None)
        results = SlurmBackend(conf, opts.resources, opts.max_jobs, opts.poll_interval).run(jobs, files)
    return LaunchReport(jobs, skipped, results)


def _tail(log: Path, n: int = 3) -> list[str]:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    body = [ln for ln in lines if not (ln == "#" or ln.startswith("# "))]  # without header and footer
    return body[-n:]


def failure_report(report: LaunchReport, show_tails: int = 3) -> str:
    """One line per failed job naming its log, the end of the first few logs, and a summary."""
    failed = report.failed
    lines = []
    for i, (job, result) in enumerate(failed):
        if result.code is None:
            lines.append(f"jsertk launch: job {job.index} left no exit status (Slurm state: {result.state}); "
                         f"see {job.log}")
        else:
            lines.append(f"jsertk launch: job {job.index} failed with exit code {result.code}; see {job.log}")
        if i < show_tails:
            lines += [f"    {ln}" for ln in _tail(job.log)]
    lines.append(f"jsertk launch: {len(failed)} of {len(report.jobs)} jobs failed "
                 f"({', '.join(str(j.index) for j, _ in failed)}); rerun just those with --only-failed")
    return "\n".join(lines)


def print_report(report: LaunchReport) -> int:
    """Print the outcome to stderr; return the launcher's exit status."""
    if report.skipped:
        print(f"jsertk launch: {len(report.skipped)} job(s) already succeeded with the same command, not rerun: "
              + ", ".join(str(j.index) for j in report.skipped), file=sys.stderr)
    if report.failed:
        print(failure_report(report), file=sys.stderr)
        return 1
    return 0
