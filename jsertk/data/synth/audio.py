"""From espeak's 22.05 kHz output to the corpus's 16 kHz 16-bit files: vocal-tract warp and
resampling, speech level, additive noise at a given SNR, silence padding, a soft limiter."""
from __future__ import annotations

import os
from functools import lru_cache
from math import gcd

import numpy as np

SAMPLE_RATE = 16000
NOISE_KINDS = ("white", "pink", "brown")  # spectral slopes 0, -3, -6 dB per octave
LIMIT_KNEE = 0.8  # samples above this are compressed smoothly toward 1.0


def warp_and_resample(x: np.ndarray, sr_in: int, warp: int) -> np.ndarray:
    """Float signal at 16 kHz from int16 `x` at `sr_in` read as if sampled at sr_in*warp/441:
    every frequency (F0 and formants) scales by warp/441 and durations by 441/warp."""
    from scipy.signal import resample_poly

    if sr_in != 22050:
        raise ValueError(f"expected espeak output at 22050 Hz, got {sr_in}")
    g = gcd(320, int(warp))  # 16000/(22050*warp/441) = 320/warp
    up, down = 320 // g, int(warp) // g
    return resample_poly(np.asarray(x, dtype=np.float64) / 32768.0, up, down, window=_lowpass(up, down))


@lru_cache(maxsize=None)
def _lowpass(up: int, down: int) -> np.ndarray:
    """resample_poly's own default filter, designed once per ratio instead of on every call."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))


def active_level_db(x: np.ndarray, sr: int = SAMPLE_RATE, floor_db: float = 35.0) -> float:
    """Mean power (dBFS) of the 20 ms frames within `floor_db` of the loudest: the speech level,
    independent of leading/trailing silence."""
    n = int(0.02 * sr)
    frames = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x[None, :]
    power = np.mean(frames**2, axis=1)
    active = power[power >= power.max() * 10 ** (-floor_db / 10)]
    return float(10 * np.log10(max(active.mean(), 1e-20)))


def set_level(x: np.ndarray, level_db: float) -> np.ndarray:
    return x * 10 ** ((level_db - active_level_db(x)) / 20)


NOISE_COLOURS = ("white", "pink", "brown")


def colored_noise(n: int, kind: str, rng: np.random.Generator, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Unit-power noise with a 1/f^beta power spectrum (white 0, pink 1, brown 2) at `rate` Hz."""
    from scipy.fft import irfft, next_fast_len, rfft

    beta = {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind]
    m = next_fast_len(n, real=True)  # an FFT of awkward length costs several times more
    spec = rfft(rng.standard_normal(m))
    f = np.fft.rfftfreq(m, 1 / rate)
    spec *= np.maximum(f, 20.0) ** (-beta / 2)  # below 20 Hz flat, so brown noise has no DC drift
    y = irfft(spec, m)[:n]
    return y / max(np.sqrt(np.mean(y**2)), 1e-12)


def pad_and_mix(speech: np.ndarray, lead: float, trail: float, noise_kind: str | None, snr_db: float | None,
                rng: np.random.Generator) -> np.ndarray:
    """Add `lead`/`trail` seconds of silence, then noise at `snr_db` below the speech level."""
    level = active_level_db(speech)
    y = np.concatenate([np.zeros(int(lead * SAMPLE_RATE)), speech, np.zeros(int(trail * SAMPLE_RATE))])
    if noise_kind is not None and snr_db is not None:
        y = y + colored_noise(y.size, noise_kind, rng) * 10 ** ((level - snr_db) / 20)
    return y


def soft_limit(x: np.ndarray) -> np.ndarray:
    """Identity below the knee, tanh-compressed above: never clips, rarely active."""
    a = np.abs(x)
    over = a > LIMIT_KNEE
    if not over.any():
        return x
    room = 0.999 - LIMIT_KNEE
    y = x.copy()
    y[over] = np.sign(x[over]) * (LIMIT_KNEE + room * np.tanh((a[over] - LIMIT_KNEE) / room))
    return y


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def write_wav(path: str | os.PathLike, samples: np.ndarray) -> None:
    """16 kHz 16-bit mono, written to a temporary name and renamed: a file that exists is complete."""
    import soundfile as sf

    from jsertk.utils.atomic import atomic_open

    with atomic_open(path, "wb") as f:
        sf.write(f, samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
