"""Check a data directory against the contract in docs/data-format.md; list every problem."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jsertk.data.problems import Problem
from jsertk.data.schema import FILES, REQUIRED_WHEN_PRESENT
from jsertk.data.table import Entry, sort_key, unique_entries

REQUIRED = ("utt2spk", "spk2utt", "wav.scp")


def audio_path_of(wav_entry: str) -> str | None:
    """The file a wav.scp value reads, or None for a pipe command (`cmd |`)."""
    value = wav_entry.strip()
    if value.endswith("|"):
        return None
    # Kaldi extended filename: an ark with a byte offset, `foo.ark:1234`.
    head, sep, tail = value.rpartition(":")
    if sep and tail.isdigit() and head:
        return head
    return value


class _Checked:
    """One file read, with per-line order/duplicate/format checks done."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.entries: list[Entry] = []
        self.values: dict[str, Any] = {}  # first occurrence of each key, parsed
        self.lines: dict[str, int] = {}
        spec = FILES[path.name]
        prev: Entry | None = None
        for e in unique_entries(path, problems):
            if prev is not None and sort_key(e.key) < sort_key(prev.key):
                problems.append(Problem(path, e.line, f"not sorted: '{e.key}' comes after '{prev.key}' "
                                        "(sort with LC_ALL=C, or run `jsertk data fix`)", "unsorted"))
            prev = e
            self.lines[e.key] = e.line
            self.entries.append(e)
            try:
                self.values[e.key] = spec.parse(e.value)
            except ValueError as err:
                problems.append(Problem(path, e.line, f"'{e.key}': {err}", "format"))


def validate(path: str | os.PathLike, check_audio: bool = True) -> list[Problem]:
    """Every problem of the data dir at `path`, in file order. An empty list means valid."""
    d = Path(path)
    if not d.is_dir():
        return [Problem(d, 0, "not a directory", "missing")]
    problems: list[Problem] = []
    for name in REQUIRED:
        if not (d / name).is_file():
            hint = " (create it with `jsertk data fix`)" if name == "spk2utt" else ""
            problems.append(Problem(d / name, 0, f"required file is missing{hint}", "missing"))
    files = {name: _Checked(d / name, problems) for name in FILES if (d / name).is_file()}

    utt2spk = files.get("utt2spk")
    if utt2spk is None:
        return problems
    utts = utt2spk.values
    for e in utt2spk.entries:
        spk = utts.get(e.key)
        if isinstance(spk, str) and not e.key.startswith(spk):
            problems.append(Problem(utt2spk.path, e.line,
                                    f"utterance id '{e.key}' does not start with its speaker id '{spk}'", "prefix"))
    speakers = set(utts.values())

    if "spk2utt" in files:
        _check_spk2utt(files["spk2utt"], utt2spk, problems)
    _check_audio_map(files, utt2spk, problems, check_audio)

    for name, checked in files.items():
        spec = FILES[name]
        if name in ("utt2spk", "spk2utt", "wav.scp", "segments"):
            continue
        known, what = (utts, "utterance") if spec.keyed_by == "utt" else (speakers, "speaker")
        for e in checked.entries:
            if e.key not in known:
                problems.append(Problem(checked.path, e.line, f"unknown {what} '{e.key}' (not in utt2spk)", "unknown"))
        if name in REQUIRED_WHEN_PRESENT:
            _check_coverage(checked, utt2spk, problems)
    return problems


def _check_coverage(checked: _Checked, utt2spk: _Checked, problems: list[Problem]) -> None:
    for e in utt2spk.entries:
        if e.key not in checked.values and e.key not in checked.lines:
            problems.append(Problem(utt2spk.path, e.line, f"utterance '{e.key}' has no entry in {checked.path.name}",
                                    "coverage"))


def _check_spk2utt(spk2utt: _Checked, utt2spk: _Checked, problems: list[Problem]) -> None:
    listed: set[str] = set()
    for e in spk2utt.entries:
        utts = e.value.split()
        if utts != sorted(utts, key=sort_key):
            problems.append(Problem(spk2utt.path, e.line, f"utterances of speaker '{e.key}' are not sorted",
                                    "unsorted"))
        for u in utts:
            listed.add(u)
            spk = utt2spk.values.get(u)
            if spk is None:
                problems.append(Problem(spk2utt.path, e.line, f"utterance '{u}' of speaker '{e.key}' is not in utt2spk",
                                        "agreement"))
            elif spk != e.key:
                problems.append(Problem(spk2utt.path, e.line,
                                        f"utterance '{u}' is listed under speaker '{e.key}' but utt2spk says '{spk}'",
                                        "agreement"))
    for e in utt2spk.entries:
        if e.key not in listed:
            problems.append(Problem(utt2spk.path, e.line, f"utterance '{e.key}' is missing from spk2utt",
                                    "agreement"))


def _check_audio_map(files: dict[str, _Checked], utt2spk: _Checked, problems: list[Problem],
                     check_audio: bool) -> None:
    wav = files.get("wav.scp")
    segments = files.get("segments")
    if segments is not None:
        for e in segments.entries:
            seg = segments.values.get(e.key)
            if e.key not in utt2spk.values:
                problems.append(Problem(segments.path, e.line, f"unknown utterance '{e.key}' (not in utt2spk)",
                                        "unknown"))
            if seg is not None and wav is not None and seg.recording not in wav.lines:
                problems.append(Problem(segments.path, e.line,
                                        f"recording '{seg.recording}' of utterance '{e.key}' is not in wav.scp",
                                        "audio"))
        for e in utt2spk.entries:
            if e.key not in segments.lines:
                problems.append(Problem(utt2spk.path, e.line, f"utterance '{e.key}' has no entry in segments", "audio"))
    elif wav is not None:
        for e in utt2spk.entries:
            if e.key not in wav.lines:
                problems.append(Problem(utt2spk.path, e.line, f"utterance '{e.key}' has no audio in wav.scp", "audio"))
        for e in wav.entries:
            if e.key not in utt2spk.values:
                problems.append(Problem(wav.path, e.line, f"unknown utterance '{e.key}' (not in utt2spk)", "unknown"))
    if wav is not None and check_audio:
        for e in wav.entries:
            p = audio_path_of(e.value)
            # Relative paths are relative to the working directory, as in Kaldi recipes.
            if p is not None and not Path(p).exists():
                problems.append(Problem(wav.path, e.line, f"audio file of '{e.key}' not found: {p}", "audio"))
