"""Speakers of the synthetic corpus: an espeak voice variant plus personal pitch, vocal-tract
length (formant scale), speaking rate and level; gender from the measured F0, never from the
variant file (several variants marked male or unmarked sound female, and the reverse)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

LANGUAGE = "en-us"
# espeak-ng 1.52 variants with normal voicing. Left out: whisper*, caleb (unvoiced), croak, klatt,
# klatt2 and grandpa (mostly creak), robosoft*, UniRobot, anikaRobot, Demonic (robotic),
# AnxiousAndy and Marco (erratic timing), zac (child-like, F0 ~350 Hz), "Mr serious" (space in name).
VARIANTS = (
    "Alex", "Alicia", "Andrea", "Andy", "Annie", "Denis", "Diogo", "Gene", "Gene2", "Henrique", "Hugo", "Jacky",
    "Lee", "Mario", "Michael", "Mike", "Nguyen", "Reed", "RicishayMax", "RicishayMax2", "RicishayMax3", "Storm",
    "adam", "announcer", "anika", "antonio", "aunty", "belinda", "benjamin", "boris", "david", "ed", "edward",
    "edward2", "f1", "f2", "f3", "f4", "f5", "fast", "grandma", "gustave", "ian", "iven", "iven2", "iven3", "iven4",
    "john", "kaukovalta", "klatt3", "klatt4", "klatt5", "klatt6", "linda", "m1", "m2", "m3", "m4", "m5", "m6", "m7",
    "m8", "marcelo", "max", "michel", "miguel", "mike2", "norbert", "pablo", "paul", "pedro", "quincy", "rob",
    "robert", "sandro", "shelby", "steph", "steph2", "steph3", "travis", "victor",
)
# Measured on one sentence: male-sounding variants 72-152 Hz, female-sounding 172-274 Hz. A
# speaker outside these bands is left out, so every gender label is clear and no voice is so low
# that a sad rendering (F0 x0.74) falls below what speech (and the F0 tracker) reaches.
MALE_F0_HZ = (85.0, 145.0)
FEMALE_F0_HZ = (165.0, 300.0)
NEUTRAL_RATE_WPM = 165
PROBE_TEXT = "The quick brown fox jumps over the lazy dog near the old station."
GROUPS = ("train", "dev", "test")


@dataclass(frozen=True)
class Speaker:
    variant: str
    pitch: int  # espeak pitch parameter at neutral (50 = the variant's own); emotions shift it
    warp: int  # vocal-tract scale: audio is read at 22050*warp/441 Hz, i.e. formants and F0 x warp/441
    rate_factor: float  # personal speaking rate, times the neutral rate
    level_db: float  # personal loudness offset
    f0: float = float("nan")  # measured median F0 of the probe sentence, Hz
    gender: str = ""  # "m" or "f", from f0
    id: str = ""
    group: str = ""  # train, dev or test

    @property
    def voice_name(self) -> str:
        return f"{LANGUAGE}+{self.variant}"

    def to_dict(self) -> dict:
        return asdict(self)


def candidates(rng: np.random.Generator) -> list[Speaker]:
    """One round of candidate speakers: every variant once, in random order, random settings."""
    out = []
    for i in rng.permutation(len(VARIANTS)):
        out.append(Speaker(
            variant=VARIANTS[i],
            pitch=int(rng.integers(40, 61)),
            warp=int(rng.integers(413, 470)),  # x0.94 .. x1.06
            rate_factor=round(float(rng.uniform(0.9, 1.1)), 3),
            level_db=round(float(rng.uniform(-2.0, 2.0)), 2),
        ))
    return out


def gender_of(f0: float) -> str | None:
    """'f', 'm', or None when the F0 is unmeasurable or outside both bands."""
    if FEMALE_F0_HZ[0] <= f0 <= FEMALE_F0_HZ[1]:
        return "f"
    if MALE_F0_HZ[0] <= f0 <= MALE_F0_HZ[1]:
        return "m"
    return None  # also for nan


def split_counts(num_speakers: int) -> dict[str, int]:
    """Speakers per group: dev and test are held out, each about a sixth, even, at least 2."""
    if num_speakers < 6 or num_speakers % 2:
        raise ValueError(f"number of speakers must be even and at least 6 (got {num_speakers}); "
                         "each of train, dev and test needs a female and a male speaker")
    held = max(2, 2 * round(num_speakers / 12))
    return {"train": num_speakers - 2 * held, "dev": held, "test": held}


def select(measured: list[Speaker], num_speakers: int) -> list[Speaker] | None:
    """Half female, half male, from measured candidates in their order; ids and groups assigned.

    Returns None when the candidates do not hold enough of each gender.
    """
    half = num_speakers // 2
    by_gender: dict[str, list[Speaker]] = {"f": [], "m": []}
    for s in measured:
        g = gender_of(s.f0)
        if g is not None and len(by_gender[g]) < half:
            by_gender[g].append(Speaker(**{**s.to_dict(), "gender": g}))
    if min(len(v) for v in by_gender.values()) < half:
        return None
    counts = split_counts(num_speakers)
    out: list[Speaker] = []
    for group in GROUPS:  # ids run train, dev, test; each group gender-balanced
        for g in ("f", "m"):
            for _ in range(counts[group] // 2):
                s = by_gender[g].pop(0)
                out.append(Speaker(**{**s.to_dict(), "group": group}))
    width = max(2, len(str(num_speakers)))
    return [Speaker(**{**s.to_dict(), "id": f"spk{i + 1:0{width}d}"}) for i, s in enumerate(out)]
