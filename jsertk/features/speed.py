"""The speed transform (sox `speed`: tempo and pitch change together), its wav.scp command, and
rate conversion (`resample`).

`jsertk speed-audio FACTOR SOURCE |` is the pipe a speed-perturbed wav.scp holds. The audio reader
(`jsertk.features.audio`) recognises it and computes the same samples in process; the data-dir
perturbation (`jsertk.features.perturb`) writes it. Both build on this module, which reads no audio.
"""
from __future__ import annotations

import re
import shlex
from fractions import Fraction
from typing import Sequence

import numpy as np

from jsertk.utils.errors import InputError

DEFAULT_FACTORS = (0.9, 1.0, 1.1)
SPEED_COMMAND = "jsertk speed-audio"

_SPEED_RE = re.compile(r"(?:(?P<inner>.*\S)\s*\|\s*)?jsertk\s+speed-audio\s+(?P<factor>\S+)\s+(?P<src>.+)", re.S)


def factor_name(factor: float) -> str:
    return f"{factor:g}"


def prefix_of(factor: float) -> str:
    """Id prefix of the copy at `factor` (Kaldi's `sp0.9-`); the 1.0 copy keeps the original ids."""
    return "" if factor == 1.0 else f"sp{factor_name(factor)}-"


def check_factors(factors: Sequence[float]) -> list[float]:
    out = [float(f) for f in factors]
    if not out:
        raise InputError("give at least one speed factor")
    for f in out:
        if not 0.5 <= f <= 2.0:
            raise InputError(f"speed factor {f:g} is outside [0.5, 2.0]")
    names = [factor_name(f) for f in out]
    if len(set(names)) != len(names):
        raise InputError(f"speed factors repeat: {', '.join(names)}")
    return out


def change_speed(samples: np.ndarray, factor: float) -> np.ndarray:
    """Audio played `factor` times faster: len(samples) / factor samples at the same rate."""
    from scipy.signal import resample_poly

    if factor == 1.0:
        return samples
    ratio = Fraction(factor).limit_denominator(1000)
    return resample_poly(samples, ratio.denominator, ratio.numerator).astype(np.float32)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling (scipy) from `rate` to `target` Hz."""
    from math import gcd

    from scipy.signal import resample_poly

    if rate == target:
        return samples
    g = gcd(int(rate), int(target))
    return resample_poly(samples, target // g, rate // g).astype(np.float32)


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


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
