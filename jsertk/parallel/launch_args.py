"""The launcher's own arguments: `[--option value]... [JOB=1:N] LOGFILE COMMAND...`, Kaldi's call form.

Typer cannot parse them itself: everything after the job range belongs to the command, and an
unknown `--name value` before it is a resource option for the Slurm conf.
"""
from __future__ import annotations

from pathlib import Path

from jsertk.parallel.jobs import parse_job_range
from jsertk.parallel.launch import LaunchOptions
from jsertk.parallel.slurm_conf import option_key
from jsertk.utils.errors import JsertkError


class LaunchUsageError(JsertkError):
    """Launcher arguments that do not parse."""


_VALUE_OPTIONS = {"--backend": "backend", "--max-jobs": "max_jobs", "--max-jobs-run": "max_jobs", "--conf": "conf",
                  "--poll-interval": "poll_interval"}
_FLAG_OPTIONS = {"--only-failed": "only_failed"}


def parse_launch_args(argv: list[str], opts=None):
    """(options, job range or None, log template, command words) from the launcher's arguments.

    Options come first; a `--name value` that is not a launcher option is a resource option
    (--mem, --gpu, --time, --partition, --num-threads, ...) for the Slurm conf.
    """
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
                raise LaunchUsageError(f"option {name} needs a value")
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
        raise LaunchUsageError("usage: jsertk launch [options] [JOB=1:N] LOGFILE COMMAND...")
    return opts, job_range, rest[0], rest[1:]


def _number(name: str, value: str, kind):
    try:
        return kind(value)
    except ValueError:
        raise LaunchUsageError(f"option {name} needs a number, got '{value}'") from None
