#!/usr/bin/env python3
"""`jsertk infer` over many files: memory stays flat while the results stream out.

The recipe's joint model (as in bench_ser_infer.py, initial weights) runs `Recognizer.recognize_files`
over N generated WAV files (0.5-1.5 s tones with noise), writing each result as a JSON line as
`jsertk infer --output` does; the resident memory (VmRSS) is sampled every 100 files. Flat means
the RSS after the first few hundred files does not grow with the number of files. Writes the
`infer_memory` section of docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_infer_memory.py [--files 2000] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ser_infer import recipe_recognizer  # noqa: E402
from common import machine, update_section  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--files", type=int, default=2000, help="audio files (0.5-1.5 s each)")
    p.add_argument("--batch-size", type=int, default=8, help="files per forward pass")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = p.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rec, n_params = recipe_recognizer(tmp)
        paths, audio_s = [], 0.0
        for i in range(args.files):
            sec = float(rng.uniform(0.5, 1.5))
            t = np.arange(int(sec * 16000)) / 16000
            x = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 300) * t) + 0.05 * rng.standard_normal(t.size)
            path = tmp / "wav" / f"u{i:05d}.wav"
            path.parent.mkdir(exist_ok=True)
            sf.write(path, x, 16000, subtype="PCM_16")
            paths.append(str(path))
            audio_s += sec
        samples = [(0, rss_mib())]
        t0 = time.perf_counter()
        with open(tmp / "out.jsonl", "w", encoding="utf-8") as out:
            for n, r in enumerate(rec.recognize_files(paths, batch_size=args.batch_size), 1):
                out.write(json.dumps(r) + "\n")
                if n % 100 == 0:
                    samples.append((n, rss_mib()))
        seconds = time.perf_counter() - t0
        lines_written = sum(1 for _ in open(tmp / "out.jsonl", encoding="utf-8"))
    after = [m for n, m in samples if n >= 300]
    growth = max(after) - min(after) if after else float("nan")
    text = "\n".join([
        "## `jsertk infer` memory over many files (`tools/bench/bench_infer_memory.py`)",
        "",
        f"Machine: {machine()}. Command: `tools/venv/bin/python tools/bench/bench_infer_memory.py"
        f"{' ' if sys.argv[1:] else ''}{' '.join(sys.argv[1:])}`, run on {time.strftime('%Y-%m-%d')}.",
        f"Model: the recipe's joint model, {n_params / 1e6:.2f} M parameters, 1 torch thread, {args.batch_size} files "
        f"per batch. {lines_written} files ({audio_s:.0f} s of audio) in {seconds:.0f} s, one JSON line each.",
        "",
        "| files done | " + " | ".join(str(n) for n, _ in samples[:: max(1, len(samples) // 10)]) + " |",
        "|---|" + "---:|" * len(samples[:: max(1, len(samples) // 10)]),
        "| RSS MiB | " + " | ".join(f"{m:.0f}" for _, m in samples[:: max(1, len(samples) // 10)]) + " |",
        "",
        f"From 300 files on, the resident memory varies by **{growth:.1f} MiB** (min {min(after):.0f}, "
        f"max {max(after):.0f} MiB): the files stream through, nothing accumulates per file.",
    ])
    print(text)
    if not args.no_write:
        update_section("infer_memory", text)


if __name__ == "__main__":
    main()
