"""Split a data directory into N parts (by speaker or utterance), or take a subset of it."""
from __future__ import annotations

import json
import os
import random as _random
from pathlib import Path

from jsertk.data.datadir import DataDir, write_filtered
from jsertk.data.problems import DataDirError, Problem
from jsertk.data.table import read_entries, sort_key
from jsertk.utils.atomic import atomic_dir, atomic_write_text
from jsertk.utils.errors import InputError

SPLIT_MODES = ("speaker", "utterance")


def split_dir_name(n: int, by: str = "speaker") -> str:
    """`split<N>` for speaker splits (Kaldi's layout), `split<N>utt` for utterance splits."""
    return f"split{n}" if by == "speaker" else f"split{n}utt"


def _stamp(src: DataDir, n: int, by: str) -> str:
    files = {name: [src.file(name).stat().st_size, src.file(name).stat().st_mtime_ns] for name in src.present_files()}
    return json.dumps({"n": n, "by": by, "files": files}, sort_keys=True)


def partition_speakers(spk2utt: dict[str, list[str]], n: int) -> list[list[str]]:
    """Contiguous runs of sorted speakers, each run holding about 1/n of the utterances."""
    speakers = sorted(spk2utt, key=sort_key)
    total = sum(len(u) for u in spk2utt.values())
    parts: list[list[str]] = [[]]
    count = 0
    for i, spk in enumerate(speakers):
        k = len(parts) - 1
        left_speakers, left_parts = len(speakers) - i, n - len(parts)
        size = len(spk2utt[spk])
        if parts[k] and left_parts > 0 and (count + size / 2 > total * (k + 1) / n or left_speakers <= left_parts):
            parts.append([])
        parts[-1].append(spk)
        count += size
    return parts


def split(path: str | os.PathLike, n: int, by: str = "speaker", out: str | os.PathLike | None = None) -> list[Path]:
    """Write `<dir>/split<N>/<k>/` (or `<out>/<k>/`) for k = 1..n and return their paths; deterministic.

    By utterance, contiguous runs of the sorted utterances; a feature dir without utt2spk splits by
    utterance over its feats.scp. An existing split is reused when the source files have not
    changed since it was made.
    """
    if by not in SPLIT_MODES:
        raise InputError(f"split mode must be one of {SPLIT_MODES}, got '{by}'")
    if n < 1:
        raise InputError(f"number of parts must be >= 1, got {n}")
    src = DataDir(path)
    out = Path(out) if out is not None else src.path / split_dir_name(n, by)
    parts_paths = [out / str(k) for k in range(1, n + 1)]
    stamp = _stamp(src, n, by)
    if (out / ".stamp").is_file() and (out / ".stamp").read_text() == stamp and all(p.is_dir() for p in parts_paths):
        return parts_paths

    if by == "utterance" and not src.has("utt2spk") and src.has("feats.scp"):
        listing = src.file("feats.scp")
        utts = sorted(src.raw("feats.scp"), key=sort_key)
    else:
        listing = src.file("utt2spk")
        spk2utt = src.spk2utt()
        utts = sorted((u for us in spk2utt.values() for u in us), key=sort_key)
    if by == "speaker":
        if n > len(spk2utt):
            raise DataDirError([Problem(src.file("utt2spk"), 0, f"cannot split {len(spk2utt)} speakers into {n} parts; "
                                        "use fewer parts or split by utterance", "split")])
        groups = [[u for s in part for u in spk2utt[s]] for part in partition_speakers(spk2utt, n)]
    else:
        if n > len(utts):
            raise DataDirError([Problem(listing, 0, f"cannot split {len(utts)} utterances into {n} parts; use "
                                        "fewer parts", "split")])
        bounds = [len(utts) * k // n for k in range(n + 1)]
        groups = [utts[bounds[k]:bounds[k + 1]] for k in range(n)]

    with atomic_dir(out) as tmp:
        for k, group in enumerate(groups, 1):
            write_filtered(src, group, tmp / str(k))
        atomic_write_text(tmp / ".stamp", stamp)
    return parts_paths


def read_id_list(path: str | os.PathLike) -> list[tuple[int, str]]:
    """(line, id) for each line of a list file; the first token of each line is the id."""
    problems: list[Problem] = []
    ids = [(e.line, e.key) for e in read_entries(path, problems)]
    if problems:
        raise DataDirError(problems)
    return ids


def subset(path: str | os.PathLike, dst: str | os.PathLike, *, first: int | None = None,
           random: int | None = None, seed: int = 0, unit: str = "utterance",
           utt_list: str | os.PathLike | None = None, spk_list: str | os.PathLike | None = None) -> DataDir:
    """Write a subset of a data dir to `dst`: the first N or a seeded random N utterances
    (or speakers, with unit="speaker"), or the utterances/speakers named in a list file."""
    chosen = [x is not None for x in (first, random, utt_list, spk_list)]
    if sum(chosen) != 1:
        raise InputError("give exactly one of: first, random, utt_list, spk_list")
    if unit not in SPLIT_MODES:
        raise InputError(f"unit must be one of {SPLIT_MODES}, got '{unit}'")
    src = DataDir(path)
    if Path(dst).resolve() == src.path.resolve():
        raise InputError(f"subset output {dst} must differ from its source")
    spk2utt = src.spk2utt()
    if unit == "speaker" or spk_list is not None:
        pool = sorted(spk2utt, key=sort_key)
        expand = lambda ids: [u for s in ids for u in spk2utt[s]]  # noqa: E731
    else:
        pool = sorted((u for us in spk2utt.values() for u in us), key=sort_key)
        expand = lambda ids: list(ids)  # noqa: E731

    if first is not None or random is not None:
        count = first if first is not None else random
        if count < 1 or count > len(pool):
            raise InputError(f"asked for {count} {unit}s but {src.path} has {len(pool)}")
        ids = pool[:count] if first is not None else _random.Random(seed).sample(pool, count)
    else:
        list_path = utt_list if utt_list is not None else spk_list
        known = set(pool)
        listed = read_id_list(list_path)
        unknown = [Problem(Path(list_path), line, f"'{i}' is not in {src.path}", "unknown") for line, i in listed
                   if i not in known]
        if unknown:
            raise DataDirError(unknown)
        ids = [i for _, i in listed]
    return write_filtered(src, expand(ids), dst)
