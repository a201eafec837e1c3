#!/usr/bin/env python3
"""Corpus preparation benchmark: `jsertk prepare manifest` and `jsertk data folds` on a manifest of
--utts utterances (default 10,000; empty placeholder audio files, since preparation checks that
each file exists but reads no audio), 200 speakers, gender, text, dimensions and a fold column
(10 speaker folds). Timed: the library calls (best of --repeat) and the two commands with
interpreter start-up (once each). Writes the `prepare` section of docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_prepare.py [--utts 10000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, update_section  # noqa: E402

sys.path.insert(0, str(ROOT))
from jsertk.data.corpora.manifest import prepare_manifest  # noqa: E402
from jsertk.data.folds import write_folds  # noqa: E402

EMOTIONS = ("angry", "happy", "neutral", "sad")


def make_manifest(root: Path, n: int, speakers: int = 200) -> Path:
    lines = ["path,emotion,speaker,gender,text,arousal,valence,dominance,fold"]
    for i in range(n):
        spk = f"spk{i % speakers:03d}"
        rel = f"audio/{spk}/utt{i:06d}.wav"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).touch()
        lines.append(f"{rel},{EMOTIONS[i % 4]},{spk},{'mf'[i % speakers % 2]},words of utterance {i},"
                     f"0.5,0.1,0.2,{i % speakers % 10 + 1}")
    path = root / "manifest.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--utts", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest = make_manifest(root / "corpus", args.utts)
        prep = best(lambda: prepare_manifest(manifest, root / "data"), args.repeat)
        folds = best(lambda: (os.utime(root / "data" / "utt2spk"),  # a changed source: no reuse
                              write_folds(root / "data", root / "data" / "folds")), args.repeat)
        jsertk = [str(Path(sys.executable).parent / "jsertk")]
        t = time.perf_counter()
        subprocess.run([*jsertk, "prepare", "manifest", str(manifest), "--out", str(root / "cli")], check=True,
                       capture_output=True)
        prep_cli = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run([*jsertk, "data", "folds", str(root / "cli")], check=True, capture_output=True)
        folds_cli = time.perf_counter() - t
    load = os.getloadavg()[0]
    md = f"""## Corpus preparation and folds (`tools/bench/bench_prepare.py`)

Machine: {machine()}; load average {load:.1f} at the end.
Command: `tools/venv/bin/python tools/bench/bench_prepare.py --utts {args.utts} --repeat {args.repeat}`, \
run on {date.today()}.
Manifest: {args.utts} rows (CSV: path, emotion, speaker, gender, text, arousal/valence/dominance, fold), 200 speakers
in 10 folds; every audio file exists (checked) but is not read. Folds: 10 x train/dev/test data dirs, each
checked speaker-disjoint.

| step | library, best of {args.repeat} (s) | command with start-up (s) |
|---|---:|---:|
| `jsertk prepare manifest` (read, check files, write the data dir) | {prep:.2f} | {prep_cli:.2f} |
| `jsertk data folds` (10 folds x 3 data dirs) | {folds:.2f} | {folds_cli:.2f} |
"""
    update_section("prepare", md)
    print(md)


if __name__ == "__main__":
    main()
