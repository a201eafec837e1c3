"""Kaldi table files: one `<key> <value>` entry per line, sorted in C-locale (byte) order."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from jsertk.data.problems import DataDirError, Problem
from jsertk.utils.atomic import atomic_open


@dataclass(frozen=True)
class Entry:
    line: int  # 1-based line number in the file
    key: str
    value: str  # the rest of the line after the key and one run of blanks; may be ""


def sort_key(key: str) -> bytes:
    """`LC_ALL=C sort` order: compare UTF-8 bytes."""
    return key.encode("utf-8")


def read_entries(path: str | os.PathLike, problems: list[Problem] | None = None) -> list[Entry]:
    """Read every line of a table file.

    Lines that are not valid UTF-8 or are blank become problems (when `problems` is given)
    and are left out; with `problems=None` they raise DataDirError naming file and line.
    """
    path = Path(path)
    entries = []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            raw = raw.rstrip(b"\r\n")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                _report(problems, Problem(path, lineno, f"not valid UTF-8 (byte {e.start})", "encoding"))
                continue
            text = text.strip()
            if not text:
                _report(problems, Problem(path, lineno, "empty line", "format"))
                continue
            parts = text.split(None, 1)
            entries.append(Entry(lineno, parts[0], parts[1] if len(parts) > 1 else ""))
    return entries


def _report(problems: list[Problem] | None, problem: Problem) -> None:
    if problems is None:
        raise DataDirError([problem])
    problems.append(problem)


def unique_entries(path: str | os.PathLike, problems: list[Problem]) -> list[Entry]:
    """The entries of a table file, each key once (its first line); every repeated key, like every
    bad line, becomes a problem naming both lines. The one duplicate-key check of the project."""
    first: dict[str, Entry] = {}
    out = []
    for e in read_entries(path, problems):
        seen = first.get(e.key)
        if seen is not None:
            other = "" if e.value.split() == seen.value.split() else ", with other content"
            problems.append(Problem(Path(path), e.line, f"duplicate key '{e.key}' (first on line {seen.line}{other})",
                                    "duplicate"))
            continue
        first[e.key] = e
        out.append(e)
    return out


def read_unique(path: str | os.PathLike) -> list[Entry]:
    """`unique_entries`, with any problem raised as DataDirError (every problem of the file listed)."""
    problems: list[Problem] = []
    entries = unique_entries(path, problems)
    if problems:
        raise DataDirError(problems)
    return entries


def read_table(path: str | os.PathLike) -> dict[str, str]:
    """Read a table into a dict; duplicate keys and bad lines raise DataDirError naming the lines."""
    return {e.key: e.value for e in read_unique(path)}


def write_table(path: str | os.PathLike, table: Mapping[str, object] | Iterable[tuple[str, object]]) -> None:
    """Write `<key> <value>` lines sorted by key in C order, atomically."""
    items = table.items() if isinstance(table, Mapping) else table
    rows = sorted(((k, _fmt(v)) for k, v in items), key=lambda kv: sort_key(kv[0]))
    with atomic_open(path) as f:
        for k, v in rows:
            f.write(f"{k} {v}\n" if v != "" else f"{k}\n")


def write_list(path: str | os.PathLike, keys: Iterable[str]) -> None:
    """Write one key per line, sorted in C order, atomically."""
    with atomic_open(path) as f:
        for k in sorted(keys, key=sort_key):
            f.write(f"{k}\n")


def _fmt(v: object) -> str:
    if isinstance(v, (list, tuple)):
        return " ".join(_fmt(x) for x in v)
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e6 else repr(v)
    return str(v)
