"""Speed perturbation (sox `speed`: tempo and pitch change together) of audio and of data dirs.

A perturbed data dir stays a plain Kaldi data dir: its wav.scp entries are pipes through
`jsertk speed-audio FACTOR SOURCE |`, which any Kaldi-style reader can run. jsertk's own
reader recognises that command and computes the same samples in process, without starting
a program per utterance.
"""
from __future__ import annotations

import os
from typing import Sequence

from jsertk.data.datadir import DataDir, spk2utt_from_utt2spk
from jsertk.data.schema import FILES
from jsertk.data.table import write_table
from jsertk.features.speed import (
    DEFAULT_FACTORS,
    check_factors,
    prefix_of,
    speed_command,
)
from jsertk.utils.atomic import atomic_dir
from jsertk.utils.errors import InputError

# Files that describe the audio as it was; they do not hold for the perturbed copies.
_STALE_FILES = ("feats.scp", "utt2num_frames")


def speed_perturb(src_path: str | os.PathLike, dst: str | os.PathLike,
                  factors: Sequence[float] = DEFAULT_FACTORS) -> DataDir:
    """Write to `dst` one copy of the data dir per speed factor, all in one data dir.

    Copies other than 1.0 get utterance, speaker and recording ids prefixed with `sp<f>-`;
    their audio is a `jsertk speed-audio` pipe, segment times and utt2dur are divided by the
    factor, and every label file is carried along under the new ids. feats.scp and
    utt2num_frames are left out: features must be computed for the new audio.
    """
    factors = check_factors(factors)
    src = DataDir(src_path)
    if os.path.abspath(dst) == os.path.abspath(src.path):
        raise InputError(f"speed-perturbed output {dst} must differ from its source")
    names = [n for n in src.present_files() if n != "spk2utt" and n not in _STALE_FILES]
    tables = {n: src.raw(n) for n in names}
    merged: dict[str, dict[str, str]] = {n: {} for n in names}
    for factor in factors:
        p = prefix_of(factor)
        for name, table in tables.items():
            for key, value in table.items():
                merged[name][p + key] = _perturbed_value(name, value, factor)
    with atomic_dir(dst) as tmp:
        for name, table in merged.items():
            write_table(tmp / name, table)
        spk2utt = spk2utt_from_utt2spk(merged["utt2spk"])
        write_table(tmp / "spk2utt", {s: " ".join(us) for s, us in spk2utt.items()})
    return DataDir(dst)


def _perturbed_value(name: str, value: str, factor: float) -> str:
    if factor == 1.0:
        return value
    if name == "wav.scp":
        return speed_command(value, factor)
    if name == "utt2spk":
        return prefix_of(factor) + value.strip()
    if name == "segments":
        rec, start, end = FILES["segments"].parse(value)
        end_s = "-1" if end == -1 else f"{end / factor:.4f}"
        return f"{prefix_of(factor)}{rec} {start / factor:.4f} {end_s}"
    if name == "utt2dur":
        return f"{FILES['utt2dur'].parse(value) / factor:.4f}"
    return value
