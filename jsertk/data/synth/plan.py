"""What the corpus holds, decided before any audio is made: sets and their sizes, which
speaker says what with which emotion, prosody, noise and labels. Everything is drawn from
the seed, so a plan (and the audio made from it) is the same for any number of jobs."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from jsertk.data.synth import sentences
from jsertk.data.synth.prosody import EMOTIONS, Prosody, sample_dims, sample_prosody
from jsertk.data.synth.voices import Speaker

# Set -> speaker group. dev and test speakers are held out from every training set.
SETS = {"train_labeled": "train", "train_unlabeled": "train", "asr_train": "train", "dev": "dev", "test": "test"}
PLAN_ORDER = ("test", "dev", "train_labeled", "train_unlabeled", "asr_train")  # held-out texts first
SIZES = {
    "tiny": {"speakers": 12, "train_labeled": 16, "train_unlabeled": 8, "asr_train": 8, "dev": 8, "test": 8},
    "demo": {"speakers": 12, "train_labeled": 240, "train_unlabeled": 480, "asr_train": 480, "dev": 120, "test": 120},
    "full": {"speakers": 24, "train_labeled": 1200, "train_unlabeled": 4800, "asr_train": 6000, "dev": 600,
             "test": 600},
}
PAD_S = (0.05, 0.3)  # leading/trailing silence, seconds, uniform


@dataclass(frozen=True)
class Options:
    """Everything that decides the corpus content (not how fast it is made)."""
    seed: int = 0
    size: str = "demo"
    speakers: int = 12
    counts: dict[str, int] = field(default_factory=dict)  # set -> utterances
    lexical_fraction: float = 0.5  # share of utterances whose words signal the emotion
    noise: bool = True
    snr_min: float = 10.0  # dB
    snr_max: float = 30.0

    def to_dict(self) -> dict:
        return asdict(self)


def make_options(size: str = "demo", seed: int = 0, speakers: int | None = None,
                 counts: dict[str, int | None] | None = None, lexical_fraction: float = 0.5, noise: bool = True,
                 snr_min: float = 10.0, snr_max: float = 30.0) -> Options:
    """Options of a named size, with explicit counts overriding it; bad values raise ValueError."""
    if size not in SIZES:
        raise ValueError(f"unknown size '{size}' (known: {', '.join(SIZES)})")
    preset = SIZES[size]
    resolved = {s: preset[s] for s in SETS}
    for name, n in (counts or {}).items():
        if name not in SETS:
            raise ValueError(f"unknown set '{name}' (known: {', '.join(SETS)})")
        if n is not None:
            if n < 1:
                raise ValueError(f"number of {name} utterances must be at least 1 (got {n})")
            resolved[name] = int(n)
    if not 0.0 <= lexical_fraction <= 1.0:
        raise ValueError(f"lexical fraction must be within [0, 1] (got {lexical_fraction})")
    if noise and snr_min > snr_max:
        raise ValueError(f"--snr-min {snr_min} is above --snr-max {snr_max}")
    return Options(seed=seed, size=size, speakers=speakers if speakers is not None else preset["speakers"],
                   counts=resolved, lexical_fraction=lexical_fraction, noise=noise, snr_min=snr_min, snr_max=snr_max)


@dataclass(frozen=True)
class Utterance:
    utt: str
    set: str
    spk: str
    emotion: str
    lexical: bool  # the words signal the emotion
    text: str  # transcript, lowercase words
    prosody: Prosody
    dims: tuple[float, float, float]
    noise_kind: str | None
    snr_db: float | None
    lead: float  # seconds of leading silence
    trail: float
    noise_seed: int

    def wav_relpath(self) -> str:
        return f"wav/{self.set}/{self.spk}/{self.utt}.wav"


def _per_speaker(n: int, speakers: list[Speaker]) -> list[int]:
    k, extra = divmod(n, len(speakers))
    return [k + (i < extra) for i in range(len(speakers))]


def plan_corpus(options: Options, speakers: list[Speaker]) -> list[Utterance]:
    from jsertk.data.synth.audio import NOISE_KINDS

    heldout_texts: set[str] = set()
    out: list[Utterance] = []
    serial = 0
    for set_index, set_name in enumerate(PLAN_ORDER):
        group = SETS[set_name]
        spks = [s for s in speakers if s.group == group]
        rng = np.random.default_rng([options.seed, set_index])
        for spk, n in zip(spks, _per_speaker(options.counts[set_name], spks)):
            start = int(rng.integers(len(EMOTIONS)))
            emotions = [EMOTIONS[(start + i) % len(EMOTIONS)] for i in range(n)]
            for emotion in (emotions[i] for i in rng.permutation(n)):
                lexical = bool(rng.random() < options.lexical_fraction)
                text = sentences.sentence(emotion, lexical, rng)
                for _ in range(100):  # no dev/test sentence is ever heard in training
                    if group != "train" or text not in heldout_texts:
                        break
                    text = sentences.sentence(emotion, lexical, rng)
                else:
                    raise RuntimeError("cannot draw a training sentence outside the held-out sentences")
                if group != "train":
                    heldout_texts.add(text)
                prosody = sample_prosody(emotion, spk, rng)
                noise_kind = NOISE_KINDS[int(rng.integers(len(NOISE_KINDS)))] if options.noise else None
                snr = round(float(rng.uniform(options.snr_min, options.snr_max)), 2) if options.noise else None
                serial += 1
                out.append(Utterance(
                    utt=f"{spk.id}-{serial:06d}", set=set_name, spk=spk.id, emotion=emotion, lexical=lexical,
                    text=text, prosody=prosody, dims=sample_dims(emotion, prosody.intensity, rng),
                    noise_kind=noise_kind, snr_db=snr, lead=round(float(rng.uniform(*PAD_S)), 3),
                    trail=round(float(rng.uniform(*PAD_S)), 3), noise_seed=int(rng.integers(2**31)),
                ))
    return out
