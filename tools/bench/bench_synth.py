#!/usr/bin/env python
"""Synthetic corpus generation speed: `jsertk synth-corpus` with --nj 1, 2, ... side by side.

Each run makes the same corpus (same size and seed) into a fresh directory. Reported: wall
seconds, utterances per second, audio seconds per wall second (x real time), and CPU seconds
(the command and every process it waited for), which do not depend on what else the machine
is running; the speed-up column is wall time relative to --nj 1. Writes the `synth` section of
docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_synth.py [--size demo] [--max-nj 2] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, update_section  # noqa: E402

JSERTK = ROOT / "tools" / "venv" / "bin" / "jsertk"


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(size: str, nj: int, work: Path) -> dict:
    out = work / f"nj{nj}"
    cpu0, t0 = children_cpu(), time.monotonic()
    subprocess.run([str(JSERTK), "synth-corpus", str(out), "--size", size, "--nj", str(nj)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, cpu = time.monotonic() - t0, children_cpu() - cpu0
    manifest = json.loads((out / "corpus.json").read_text())
    utts = sum(manifest["options"]["counts"].values())
    shutil.rmtree(out)
    return {"nj": nj, "wall": wall, "cpu": cpu, "utts": utts, "audio_s": manifest["audio_hours"] * 3600}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="demo", help="corpus size preset: tiny, demo or full")
    ap.add_argument("--max-nj", type=int, default=2, help="measure --nj 1 .. this")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_synth") as tmp:
        rows = [run(args.size, nj, Path(tmp)) for nj in range(1, args.max_nj + 1)]
    load_end = os.getloadavg()[0]
    base = rows[0]["wall"]
    lines = [
        f"`jsertk synth-corpus --size {args.size} --nj N` ({rows[0]['utts']} utterances, "
        f"{rows[0]['audio_s'] / 3600:.2f} h of audio). Machine: {machine()}; load average "
        f"{load:.1f} at start, {load_end:.1f} at end (other work shares the cores: compare CPU seconds).",
        "",
        "| --nj | wall (s) | utterances/s | x real time | CPU (s) | CPU s per audio hour | speed-up vs --nj 1 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['nj']} | {r['wall']:.1f} | {r['utts'] / r['wall']:.0f} | {r['audio_s'] / r['wall']:.0f} | "
                     f"{r['cpu']:.1f} | {r['cpu'] / (r['audio_s'] / 3600):.0f} | {base / r['wall']:.2f} |")
    lines += ["", f"Command: `tools/venv/bin/python tools/bench/bench_synth.py --size {args.size} "
                  f"--max-nj {args.max_nj}`"]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("synth", "## Synthetic corpus generation\n\n" + text)


if __name__ == "__main__":
    main()
