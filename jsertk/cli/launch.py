"""`jsertk launch`: Kaldi's `$cmd JOB=1:N LOGFILE COMMAND...` on local processes or Slurm."""
from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import List, Optional

import typer


def launch(
    backend: str = typer.Option("local", help="Where jobs run: 'local' (processes here) or 'slurm' "
                                              "(sbatch --array)."),
    max_jobs: Optional[int] = typer.Option(None, help="Jobs at once; local default: the number of CPUs, "
                                                      "slurm: no cap."),
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
    from jsertk.parallel.launch import LaunchOptions, print_report
    from jsertk.parallel.launch import launch as run
    from jsertk.parallel.launch_args import parse_launch_args

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
        raise typer.Exit(130) from None
    code = print_report(report)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("launch", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                            "allow_interspersed_args": False})(launch)
