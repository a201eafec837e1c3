#!/usr/bin/env python3
"""Joint ASR-SER inference benchmark: real-time factor on one CPU core and batch throughput.

The model is the synthetic-corpus recipe's (egs/synth_emo/jser1/conf/train_asr.yaml encoder and
decoder under conf/train_jser.yaml's lexical branch, fusion and heads), or a packed model given
with --packed. Compute does not depend on the weights, so without --packed the recipe's model is
built with its initial weights. Audio: tones with noise, 2-8 s, 16 kHz, written as WAV files (or --wav-scp), so
the times include reading the file and fbank, as `jsertk infer` does. Writes the `ser_infer`
section of docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_ser_infer.py [--packed DIR] [--files 40] [--no-write]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, update_section  # noqa: E402

RECIPE = ROOT / "egs" / "synth_emo" / "jser1" / "conf"


def recipe_recognizer(tmp: Path):
    from jsertk.features.fbank import FbankConfig
    from jsertk.infer.recognizer import Recognizer
    from jsertk.tasks.base import get_task
    from jsertk.tasks.config import load_train_config
    from jsertk.text import train_tokenizer

    asr = yaml.safe_load((RECIPE / "train_asr.yaml").read_text())
    train_tokenizer(["the quick brown fox jumps over the lazy dog"] * 3, tmp / "tok", model_type="char", vocab_size=30)
    over = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={yaml.safe_dump(v, default_flow_style=True).strip()}"
            for k, v in asr.items() if k in ("encoder", "encoder_conf", "decoder", "decoder_conf")]
    cfg = load_train_config(RECIPE / "train_jser.yaml", [*over, f"tokenizer={tmp / 'tok'}",
                                                         "classes=[angry, happy, neutral, sad]"])
    cfg["input_dim"] = 80
    spec = get_task("jser")
    res = spec.setup(cfg, tmp / "exp", training=True)
    model = spec.build(cfg, res, 80, training=False).eval()
    return Recognizer(model, res.tokenizer, FbankConfig()), sum(p.numel() for p in model.parameters())


def write_audio(tmp: Path, n: int) -> tuple[list[str], float]:
    rng = np.random.default_rng(0)
    paths, total = [], 0.0
    for i in range(n):
        sec = float(rng.uniform(2, 8))
        t = np.arange(int(sec * 16000)) / 16000
        x = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 300) * t) + 0.05 * rng.standard_normal(t.size)
        path = tmp / f"u{i:03d}.wav"
        sf.write(path, x, 16000, subtype="PCM_16")
        paths.append(str(path))
        total += sec
    return paths, total


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--packed", type=Path, default=None, help="packed model (default: the recipe's architecture)")
    p.add_argument("--files", type=int, default=40, help="audio files (2-8 s each)")
    p.add_argument("--wav-scp", type=Path, default=None, help="take the first FILES audio files of this wav.scp "
                   "(plain paths) instead of generated tones, e.g. the synthetic corpus's test set")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 16], help="files per forward pass")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.packed:
            from jsertk.infer.recognizer import Recognizer

            rec = Recognizer.from_dir(args.packed)
            n_params = sum(p.numel() for p in rec.model.parameters())
            what = f"packed model {args.packed}"
        else:
            rec, n_params = recipe_recognizer(tmp)
            what = "the recipe's model (conf/train_asr.yaml encoder/decoder + conf/train_jser.yaml)"
        if args.wav_scp:
            paths = [line.split(maxsplit=1)[1].strip() for line in args.wav_scp.read_text().splitlines()][: args.files]
            audio_s = sum(sf.info(p).duration for p in paths)
            audio = f"the first {len(paths)} files of {args.wav_scp}"
        else:
            paths, audio_s = write_audio(tmp, args.files)
            audio = f"{len(paths)} WAV files of tones with noise"
        torch.set_num_threads(1)
        list(rec.recognize_files(paths[:2]))  # warm-up
        fbank_s = timed(lambda: [rec.features(p) for p in paths])
        rows = []
        for threads in sorted({1, os.cpu_count() or 1}):
            torch.set_num_threads(threads)
            for bs in args.batch_sizes:
                s = timed(lambda bs=bs: list(rec.recognize_files(paths, batch_size=bs)))
                rows.append((threads, bs, s))
    load = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").is_file() else "?"
    one = next(s for t, b, s in rows if t == 1 and b == 1)
    lines = [
        "## Joint ASR-SER inference (`tools/bench/bench_ser_infer.py`)",
        "",
        f"Machine: {machine()}. Load average {load} at the end of the run.",
        f"Command: `tools/venv/bin/python tools/bench/bench_ser_infer.py{' ' if sys.argv[1:] else ''}"
        f"{' '.join(sys.argv[1:])}`, run on {time.strftime('%Y-%m-%d')}.",
        f"Model: {what}, {n_params / 1e6:.2f} M parameters. Audio: {audio}, {audio_s:.0f} s in all.",
        f"Each figure is one pass over all files through `Recognizer.recognize_files` (read WAV, fbank, encoder, "
        f"CTC 1-best, lexical branch, fusion, heads); fbank alone takes {fbank_s:.2f} s "
        f"(RTF {fbank_s / audio_s:.4f}) of it.",
        "",
        "| torch threads | files per batch | seconds | RTF | x real time | throughput vs batch 1, same threads |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for threads, bs, s in rows:
        base = next(x for t, b, x in rows if t == threads and b == args.batch_sizes[0])
        lines.append(f"| {threads} | {bs} | {s:.2f} | {s / audio_s:.4f} | {audio_s / s:.1f} | {base / s:.2f} |")
    lines += ["", f"Real-time factor on one CPU core, one file at a time: **{one / audio_s:.4f}** "
              f"({audio_s / one:.0f}x faster than real time). RTF = processing time / audio duration."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("ser_infer", text)


if __name__ == "__main__":
    main()
