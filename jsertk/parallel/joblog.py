"""Per-job log files in Kaldi run.pl style, and reading back how a job ended.

    # <command>
    # Started at <date>
    #
    <everything the command printed>
    # Accounting: time=<s> threads=1
    # Ended (code <exit status>) at <date>, elapsed time <s> seconds
"""
from __future__ import annotations

import re
import time
from pathlib import Path

_ENDED_RE = re.compile(r"^# Ended \(code (-?\d+)\)")


def _date() -> str:
    return time.strftime("%a %b %d %H:%M:%S %Z %Y")


def command_line(command: str) -> str:
    """The log's first line for `command` (a command spanning lines is put on one)."""
    return "# " + command.replace("\n", " ")


def header(command: str) -> str:
    return f"{command_line(command)}\n# Started at {_date()}\n#\n"


def footer(code: int, elapsed_s: float) -> str:
    s = int(round(elapsed_s))
    return f"# Accounting: time={s} threads=1\n# Ended (code {code}) at {_date()}, elapsed time {s} seconds\n"


def exit_code(log: Path) -> int | None:
    """The exit status the log's footer records; None when the job did not finish."""
    try:
        with open(log, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 4096))
            tail = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(tail):
        m = _ENDED_RE.match(line)
        if m:
            return int(m.group(1))
    return None


def succeeded_before(log: Path, command: str) -> bool:
    """Whether `log` records this very command finishing with status 0 (for --only-failed)."""
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            first = f.readline().rstrip("\n")
    except OSError:
        return False
    return first == command_line(command) and exit_code(log) == 0
