"""What each file of a data directory holds, and how one line of it is parsed.

Per-utterance files are keyed by utterance id, except wav.scp which is keyed by recording id
when `segments` exists. Label files (text, utt2emo, utt2dim, confidences) may cover only part
of the utterances: a missing line means the label is unknown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple


class Segment(NamedTuple):
    recording: str
    start: float  # seconds
    end: float  # seconds; -1 means "to the end of the recording"


def _nonempty(value: str) -> str:
    if not value.strip():
        raise ValueError("missing value after the key")
    return value


def _single_token(value: str) -> str:
    toks = value.split()
    if len(toks) != 1:
        raise ValueError(f"expected exactly one value, got {len(toks)}: '{value}'")
    return toks[0]


def _float(tok: str) -> float:
    try:
        x = float(tok)
    except ValueError:
        raise ValueError(f"'{tok}' is not a number") from None
    if not math.isfinite(x):
        raise ValueError(f"'{tok}' is not a finite number")
    return x


def parse_text(value: str) -> str:
    if not value.strip():
        raise ValueError("empty transcript")
    return value


def parse_hypothesis(value: str) -> str:
    """A recogniser's 1-best: may be empty (nothing recognised)."""
    return value


def parse_segment(value: str) -> Segment:
    toks = value.split()
    if len(toks) != 3:
        raise ValueError(f"expected '<recording> <start> <end>', got '{value}'")
    start, end = _float(toks[1]), _float(toks[2])
    if start < 0:
        raise ValueError(f"start time {start} is negative")
    if end != -1 and end <= start:
        raise ValueError(f"end time {end} is not after start time {start}")
    return Segment(toks[0], start, end)


def parse_dims(value: str) -> tuple[float, float, float]:
    toks = value.split()
    if len(toks) != 3:
        raise ValueError(f"expected three numbers (arousal valence dominance), got {len(toks)}: '{value}'")
    a, v, d = (_float(t) for t in toks)
    return (a, v, d)


def parse_confidence(value: str) -> float:
    x = _float(_single_token(value))
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"confidence {x} is outside [0, 1]")
    return x


def parse_gender(value: str) -> str:
    g = _single_token(value)
    if g not in ("m", "f"):
        raise ValueError(f"gender must be 'm' or 'f', got '{g}'")
    return g


def parse_num_frames(value: str) -> int:
    tok = _single_token(value)
    try:
        n = int(tok)
    except ValueError:
        raise ValueError(f"'{tok}' is not an integer") from None
    if n <= 0:
        raise ValueError(f"frame count {n} is not positive")
    return n


def parse_duration(value: str) -> float:
    x = _float(_single_token(value))
    if x <= 0:
        raise ValueError(f"duration {x} is not positive")
    return x


def parse_fold(value: str) -> int:
    tok = _single_token(value)
    if not tok.isdigit() or int(tok) < 1:
        raise ValueError(f"fold must be a positive integer, got '{tok}'")
    return int(tok)


SPLIT_NAMES = ("train", "dev", "test")


def parse_split(value: str) -> str:
    tok = _single_token(value)
    if tok not in SPLIT_NAMES:
        raise ValueError(f"split must be one of {', '.join(SPLIT_NAMES)}, got '{tok}'")
    return tok


def parse_spk2utt(value: str) -> list[str]:
    utts = value.split()
    if not utts:
        raise ValueError("speaker has no utterances")
    return utts


@dataclass(frozen=True)
class FileSpec:
    name: str
    keyed_by: str  # "utt", "spk" or "rec" (wav.scp: "rec" when segments exist, else "utt")
    parse: Callable[[str], Any]
    label: bool  # may cover only part of the utterances
    doc: str


FILES: dict[str, FileSpec] = {
    s.name: s
    for s in [
        FileSpec("wav.scp", "rec", _nonempty, False, "audio: a path or a Kaldi pipe command ending in '|'"),
        FileSpec("segments", "utt", parse_segment, False, "<recording> <start-s> <end-s> per utterance"),
        FileSpec("utt2spk", "utt", _single_token, False, "speaker id of each utterance"),
        FileSpec("spk2utt", "spk", parse_spk2utt, False, "utterances of each speaker (derived from utt2spk)"),
        FileSpec("text", "utt", parse_text, True, "transcript (UTF-8)"),
        FileSpec("spk2gender", "spk", parse_gender, True, "speaker gender, m or f"),
        FileSpec("utt2emo", "utt", _single_token, True, "categorical emotion label"),
        FileSpec("utt2dim", "utt", parse_dims, True, "arousal valence dominance"),
        FileSpec("spk2fold", "spk", parse_fold, True, "speaker-independent fold (1..K) a speaker is tested in"),
        FileSpec("utt2fold", "utt", parse_split, True, "official split (train, dev or test) of an utterance"),
        FileSpec("utt2lang", "utt", _single_token, True, "language of an utterance (e.g. en, de)"),
        FileSpec("utt2emo_conf", "utt", parse_confidence, True, "emotion pseudo-label confidence in [0,1]"),
        FileSpec("utt2text_conf", "utt", parse_confidence, True, "transcript pseudo-label confidence in [0,1]"),
        FileSpec("utt2dur", "utt", parse_duration, False, "duration in seconds"),
        FileSpec("utt2num_frames", "utt", parse_num_frames, False, "feature frame count"),
        FileSpec("feats.scp", "utt", _nonempty, False, "feature matrix location (ark:offset)"),
        FileSpec("lexical.scp", "utt", _nonempty, False, "Whisper decoder states of the 1-best (jsertk dump-lexical)"),
        FileSpec("lexical_text", "utt", parse_hypothesis, False, "Whisper 1-best transcript (jsertk dump-lexical)"),
        FileSpec("lexical_text_conf", "utt", parse_confidence, False, "confidence of lexical_text in [0,1]"),
    ]
}

# Per-utterance files that, when present, every utterance must appear in.
REQUIRED_WHEN_PRESENT = ("utt2dur", "utt2num_frames", "feats.scp")
# What made a feature dir's features (written beside feats.scp, read by the models that use them):
# copied verbatim by subsets, folds and combinations of that dir.
FEATURE_DESCRIPTIONS = ("fbank.yaml", "upstream.yaml", "lexical.yaml")
UTT_LABEL_FILES = tuple(n for n, s in FILES.items() if s.label and s.keyed_by == "utt")
