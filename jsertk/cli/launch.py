"""`jsertk launch`: Kaldi's `$cmd JOB=1:N LOGFILE COMMAND...` on local processes or Slurm."""
from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import List, Optional

import typer

_VALUE_OPTIONS = {"--backend": "backend", "--max-jobs": "max_jobs", "--max-jobs-run": "max_jobs", "--conf": "conf",
                  "--poll-interval": "poll_interval"}
_FLAG_OPTIONS = {"--only-failed": "only_failed"}


def parse_launch_args(argv: list[str], opts=None):
    """(options, job range or None, log template, command words) from the launcher's arguments.

    Options come first; a `--name value` that is not a launcher option is a resource option
    (--mem, --gpu, --time, --partition, --num-threads, ...) for the Slurm conf.
    """
    from jsertk.parallel.jobs import parse_job_range
    from jsertk.parallel.launch import LaunchOptions
    from jsertk.parallel.slurm_conf import option_key

    opts = opts if opts is not None else LaunchOptions()
    i = 0
    while i < len(argv) and argv[i].startswith("--") and len(argv[i]) > 2:
        name, eq, value = argv[i].partition("=")
        if name in _FLAG_OPTIONS:
            setattr(opts, _FLAG_OPTIONS[name], True)
            i += 1
            continue
        if not eq:
            if i + 1 >= len(argv):
                raise ValueError(f"option {name} needs a value")
            value = argv[i + 1]
            i += 1
        i += 1
        field = _VALUE_OPTIONS.get(name)
        if field is None:
            opts.resources[option_key(name)] = value
        elif field in ("max_jobs",):
            opts.max_jobs = _number(name, value, int)
        elif field == "poll_interval":
            opts.poll_interval = _number(name, value, float)
        elif field == "conf":
            opts.conf = Path(value)
        else:
            opts.backend = value
    rest = argv[i:]
    job_range = parse_job_range(rest[0]) if rest else None
    if job_range is not None:
        rest = rest[1:]
    if len(rest) < 2:
        raise ValueError("usage: jsertk launch [options] [JOB=1:N] LOGFILE COMMAND...")
    return opts, job_range, rest[0], rest[1:]


def _number(name: str, value: str, kind):
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"option {name} needs a number, got '{value}'") from None


def launch(
    backend: str = typer.Option("local", help="Where jobs run: 'local' (processes here) or 'slurm' (sbatch --array)."),
    max_jobs: Optional[int] = typer.Option(None, help="Jobs at once; local default: the number of CPUs, slurm: no cap."),
    conf: Optional[Path] = typer.Option(None, help="Slurm conf (Kaldi format); default conf/slurm.conf if present, "
                                                   "else a built-in one."),
    only_failed: bool = typer.Option(False, "--only-failed", help="Skip jobs whose log shows the same command "
                                                                  "succeeded; run the rest."),
    poll_interval: float = typer.Option(10.0, help="Seconds between Slurm queue checks."),
    args: Optional[List[str]] = typer.Argument(None, metavar="[--RESOURCE VALUE]... [JOB=1:N] LOGFILE COMMAND...",
                                               help="Resource options for the Slurm conf (--mem 4G, --gpu 1, "
                                                    "--time 1:00:00, --partition P, --num-threads 4; ignored by "
                                                    "local), the job range, the log path and the command; JOB is "
                                                    "replaced by the job number in the log path and in every word."),
) -> None:
    """Run COMMAND as a job array, Kaldi style: `jsertk launch JOB=1:4 exp/log/x.JOB.log cmd --job JOB`.

    Each job's output goes to its own log with the command, start and end time and exit code.
    Exits 1 naming every failed job and its log; 130 when interrupted (jobs are stopped,
    Slurm jobs cancelled).
    """
    from jsertk.parallel.launch import LaunchOptions, launch as run, print_report

    base = LaunchOptions(backend=backend, max_jobs=max_jobs, conf=conf, only_failed=only_failed,
                         poll_interval=poll_interval)
    opts, job_range, log, words = parse_launch_args(list(args or []), base)

    def _interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = run(opts, job_range, log, words)
    except KeyboardInterrupt:
        print("jsertk launch: interrupted; jobs stopped", file=sys.stderr)
        raise typer.Exit(130)
    code = print_report(report)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("launch", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                            "allow_interspersed_args": False})(launch)
