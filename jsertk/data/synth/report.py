"""Measure the generated audio by emotion and gender: mean F0, duration, speaking rate and
speech level, so that the designed prosody differences can be checked on the files."""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jsertk.data.synth.prosody import EMOTIONS


@dataclass(frozen=True)
class UttMeasure:
    utt: str
    emotion: str
    gender: str
    words: int
    f0: float  # median over voiced frames, Hz
    duration: float  # s
    level_db: float  # speech-frame RMS, dBFS


def read_meta(corpus_dir: str | Path) -> list[dict[str, str]]:
    path = Path(corpus_dir) / "meta" / "utterances.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: not a corpus made by `jsertk synth-corpus`")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def measure_file(args: tuple[str, str, str, int, str]) -> UttMeasure:
    import soundfile as sf

    from jsertk.data.synth.f0 import measure

    utt, emotion, gender, words, path = args
    x, sr = sf.read(path, dtype="float64")
    m = measure(x, sr)
    return UttMeasure(utt, emotion, gender, words, m.f0_median, m.duration, m.speech_rms_db)


def measure_corpus(corpus_dir: str | Path, nj: int = 1, sets: tuple[str, ...] | None = None) -> list[UttMeasure]:
    """Measure every utterance (of `sets`, default all) of a generated corpus."""
    corpus_dir = Path(corpus_dir)
    rows = [r for r in read_meta(corpus_dir) if sets is None or r["set"] in sets]
    jobs = [(r["utt"], r["emotion"], r["gender"], len(r["text"].split()),
             str(corpus_dir / "wav" / r["set"] / r["spk"] / f"{r['utt']}.wav")) for r in rows]
    if nj <= 1:
        return [measure_file(j) for j in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fresh interpreters: forking a caller that runs threads (torch, BLAS) can deadlock.
    with ProcessPoolExecutor(max_workers=nj, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(measure_file, jobs, chunksize=32))


def summarize(measures: list[UttMeasure]) -> dict[tuple[str, str], dict[str, float]]:
    """(emotion, gender) -> n, mean F0, mean duration, words per second, mean level; gender 'all' too."""
    groups: dict[tuple[str, str], list[UttMeasure]] = defaultdict(list)
    for m in measures:
        groups[(m.emotion, m.gender)].append(m)
        groups[(m.emotion, "all")].append(m)
    out = {}
    for key, ms in groups.items():
        f0 = np.array([m.f0 for m in ms])
        out[key] = {
            "n": len(ms),
            "f0": float(np.nanmean(f0)) if np.isfinite(f0).any() else float("nan"),
            "duration": float(np.mean([m.duration for m in ms])),
            "words_per_s": float(np.sum([m.words for m in ms]) / np.sum([m.duration for m in ms])),
            "level_db": float(np.mean([m.level_db for m in ms])),
        }
    return out


def format_table(summary: dict[tuple[str, str], dict[str, float]]) -> str:
    """A markdown table, rows by emotion then gender (f, m, all)."""
    lines = ["| emotion | gender | utts | mean F0 (Hz) | duration (s) | words/s | speech RMS (dBFS) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for emotion in EMOTIONS:
        for gender in ("f", "m", "all"):
            s = summary.get((emotion, gender))
            if s:
                lines.append(f"| {emotion} | {gender} | {s['n']} | {s['f0']:.0f} | {s['duration']:.2f} | "
                             f"{s['words_per_s']:.2f} | {s['level_db']:.1f} |")
    return "\n".join(lines)
