#!/usr/bin/env python3
"""Upstream benchmark: the frozen Whisper tiny.en encoder (../shared/models/whisper-tiny.en) over
--utts utterances of EmoDB (../shared/corpora/emodb; 3 s tones when absent), side by side in one
run: x real time with `whisper_input` crop and pad at 1 thread (per core) and at all threads; and
what a training epoch's input costs from dumped states (reading the float16 ark + the weighted sum)
against running the upstream on the fly. Also `jsertk --help` with and without the upstream code
importable (transformers is imported only when a config names an upstream). Writes the `upstream`
section of docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_upstream.py [--utts 40]
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, update_section  # noqa: E402

sys.path.insert(0, str(ROOT))
import torch  # noqa: E402

from jsertk.features.io import ArkScpWriter, load_scp  # noqa: E402
from jsertk.models.upstream import LayerWeightedSum  # noqa: E402
from jsertk.tasks.upstream import load_upstream  # noqa: E402

WHISPER = ROOT.parent / "shared" / "models" / "whisper-tiny.en"
EMODB = ROOT.parent / "shared" / "corpora" / "emodb"


def waves(n: int) -> tuple[list[np.ndarray], str]:
    import soundfile as sf

    files = sorted(EMODB.rglob("*.wav"))[:n]
    if files:
        return [sf.read(f, dtype="float32")[0] for f in files], f"the first {len(files)} EmoDB files"
    t = np.arange(48000) / 16000
    return [(0.1 * np.sin(2 * np.pi * (150 + 5 * k) * t)).astype(np.float32) for k in range(n)], f"{n} 3 s tones"


def speed(up, xs, threads: int) -> tuple[float, list[np.ndarray]]:
    """x real time of the upstream over `xs` (one utterance at a time) with `threads` threads."""
    torch.set_num_threads(threads)
    states = []
    t = time.perf_counter()
    with torch.no_grad():
        for x in xs:
            s, n = up(torch.from_numpy(x)[None], torch.tensor([x.size]))
            states.append(s[0, : int(n[0])].reshape(int(n[0]), -1).half().numpy())
    return sum(x.size for x in xs) / 16000 / (time.perf_counter() - t), states


def help_time() -> float:
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "jsertk"), "--help"], check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--utts", type=int, default=40)
    args = ap.parse_args()
    if not WHISPER.is_dir():
        sys.exit(f"bench_upstream.py: {WHISPER} not found; the upstream benchmark needs the real Whisper tiny.en")
    xs, what = waves(args.utts)
    audio_s = sum(x.size for x in xs) / 16000
    cores = os.cpu_count() or 1
    rows, states = [], None
    for mode in ("crop", "pad"):
        up = load_upstream(WHISPER, whisper_input=mode).eval()
        one, _ = speed(up, xs, 1)
        many, got = speed(up, xs, cores)
        states = got if mode == "crop" else states
        rows.append((mode, one, many))
    # a training epoch's input: dumped states read back and summed, against the upstream on the fly
    torch.set_num_threads(cores)
    mix = LayerWeightedSum(5, None)
    with tempfile.TemporaryDirectory() as tmp:
        with ArkScpWriter(Path(tmp) / "feats.ark", Path(tmp) / "feats.scp") as w:
            for k, s in enumerate(states):
                w.write(f"utt{k:04d}", s)
        t = time.perf_counter()
        feats = load_scp(Path(tmp) / "feats.scp")
        for k in range(len(states)):
            x = torch.from_numpy(np.asarray(feats[f"utt{k:04d}"], dtype=np.float32))
            mix(x.view(1, x.size(0), 5, 384))
        dumped_s = time.perf_counter() - t
    crop_many = rows[0][2]
    fly_s = audio_s / crop_many
    help_s = help_time()
    md = f"""## Upstream: Whisper tiny.en encoder (`tools/bench/bench_upstream.py`)

Machine: {machine()}; no GPU measured (none on this machine).
Command: `tools/venv/bin/python tools/bench/bench_upstream.py --utts {args.utts}`, run on {date.today()}.
Input: {what} ({audio_s:.1f} s of audio), one utterance at a time, frozen encoder, float32, all 5 hidden states.

| whisper_input | x real time, 1 thread (per core) | x real time, {cores} threads |
|---|---:|---:|
""" + "".join(f"| {m} | {a:.1f} | {b:.1f} |\n" for m, a, b in rows) + f"""
`crop` is {rows[0][1] / rows[1][1]:.1f}x faster than `pad` on one core: padding every utterance to Whisper's 30 s
window costs as much for a 3 s clip as for a 30 s one.

A training epoch's input over the same utterances: {dumped_s:.3f} s from dumped float16 states (read the ark,
weighted sum), {fly_s:.2f} s running the upstream (crop) on the fly, {fly_s / max(dumped_s, 1e-9):.0f}x more.
A frozen upstream is therefore dumped once (`jsertk dump-upstream`, the cost of one on-the-fly epoch) and every
epoch after reads the dump; the on-the-fly path is for fine-tuning (`freeze` other than `frozen`) and for packed
models reading audio.

`jsertk --help`: {help_s:.2f} s (it does not import transformers: only a config naming an upstream does).
"""
    update_section("upstream", md)
    print(md)


if __name__ == "__main__":
    main()
