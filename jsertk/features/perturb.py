"""Speed perturbation (sox `speed`: tempo and pitch change together) and additive noise, of data dirs.

A perturbed data dir stays a plain Kaldi data dir: its wav.scp entries are pipes through
`jsertk speed-audio FACTOR SOURCE |` or `jsertk noise-audio SNR NOISE SEED SOURCE |`, which any
Kaldi-style reader can run. jsertk's own reader recognises these commands and computes the same
samples in process, without starting a program per utterance.
"""
from __future__ import annotations

import os
import zlib
from typing import Sequence

import numpy as np

from jsertk.data.datadir import DataDir, spk2utt_from_utt2spk
from jsertk.data.schema import FILES
from jsertk.data.table import write_table
from jsertk.features.noise import check_noise, noise_command
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


def add_noise(src_path: str | os.PathLike, dst: str | os.PathLike, noises: Sequence[str],
              snrs: Sequence[float], copies: int = 1, seed: int = 0) -> DataDir:
    """Write to `dst` `copies` noisy copies of the data dir (Kaldi's augment_data_dir.py): copy k
    gets utterance, speaker and recording ids prefixed with `noise<k>-`, and each recording one
    of `noises` (files, or `generated:<colour>`) at one of `snrs` dB, both drawn from `seed` and
    the recording's id (the same call writes the same dir). Only the noisy copies are written;
    labels are carried along, feats.scp and utt2num_frames left out."""
    noises = [check_noise(n) for n in noises]
    snrs = [float(x) for x in snrs]
    if not noises:
        raise InputError("give at least one noise (a noise folder or generated noise)")
    if not snrs:
        raise InputError("give at least one SNR")
    if copies < 1:
        raise InputError(f"--copies must be at least 1, got {copies}")
    src = DataDir(src_path)
    if os.path.abspath(dst) == os.path.abspath(src.path):
        raise InputError(f"noisy output {dst} must differ from its source")
    names = [n for n in src.present_files() if n != "spk2utt" and n not in _STALE_FILES]
    tables = {n: src.raw(n) for n in names}
    merged: dict[str, dict[str, str]] = {n: {} for n in names}
    for k in range(1, copies + 1):
        p = f"noise{k}-"
        for name, table in tables.items():
            for key, value in table.items():
                if name == "wav.scp":
                    rng = np.random.default_rng([seed, k, zlib.crc32(key.encode("utf-8"))])
                    noise = noises[int(rng.integers(len(noises)))]
                    value = noise_command(value, snrs[int(rng.integers(len(snrs)))], noise, int(rng.integers(2**31)))
                elif name == "utt2spk":
                    value = p + value.strip()
                elif name == "segments":
                    rec, rest = value.split(None, 1)
                    value = f"{p}{rec} {rest}"
                merged[name][p + key] = value
    with atomic_dir(dst) as tmp:
        for name, table in merged.items():
            write_table(tmp / name, table)
        spk2utt = spk2utt_from_utt2spk(merged["utt2spk"])
        write_table(tmp / "spk2utt", {s: " ".join(us) for s, us in spk2utt.items()})
    return DataDir(dst)
