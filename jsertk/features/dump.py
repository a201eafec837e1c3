"""The feature dump dir: job parts merged into one data dir with feats.scp.

`OUT` becomes a complete data dir usable for training: the source data dir's files
(wav.scp, segments, utt2spk, spk2utt, text, labels), filtered to the utterances that got
features, plus feats.scp, utt2num_frames, fbank.yaml (or upstream.yaml) and, when some were skipped, bad_utts.
feats.scp is written last, so its presence means the merge is complete.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from jsertk.data.datadir import DataDir, write_filtered
from jsertk.data.schema import FILES
from jsertk.data.table import read_entries, read_table, write_table
from jsertk.features.extract import CONFIG_NAMES, SIDE_TABLES, check_job, part_dir
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import InputError

_OWN_FILES = ("feats.scp", "utt2num_frames")
CMVN_NAME = "cmvn.ark"


@dataclass
class MergeResult:
    utterances: int
    failed: dict[str, str]


def merge_parts(data: str | os.PathLike, out: str | os.PathLike, nj: int, split_by: str = "speaker") -> MergeResult:
    """Assemble `out` from the parts of jobs 1..nj; every job must have finished."""
    check_job(1, nj, split_by)
    src = DataDir(data)
    out = Path(out)
    if out.resolve() == src.path.resolve():
        raise InputError(f"the feature dir {out} must differ from the data dir it is computed from")
    parts = [part_dir(out, k, nj, split_by) for k in range(1, nj + 1)]
    missing = [k for k, p in enumerate(parts, 1) if not (p / "feats.scp").is_file()]
    if missing:
        raise InputError(f"{out}: job(s) {', '.join(map(str, missing))} of {nj} have not finished (no "
                         f"{parts[missing[0] - 1] / 'feats.scp'}); rerun them (jsertk launch --only-failed ...)")
    config_name, config = _same_config(parts)
    scp: dict[str, str] = {}
    frames: dict[str, str] = {}
    failed: dict[str, str] = {}
    side = {name: {} for name in SIDE_TABLES if (parts[0] / name).is_file()}
    for p in parts:
        for e in read_entries(p / "feats.scp"):
            if e.key in scp:
                raise InputError(f"{p / 'feats.scp'}:{e.line}: utterance '{e.key}' also has features in another job")
            scp[e.key] = e.value
        frames.update(read_table(p / "utt2num_frames"))
        for name, table in side.items():
            if not (p / name).is_file():
                raise InputError(f"{p / name}: not found, but {parts[0] / name} is; rerun that job")
            table.update(read_table(p / name))
        if (p / "bad_utts").is_file():
            failed.update(read_table(p / "bad_utts"))
    _check_coverage(src, scp, failed, out)

    copy_data_files(src, scp, out)
    write_table(out / "utt2num_frames", {u: frames[u] for u in scp})
    for name in SIDE_TABLES:
        if name in side:
            write_table(out / name, {u: side[name][u] for u in scp})
        else:
            with contextlib.suppress(FileNotFoundError):
                (out / name).unlink()
    if failed:
        write_table(out / "bad_utts", failed)
    else:
        with contextlib.suppress(FileNotFoundError):
            (out / "bad_utts").unlink()
    with contextlib.suppress(FileNotFoundError):
        (out / CMVN_NAME).unlink()  # statistics of the old features; compute-cmvn rewrites it
    for other in CONFIG_NAMES:
        if other != config_name:
            with contextlib.suppress(FileNotFoundError):
                (out / other).unlink()
    atomic_write_text(out / config_name, config)
    write_table(out / "feats.scp", scp)
    return MergeResult(len(scp), failed)


def _same_config(parts: list[Path]) -> tuple[str, str]:
    """(name, text) of the options file every job wrote; they must all be the same."""
    names = [n for n in CONFIG_NAMES if (parts[0] / n).is_file()]
    if not names:
        raise InputError(f"{parts[0]}: no {' or '.join(CONFIG_NAMES)} (the job did not finish)")
    name = names[0]
    texts = {p: (p / name).read_text() if (p / name).is_file() else "" for p in parts}
    first = texts[parts[0]]
    for p, text in texts.items():
        if text != first:
            raise InputError(f"{p / name} differs from {parts[0] / name}: the jobs ran with different "
                             "feature options; rerun them all")
    yaml.safe_load(first)
    return name, first


def _check_coverage(src: DataDir, scp: dict[str, str], failed: dict[str, str], out: Path) -> None:
    expected = set(src.utt2spk())
    got = set(scp) | set(failed)
    lacking, unknown = sorted(expected - got), sorted(got - expected)
    if lacking or unknown:
        detail = []
        if lacking:
            detail.append(f"{len(lacking)} utterance(s) of {src.path} have no features (e.g. '{lacking[0]}')")
        if unknown:
            detail.append(f"{len(unknown)} feature(s) belong to no utterance of {src.path} (e.g. '{unknown[0]}')")
        raise InputError(f"{out}: the job outputs do not match the data dir: {'; '.join(detail)}. Was the data dir "
                         "changed after it was split? Split it again and recompute the features.")


def copy_data_files(src: DataDir, keep, out: Path) -> None:
    """The source's data files, filtered to `keep`, replacing those of an earlier run in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".data.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_filtered(src, keep, tmp)
        for name in FILES:
            if name in _OWN_FILES:
                continue
            if (tmp / name).is_file():
                os.replace(tmp / name, out / name)
            else:
                with contextlib.suppress(FileNotFoundError):
                    (out / name).unlink()  # left by an earlier run from a source that had it
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
