"""The Kaldi data directory: typed reading, sorted atomic writing, and filtered copies."""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable

from jsertk.data.problems import DataDirError, Problem
from jsertk.data.schema import FEATURE_DESCRIPTIONS, FILES, Segment
from jsertk.data.table import read_unique, sort_key, unique_entries, write_table
from jsertk.utils.atomic import atomic_dir


class DataDir:
    """A Kaldi-style data directory. Reading is strict: a malformed file raises DataDirError
    listing every bad line of it; `jsertk data validate` checks the whole directory at once."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_dir():
            raise DataDirError([Problem(self.path, 0, "not a directory", "missing")])

    def __repr__(self) -> str:
        return f"DataDir('{self.path}')"

    def file(self, name: str) -> Path:
        return self.path / name

    def has(self, name: str) -> bool:
        return self.file(name).is_file()

    def present_files(self) -> list[str]:
        return [n for n in FILES if self.has(n)]

    def raw(self, name: str) -> dict[str, str]:
        """Key -> unparsed value of one file; duplicate keys or undecodable lines raise DataDirError."""
        path = self.file(name)
        if not path.is_file():
            raise DataDirError([Problem(path, 0, "file not found", "missing")])
        return {e.key: e.value for e in read_unique(path)}

    def load(self, name: str) -> dict[str, Any]:
        """Key -> parsed value (see jsertk.data.schema) of one file."""
        spec = FILES[name]
        path = self.file(name)
        if not path.is_file():
            raise DataDirError([Problem(path, 0, "file not found", "missing")])
        return read_parsed(path, spec.parse)

    def load_optional(self, name: str) -> dict[str, Any]:
        return self.load(name) if self.has(name) else {}

    # Common views -------------------------------------------------------------------------
    def utt2spk(self) -> dict[str, str]:
        return self.load("utt2spk")

    def utterances(self) -> list[str]:
        return sorted(self.utt2spk(), key=sort_key)

    def spk2utt(self) -> dict[str, list[str]]:
        return spk2utt_from_utt2spk(self.utt2spk())

    def segments(self) -> dict[str, Segment] | None:
        return self.load("segments") if self.has("segments") else None

    def write(self, name: str, table: dict[str, Any]) -> None:
        """Write one file, sorted, atomically."""
        write_table(self.file(name), table)


def read_parsed(path: str | os.PathLike, parse: Callable[[str], Any]) -> dict[str, Any]:
    """Key -> parse(value) for every line of a table; every bad or duplicate line is collected
    and raised together as DataDirError."""
    path = Path(path)
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for e in unique_entries(path, problems):
        try:
            out[e.key] = parse(e.value)
        except ValueError as err:
            problems.append(Problem(path, e.line, f"'{e.key}': {err}", "format"))
    if problems:
        raise DataDirError(problems)
    return out


def spk2utt_from_utt2spk(utt2spk: dict[str, str]) -> dict[str, list[str]]:
    spk2utt: dict[str, list[str]] = defaultdict(list)
    for utt in sorted(utt2spk, key=sort_key):
        spk2utt[utt2spk[utt]].append(utt)
    return dict(spk2utt)


def write_data_dir(dst: str | os.PathLike, tables: dict[str, dict[str, Any]]) -> DataDir:
    """A new data dir at `dst` from its files (`tables`: file name -> key -> value; utt2spk needed),
    spk2utt derived; it replaces `dst` only once complete."""
    with atomic_dir(dst) as tmp:
        for name, table in tables.items():
            write_table(tmp / name, table)
        write_table(tmp / "spk2utt", {s: " ".join(us) for s, us in spk2utt_from_utt2spk(tables["utt2spk"]).items()})
    return DataDir(dst)


def write_filtered(src: DataDir, utts: Iterable[str], dst: str | os.PathLike,
                   tables: dict[str, dict[str, str]] | None = None) -> DataDir:
    """Write a new data dir at `dst` holding only `utts` of `src`, every known file filtered.

    Values are copied verbatim. The new directory replaces `dst` only once it is complete.
    `tables` (file name -> src.raw(name)) spares re-reading src when it is cut many times.
    """
    tables = tables if tables is not None else {name: src.raw(name) for name in src.present_files()}
    keep = set(utts)
    # a feature dir may have no utt2spk: its parts have none either
    utt2spk = {u: s for u, s in tables["utt2spk"].items() if u in keep} if "utt2spk" in tables else None
    speakers = set(utt2spk.values()) if utt2spk is not None else set()
    segments = tables.get("segments")
    recordings = {v.split()[0] for u, v in segments.items() if u in keep} if segments is not None else keep
    with atomic_dir(dst) as tmp:
        for name, table in tables.items():
            if name == "spk2utt":
                continue
            spec = FILES[name]
            wanted = {"utt": keep, "spk": speakers, "rec": recordings}[spec.keyed_by]
            write_table(tmp / name, {k: v for k, v in table.items() if k in wanted})
        if utt2spk is not None:
            write_table(tmp / "spk2utt", {s: " ".join(us) for s, us in spk2utt_from_utt2spk(utt2spk).items()})
        if "feats.scp" in tables:
            copy_feature_descriptions([src.path], tmp)
    return DataDir(dst)


def copy_feature_descriptions(srcs: list[Path], dst: Path) -> None:
    """fbank.yaml / upstream.yaml of the sources into `dst`, when every source has the same one."""
    for name in FEATURE_DESCRIPTIONS:
        texts = {(p / name).read_text(encoding="utf-8") if (p / name).is_file() else None for p in srcs}
        if len(texts) == 1 and None not in texts:
            (dst / name).write_text(texts.pop(), encoding="utf-8")
