"""Speed perturbation (sox `speed`: tempo and pitch change together) of audio and of data dirs.

A perturbed data dir stays a plain Kaldi data dir: its wav.scp entries are pipes through
`jsertk speed-audio FACTOR SOURCE |`, which any Kaldi-style reader can run. jsertk's own
reader recognises that command and computes the same samples in process, without starting
a program per utterance.
"""
from __future__ import annotations

import os
import re
import shlex
from fractions import Fraction
from typing import Sequence

import numpy as np

from jsertk.data.datadir import DataDir, spk2utt_from_utt2spk
from jsertk.data.schema import FILES
from jsertk.data.table import write_table
from jsertk.utils.atomic import atomic_dir

DEFAULT_FACTORS = (0.9, 1.0, 1.1)
SPEED_COMMAND = "jsertk speed-audio"
# Files that describe the audio as it was; they do not hold for the perturbed copies.
_STALE_FILES = ("feats.scp", "utt2num_frames")

_SPEED_RE = re.compile(r"(?:(?P<inner>.*\S)\s*\|\s*)?jsertk\s+speed-audio\s+(?P<factor>\S+)\s+(?P<src>.+)", re.S)


def factor_name(factor: float) -> str:
    return f"{factor:g}"


def prefix_of(factor: float) -> str:
    """Id prefix of the copy at `factor` (Kaldi's `sp0.9-`); the 1.0 copy keeps the original ids."""
    return "" if factor == 1.0 else f"sp{factor_name(factor)}-"


def check_factors(factors: Sequence[float]) -> list[float]:
    out = [float(f) for f in factors]
    if not out:
        raise ValueError("give at least one speed factor")
    for f in out:
        if not 0.5 <= f <= 2.0:
            raise ValueError(f"speed factor {f:g} is outside [0.5, 2.0]")
    names = [factor_name(f) for f in out]
    if len(set(names)) != len(names):
        raise ValueError(f"speed factors repeat: {', '.join(names)}")
    return out


def change_speed(samples: np.ndarray, factor: float) -> np.ndarray:
    """Audio played `factor` times faster: len(samples) / factor samples at the same rate."""
    from scipy.signal import resample_poly

    if factor == 1.0:
        return samples
    ratio = Fraction(factor).limit_denominator(1000)
    return resample_poly(samples, ratio.denominator, ratio.numerator).astype(np.float32)


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def speed_audio_pcm16(factor: float, source: str) -> tuple[np.ndarray, int]:
    """What `jsertk speed-audio FACTOR SOURCE` writes: the audio of a wav.scp value at `factor`
    speed, as 16-bit samples (the form Kaldi tools read from a pipe)."""
    from jsertk.features.audio import read_entry

    samples, rate = read_entry(source)
    return to_pcm16(change_speed(samples, factor)), rate


def speed_audio(factor: float, source: str) -> tuple[np.ndarray, int]:
    """The samples `jsertk speed-audio` would write, as float32 in [-1, 1]."""
    pcm, rate = speed_audio_pcm16(factor, source)
    return pcm.astype(np.float32) / 32768.0, rate


def speed_command(value: str, factor: float) -> str:
    """The wav.scp value reading `value` (a path, `cmd |` or `ark:offset`) at `factor` speed."""
    value = value.strip()
    if value.endswith("|"):
        return f"{value[:-1].strip()} | {SPEED_COMMAND} {factor_name(factor)} - |"
    return f"{SPEED_COMMAND} {factor_name(factor)} {shlex.quote(value)} |"


def parse_speed_command(command: str) -> tuple[float, str] | None:
    """(factor, source wav.scp value) when `command` (a pipe without its final `|`) is one
    that `speed_command` writes; None for any other command."""
    m = _SPEED_RE.fullmatch(command.strip())
    if m is None:
        return None
    try:
        factor = float(m.group("factor"))
        tokens = shlex.split(m.group("src"))
    except ValueError:
        return None
    if len(tokens) != 1 or factor <= 0:
        return None
    inner = m.group("inner")
    if inner is not None:
        return (factor, f"{inner} |") if tokens[0] == "-" else None
    return None if tokens[0] == "-" else (factor, tokens[0])


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
        raise ValueError(f"speed-perturbed output {dst} must differ from its source")
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
