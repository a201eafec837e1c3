"""Kaldi table files: one `<key> <value>` entry per line, sorted in C-locale (byte) order."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from jsertk.data.problems import Problem
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
    and are left out; with `problems=None` they raise ValueError naming file and line.
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
        raise ValueError(str(problem))
    problems.append(problem)


def read_table(path: str | os.PathLike) -> dict[str, str]:
    """Read a table into a dict; duplicate keys and bad lines raise ValueError naming the line."""
    out: dict[str, str] = {}
    for e in read_entries(path):
        if e.key in out:
            raise ValueError(f"{path}:{e.line}: duplicate key '{e.key}'")
        out[e.key] = e.value
    return out


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
