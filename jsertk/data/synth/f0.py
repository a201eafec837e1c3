"""Measure what the prosody rules change: F0 (YIN), speech-frame RMS level and duration.

Used to assign speaker gender from the audio and to check, from the generated files, that
the designed emotion and gender differences are really there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FMIN, FMAX = 50.0, 450.0  # Hz; covers low (sad) male to high (excited) female speech
HOP_S, WIN_S = 0.010, 0.025  # seconds
YIN_THRESHOLD = 0.15  # first dip of the normalised difference below this is the period
VOICED_MAX = 0.35  # frames whose best dip stays above this are unvoiced


@dataclass(frozen=True)
class Measures:
    f0_median: float  # Hz over voiced frames; nan if nothing voiced
    voiced_fraction: float
    speech_rms_db: float  # dBFS over voiced frames (whole signal if none)
    duration: float  # seconds


def _frames(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    if x.size < length:
        x = np.pad(x, (0, length - x.size))
    n = 1 + (x.size - length) // hop
    idx = np.arange(length)[None, :] + hop * np.arange(n)[:, None]
    return x[idx]


def track_f0(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame (f0 Hz or nan, voiced mask, frame energy) by YIN (de Cheveigné & Kawahara 2002)."""
    x = np.asarray(x, dtype=np.float64)
    win, hop = int(WIN_S * sr), int(HOP_S * sr)
    tau_min, tau_max = int(sr / FMAX), int(np.ceil(sr / FMIN))
    frames = _frames(x, win + tau_max, hop)
    frames = frames - frames.mean(axis=1, keepdims=True)
    nfft = 1 << int(np.ceil(np.log2(2 * frames.shape[1])))
    head = np.fft.rfft(frames[:, :win], nfft)
    full = np.fft.rfft(frames, nfft)
    corr = np.fft.irfft(np.conj(head) * full, nfft)[:, : tau_max + 1]  # r(tau) = sum_j x_j x_{j+tau}
    sq = np.concatenate([np.zeros((frames.shape[0], 1)), np.cumsum(frames**2, axis=1)], axis=1)
    energy_at = sq[:, win: win + tau_max + 1] - sq[:, : tau_max + 1]  # sum of x_{j+tau}^2, j < win
    diff = np.maximum(energy_at[:, :1] + energy_at - 2 * corr, 0.0)
    cum = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * np.arange(1, tau_max + 1) / np.maximum(cum, 1e-12)

    search = cmnd[:, tau_min: tau_max + 1]
    below = search < YIN_THRESHOLD
    first = np.where(below.any(axis=1), below.argmax(axis=1), search.argmin(axis=1))
    f0 = np.full(len(frames), np.nan)
    voiced = np.zeros(len(frames), dtype=bool)
    energy = energy_at[:, 0] / win
    for i, j in enumerate(first):
        # Walk down to the bottom of the dip, then refine by a parabola through three points.
        while j + 1 < search.shape[1] and search[i, j + 1] < search[i, j]:
            j += 1
        if search[i, j] > VOICED_MAX:
            continue
        a, b, c = (search[i, j - 1] if j > 0 else search[i, j]), search[i, j], (
            search[i, j + 1] if j + 1 < search.shape[1] else search[i, j])
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if den > 0 else 0.0
        f0[i] = sr / (tau_min + j + shift)
        voiced[i] = True
    # Quiet frames (far below the loudest) are background, whatever their periodicity.
    loud = energy > energy.max() * 10 ** (-35 / 10) if energy.size else energy.astype(bool)
    voiced &= loud
    f0[~voiced] = np.nan
    return f0, voiced, energy


def measure(x: np.ndarray, sr: int) -> Measures:
    """F0 median, voiced fraction, speech level and duration of one utterance (float in [-1, 1])."""
    x = np.asarray(x, dtype=np.float64)
    f0, voiced, energy = track_f0(x, sr)
    level = energy[voiced].mean() if voiced.any() else float(np.mean(x**2))
    return Measures(
        f0_median=float(np.nanmedian(f0)) if voiced.any() else float("nan"),
        voiced_fraction=float(voiced.mean()) if voiced.size else 0.0,
        speech_rms_db=float(10 * np.log10(max(level, 1e-12))),
        duration=x.size / sr,
    )
