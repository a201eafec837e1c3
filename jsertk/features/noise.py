"""Additive noise at a given SNR: the transform, its noise sources and its wav.scp command.

`jsertk noise-audio SNR NOISE SEED SOURCE |` is the pipe a noise-augmented wav.scp holds (Kaldi's
augment_data_dir.py writes `wav-reverberate --additive-signals ...` pipes the same way). NOISE is
an audio file (a MUSAN noise recording, say) or `generated:<colour>` (white, pink or brown noise
made from SEED); SEED also picks where in a longer noise file the excerpt starts. The audio reader
(`jsertk.features.audio`) recognises the command and computes the same samples in process; the
data-dir augmentation (`jsertk.features.perturb.add_noise`) writes it.

The SNR is that of whole signals: the mean power of the utterance over the mean power of the
noise excerpt added to it (as wav-reverberate computes it). A noise file shorter than the
utterance is repeated; one at another sampling rate is resampled to the utterance's.
"""
from __future__ import annotations

import os
import re
import shlex

import numpy as np

from jsertk.utils.errors import InputError

NOISE_COMMAND = "jsertk noise-audio"
GENERATED = "generated:"
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".sph")

_NOISE_RE = re.compile(r"(?:(?P<inner>.*\S)\s*\|\s*)?jsertk\s+noise-audio\s+(?P<args>.+)", re.S)


def generated_colours() -> tuple[str, ...]:
    from jsertk.data.synth.audio import NOISE_COLOURS

    return NOISE_COLOURS


def check_noise(noise: str) -> str:
    """`noise` if it names a generated colour or an existing file."""
    if noise.startswith(GENERATED):
        if noise[len(GENERATED):] not in generated_colours():
            raise InputError(f"noise '{noise}': generated noise is one of "
                             f"{', '.join(GENERATED + c for c in generated_colours())}")
    elif not os.path.isfile(noise):
        raise InputError(f"noise file {noise} not found")
    return noise


def noise_command(value: str, snr: float, noise: str, seed: int) -> str:
    """The wav.scp value reading `value` (a path, `cmd |` or `ark:offset`) with `noise` added at `snr` dB."""
    value = value.strip()
    args = f"{snr:g} {shlex.quote(noise)} {seed}"
    if value.endswith("|"):
        return f"{value[:-1].strip()} | {NOISE_COMMAND} {args} - |"
    return f"{NOISE_COMMAND} {args} {shlex.quote(value)} |"


def parse_noise_command(command: str) -> tuple[float, str, int, str] | None:
    """(snr, noise, seed, source wav.scp value) when `command` (a pipe without its final `|`) is one
    that `noise_command` writes; None for any other command."""
    m = _NOISE_RE.fullmatch(command.strip())
    if m is None:
        return None
    try:
        tokens = shlex.split(m.group("args"))
        if len(tokens) != 4:
            return None
        snr, noise, seed, src = float(tokens[0]), tokens[1], int(tokens[2]), tokens[3]
    except ValueError:
        return None
    inner = m.group("inner")
    if inner is not None:
        return (snr, noise, seed, f"{inner} |") if src == "-" else None
    return None if src == "-" else (snr, noise, seed, src)


def generated_noise(colour: str, n: int, rate: int, seed: int) -> np.ndarray:
    """`n` samples at `rate` Hz of white, pink or brown noise made from `seed`."""
    from jsertk.data.synth.audio import colored_noise

    return colored_noise(n, colour, np.random.default_rng(seed), rate).astype(np.float32)


def excerpt(samples: np.ndarray, n: int, seed: int) -> np.ndarray:
    """`n` samples of a noise recording, starting at a place `seed` picks (repeated when shorter)."""
    if samples.size < n:
        samples = np.tile(samples, -(-n // samples.size))
    start = int(np.random.default_rng(seed).integers(0, samples.size - n + 1))
    return samples[start: start + n]


def add_noise_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """speech + noise scaled so that mean speech power / mean noise power is `snr_db` dB."""
    p_speech = float(np.mean(np.square(speech, dtype=np.float64)))
    p_noise = float(np.mean(np.square(noise, dtype=np.float64)))
    if p_noise <= 0.0:  # a silent noise excerpt adds nothing
        return speech
    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return (speech + gain * noise).astype(np.float32)


def noise_files(folder: str | os.PathLike) -> list[str]:
    """The audio files under `folder` (recursively; MUSAN: musan/noise holds free-sound/ and
    sound-bible/), sorted; an error when there are none."""
    if not os.path.isdir(folder):
        raise InputError(f"noise folder {folder} not found")
    found = sorted(os.path.join(root, name) for root, _, names in os.walk(folder, followlinks=True)
                   for name in names if name.lower().endswith(AUDIO_EXTENSIONS))
    if not found:
        raise InputError(f"noise folder {folder} holds no audio files ({', '.join(AUDIO_EXTENSIONS)}); for MUSAN "
                         "give its noise/ folder")
    return [os.path.abspath(f) for f in found]
