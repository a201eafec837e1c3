"""Emotion as prosody rules in the manner of emofilt (Burkhardt): pitch level, pitch range,
speaking rate and loudness move away from the speaker's neutral setting by an amount scaled
by a per-utterance intensity, plus independent per-utterance variation, so that weakly
expressed emotions come close to neutral and the classes overlap as in real speech.

Dimensional labels (arousal, valence, dominance on 1..5, IEMOCAP's scale) follow the emotion,
scaled by the same intensity, with rater-like noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jsertk.data.synth.voices import NEUTRAL_RATE_WPM, Speaker

EMOTIONS = ("neutral", "happy", "angry", "sad")


@dataclass(frozen=True)
class Rule:
    rate: float  # speaking-rate factor relative to neutral
    pitch: float  # espeak pitch units added to the speaker's neutral pitch (+22 ~ x1.35 F0)
    range: float  # espeak pitch range (neutral 50; 0 is monotone)
    gain_db: float  # loudness relative to neutral
    dims: tuple[float, float, float]  # arousal, valence, dominance at full intensity


# Settings measured to give clearly different prosody with espeak-ng (neutral 165 wpm, pitch 50,
# range 50): happy 190/72/90, angry 200/60/85 and loud, sad 125/28/15 and soft.
RULES = {
    "neutral": Rule(1.00, 0.0, 50.0, 0.0, (3.0, 3.0, 3.0)),
    "happy": Rule(1.15, 22.0, 90.0, 3.0, (3.9, 4.2, 3.4)),
    "angry": Rule(1.21, 10.0, 85.0, 5.5, (4.3, 1.7, 4.1)),
    "sad": Rule(0.76, -22.0, 15.0, -5.0, (1.9, 1.8, 2.1)),
}
INTENSITY_SD = 0.3  # per-utterance strength of the emotion, N(1, sd) clipped to [0.3, 1.7]
JITTER = {"rate_log": 0.07, "pitch": 5.0, "range": 10.0, "gain_db": 2.0}  # independent variation (sd)
DIM_NOISE_SD = 0.3
BASE_LEVEL_DB = -26.0  # speech level (dBFS) of a neutral utterance before personal/emotion offsets


@dataclass(frozen=True)
class Prosody:
    rate: int  # words per minute
    pitch: int  # espeak 0..100
    range: int  # espeak 0..100
    level_db: float  # target speech level, dBFS
    intensity: float


def sample_prosody(emotion: str, speaker: Speaker, rng: np.random.Generator) -> Prosody:
    if emotion not in RULES:
        raise ValueError(f"unknown emotion '{emotion}' (known: {', '.join(EMOTIONS)})")
    rule, neutral = RULES[emotion], RULES["neutral"]
    k = float(np.clip(rng.normal(1.0, INTENSITY_SD), 0.3, 1.7)) if emotion != "neutral" else 1.0
    rate = (NEUTRAL_RATE_WPM * speaker.rate_factor * (1 + k * (rule.rate - 1))
            * np.exp(rng.normal(0, JITTER["rate_log"])))
    pitch = speaker.pitch + k * rule.pitch + rng.normal(0, JITTER["pitch"])
    range_ = neutral.range + k * (rule.range - neutral.range) + rng.normal(0, JITTER["range"])
    level = BASE_LEVEL_DB + speaker.level_db + k * rule.gain_db + rng.normal(0, JITTER["gain_db"])
    return Prosody(rate=int(np.clip(round(rate), 80, 450)), pitch=int(np.clip(round(pitch), 0, 100)),
                   range=int(np.clip(round(range_), 0, 100)), level_db=round(float(level), 2),
                   intensity=round(k, 3))


def sample_dims(emotion: str, intensity: float, rng: np.random.Generator) -> tuple[float, float, float]:
    """Arousal, valence, dominance in [1, 5]: neutral 3, moved toward the emotion by intensity."""
    target = np.asarray(RULES[emotion].dims)
    dims = 3.0 + intensity * (target - 3.0) + rng.normal(0, DIM_NOISE_SD, 3)
    a, v, d = (round(float(x), 2) for x in np.clip(dims, 1.0, 5.0))
    return (a, v, d)
