"""Kaldi's job-array call form: `JOB=1:N LOGFILE COMMAND...` expanded into one shell command per job."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jsertk.utils.errors import InputError

_RANGE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\d+)(?::(\d+))?$")


@dataclass(frozen=True)
class JobRange:
    """`NAME=first:last` (or `NAME=k` for one job); NAME is replaced by the job number."""

    name: str
    first: int
    last: int

    @property
    def indices(self) -> range:
        return range(self.first, self.last + 1)


@dataclass(frozen=True)
class Job:
    index: int
    log: Path
    command: str  # one line of bash


def parse_job_range(token: str) -> JobRange | None:
    """The range in `token`, or None when `token` is not of the form NAME=a:b or NAME=a."""
    m = _RANGE_RE.match(token)
    if m is None:
        return None
    first = int(m.group(2))
    last = int(m.group(3)) if m.group(3) is not None else first
    if last < first:
        raise InputError(f"job range '{token}' ends before it starts")
    return JobRange(m.group(1), first, last)


def shell_command(args: list[str]) -> str:
    """Join arguments as Kaldi's run.pl does: words without blanks stay bare (so an argument
    `|` or `>` acts in the shell), others are quoted: in '...' if they hold a double quote,
    else in "..." (so $variables in them still expand)."""
    words = []
    for a in args:
        if a and not any(c.isspace() for c in a):
            words.append(a)
        elif '"' in a:
            words.append(f"'{a}'")
        else:
            words.append(f'"{a}"')
    return " ".join(words)


def expand_jobs(job_range: JobRange | None, log: str, args: list[str]) -> list[Job]:
    """One Job per index: the range's NAME replaced in the log path and in every argument.

    Without a range there is a single job, numbered 1, with log and arguments as given.
    """
    if not args:
        raise InputError("no command to run")
    if job_range is None:
        return [Job(1, Path(log), shell_command(args))]
    if job_range.name not in log:
        raise InputError(f"log file '{log}' does not contain '{job_range.name}': every job would write the same log")
    return [Job(k, Path(log.replace(job_range.name, str(k))),
                shell_command([a.replace(job_range.name, str(k)) for a in args])) for k in job_range.indices]
