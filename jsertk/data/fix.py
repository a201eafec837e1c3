"""Repair a data directory: sort, deduplicate, drop what cannot be used, regenerate spk2utt.

Keeps the utterances present in every required file (utt2spk, audio via wav.scp or segments,
and feats.scp / utt2num_frames / utt2dur when present). Label files may cover only part of
the utterances; their malformed lines and lines naming unknown utterances are dropped.
The original files are copied to `<dir>/.backup[.N]/` first.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jsertk.data.datadir import spk2utt_from_utt2spk
from jsertk.data.problems import DataDirError, Problem
from jsertk.data.schema import FILES, REQUIRED_WHEN_PRESENT
from jsertk.data.table import unique_entries, write_table


@dataclass
class FixReport:
    total: int = 0
    kept: int = 0
    dropped_utts: Counter = field(default_factory=Counter)  # reason -> number of utterances
    removed_lines: list[Problem] = field(default_factory=list)  # lines dropped, with why
    unfixable: list[Problem] = field(default_factory=list)
    backup: Path | None = None

    def summary(self) -> str:
        lines = [f"kept {self.kept} of {self.total} utterances"]
        for reason, n in sorted(self.dropped_utts.items()):
            lines.append(f"  dropped {n} utterances: {reason}")
        groups: dict[tuple[str, str], list[Problem]] = {}
        for p in self.removed_lines:
            groups.setdefault((p.file.name, p.kind), []).append(p)
        for (name, kind), ps in sorted(groups.items()):
            lines.append(f"  removed {len(ps)} lines from {name} ({kind}), e.g. {ps[0]}")
        for p in self.unfixable:
            lines.append(f"  cannot fix: {p}")
        if self.backup:
            lines.append(f"originals backed up in {self.backup}")
        return "\n".join(lines)


def _backup_dir(d: Path) -> Path:
    candidate, n = d / ".backup", 0
    while candidate.exists():
        n += 1
        candidate = d / f".backup.{n}"
    return candidate


def _read_lenient(path: Path, report: FixReport) -> dict[str, str]:
    """First valid line per key; bad and duplicate lines counted in the report."""
    spec = FILES[path.name]
    problems: list[Problem] = []
    out: dict[str, str] = {}
    for e in unique_entries(path, problems):
        try:
            spec.parse(e.value)
        except ValueError as err:
            problems.append(Problem(path, e.line, f"'{e.key}': {err}", "malformed"))
            continue
        out[e.key] = e.value
    report.removed_lines.extend(problems)
    return out


def fix(path: str | os.PathLike) -> FixReport:
    d = Path(path)
    present = [n for n in FILES if (d / n).is_file()]
    if "utt2spk" not in present and "spk2utt" not in present:
        raise DataDirError([Problem(d / "utt2spk", 0, "neither utt2spk nor spk2utt exists; nothing to fix from",
                                    "missing")])
    report = FixReport()
    tables = {n: _read_lenient(d / n, report) for n in present}

    if "utt2spk" in tables:
        utt2spk = {u: s.split()[0] for u, s in tables["utt2spk"].items()}
    else:
        utt2spk = {u: s for s, us in tables["spk2utt"].items() for u in us.split()}
    report.total = len(utt2spk)

    wav = tables.get("wav.scp", {})
    segments = tables.get("segments")
    keep = set(utt2spk)
    def drop(utts: set[str], reason: str) -> None:
        nonlocal keep
        gone = keep & utts
        if gone:
            report.dropped_utts[reason] += len(gone)
            keep -= gone

    if segments is not None:
        drop({u for u in keep if u not in segments}, "no entry in segments")
        drop({u for u in keep if segments[u].split()[0] not in wav}, "recording not in wav.scp")
    else:
        drop({u for u in keep if u not in wav}, "no audio in wav.scp")
    for name in REQUIRED_WHEN_PRESENT:
        if name in tables:
            drop({u for u in keep if u not in tables[name]}, f"no entry in {name}")
    for u in sorted(keep):
        if not u.startswith(utt2spk[u]):
            report.unfixable.append(Problem(d / "utt2spk", 0, f"utterance id '{u}' does not start with its speaker id "
                                            f"'{utt2spk[u]}' (rename the utterances)", "prefix"))
    report.kept = len(keep)

    utt2spk = {u: s for u, s in utt2spk.items() if u in keep}
    speakers = set(utt2spk.values())
    recordings = {segments[u].split()[0] for u in keep} if segments is not None else keep
    out: dict[str, dict[str, str]] = {}
    for name in present:
        if name == "spk2utt":
            continue
        spec = FILES[name]
        wanted = {"utt": keep, "spk": speakers, "rec": recordings}[spec.keyed_by]
        table = utt2spk if name == "utt2spk" else tables[name]
        out[name] = {k: v for k, v in table.items() if k in wanted}
        if spec.label:
            report.removed_lines.extend(Problem(d / name, 0, f"'{k}' is not a kept {spec.keyed_by}", "not kept")
                                        for k in table if k not in wanted)
    out["spk2utt"] = {s: " ".join(us) for s, us in spk2utt_from_utt2spk(utt2spk).items()}

    report.backup = _backup_dir(d)
    report.backup.mkdir()
    for name in present:
        shutil.copy2(d / name, report.backup / name)
    for name, table in out.items():
        write_table(d / name, table)
    return report
