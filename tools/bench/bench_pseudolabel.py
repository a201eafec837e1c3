#!/usr/bin/env python3
"""Pseudo-labelling benchmark: utterances per second per core of `jsertk pseudolabel` with a small jser model.

Data: the synthetic 80-dim features of bench_asr.py that spell their transcripts (1.5-10 s per
utterance), with emotion labels cycling over 4 classes. A small jser model (2-block 144-dim
conformer + CTC, a 128-dim lexical branch, concat fusion and heads) is trained here for a few epochs
so that its CTC 1-best is not empty (the lexical branch's work grows with the hypothesis), then a
separate set of unlabelled utterances is pseudo-labelled:

1. scoring alone (encoder, CTC 1-best, lexical branch, fusion, heads) in-process on 1 thread;
2. the whole command, `--nj 1 --threads 1` (one process, one core) and `--nj 2 --threads 1`
   (two jobs of the local backend), including process start, model loading, selection and writing.

Writes the `pseudolabel` section of docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_pseudolabel.py [--utts 120] [--train-utts 80] [--epochs 6] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_asr import ENCODER, WORDS, spelled_corpus  # noqa: E402
from common import machine, update_section  # noqa: E402

EMOTIONS = ("angry", "happy", "neutral", "sad")
SMALL_ENCODER = {**ENCODER, "num_blocks": 2}


def label(root: Path) -> Path:
    """utt2emo (cycling classes), utt2spk, spk2utt and wav.scp for a spelled_corpus dir."""
    utts = sorted(line.split()[0] for line in (root / "utt2num_frames").read_text().splitlines())
    (root / "utt2emo").write_text("".join(f"{u} {EMOTIONS[i % 4]}\n" for i, u in enumerate(utts)))
    (root / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in utts))
    spks = sorted({u.split("-")[0] for u in utts})
    (root / "spk2utt").write_text("".join(f"{s} {' '.join(u for u in utts if u.startswith(s + '-'))}\n"
                                          for s in spks))
    (root / "wav.scp").write_text("".join(f"{u} /corpus/{u}.wav\n" for u in utts))
    return root


def train_model(work: Path, n_utts: int, epochs: int) -> Path:
    from jsertk.text import train_tokenizer
    from jsertk.train import run_training

    train = label(spelled_corpus(_mk(work / "train"), n_utts, seed=0))
    train_tokenizer([" ".join(WORDS)] * 3, work / "tok", model_type="char", vocab_size=30)
    cfg = {"model": "jser", "tokenizer": str(work / "tok"), "cmvn": str(train / "cmvn.ark"),
           "encoder_conf": SMALL_ENCODER, "frontend": {"apply_specaug": False},
           "data": {"max_frames_per_batch": 12000, "label_root": ""},
           "lexical": {"dim": 128, "num_layers": 2, "heads": 4}, "fusion": {"dim": 128, "heads": 4},
           "heads": {"hidden": 128}, "optim": {"lr": 0.003}, "scheduler": {"name": "warmuplr", "warmup_steps": 20},
           "train": {"max_epochs": epochs, "best_metric": "train/loss", "best_mode": "min", "keep_nbest": 1,
                     "log_interval": 1000}}
    (work / "jser.yaml").write_text(yaml.safe_dump(cfg))
    run_training(work / "jser.yaml", [train], [], work / "exp")
    return work / "exp"


def _mk(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def unlabelled(work: Path, n_utts: int) -> tuple[Path, Path, float]:
    """(feature dir, data dir with .ref/, audio seconds)."""
    feats = spelled_corpus(_mk(work / "dump" / "unlab"), n_utts, seed=1)
    data = _mk(work / "data" / "unlab")
    label(feats)
    for name in ("utt2spk", "spk2utt", "wav.scp"):
        (data / name).write_text((feats / name).read_text())
    _mk(data / ".ref")
    for name in ("utt2emo", "text"):
        (data / ".ref" / name).write_text((feats / name).read_text())
        (feats / name).unlink()
    frames = sum(int(line.split()[1]) for line in (feats / "utt2num_frames").read_text().splitlines())
    return feats, data, frames / 100.0


def run_command(exp: Path, feats: Path, data: Path, out: Path, nj: int) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "jsertk.cli.main", "pseudolabel", "--model", str(exp), "--data", str(feats),
           "--labels-from", str(data), "--out", str(out), "--nj", str(nj), "--threads", "1", "--agreement", "any"]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    if res.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{res.stderr}")
    return time.perf_counter() - t0, json.loads((out / "pseudolabel.json").read_text())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--utts", type=int, default=120, help="unlabelled utterances to pseudo-label")
    p.add_argument("--train-utts", type=int, default=80, help="utterances to train the small model on")
    p.add_argument("--epochs", type=int, default=6, help="training epochs (the 1-best is empty after too few)")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = p.parse_args()
    t_start = time.perf_counter()
    load_start = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").is_file() else "?"
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        exp = train_model(work, args.train_utts, args.epochs)
        feats, data, audio_s = unlabelled(work, args.utts)

        from jsertk.infer.pseudolabel_score import load_jser, score_dir

        torch.set_num_threads(1)
        model, tok = load_jser(exp, "model.pth", "cpu")
        n_params = sum(x.numel() for x in model.parameters())
        score_dir(model, tok, feats)  # warm-up
        t0 = time.perf_counter()
        scores, _ = score_dir(model, tok, feats)
        score_s = time.perf_counter() - t0
        nonempty = sum(bool(s.text.strip()) for s in scores) / len(scores)
        rows = [("scoring only, in-process", 1, 1, score_s)]
        for nj in (1, 2):
            wall, summary = run_command(exp, feats, data, work / f"pl_nj{nj}", nj)
            rows.append((f"`jsertk pseudolabel --nj {nj} --threads 1`", nj, nj, wall))
    load_end = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").is_file() else "?"
    n = len(scores)
    kept_wer = summary.get("reference_text", {}).get("all", {}).get("wer")
    acc = summary.get("reference_emotion", {}).get("all", {}).get("accuracy")
    lines = [
        "## Pseudo-labelling (`tools/bench/bench_pseudolabel.py`)",
        "",
        f"Machine: {machine()}. torch {torch.__version__}. Command: `tools/venv/bin/python "
        f"tools/bench/bench_pseudolabel.py{' ' if sys.argv[1:] else ''}{' '.join(sys.argv[1:])}`, run on "
        f"{time.strftime('%Y-%m-%d')} ({time.perf_counter() - t_start:.0f} s in all; 1-minute load average "
        f"{load_start} at the start, {load_end} at the end: other work on the machine slows the timings).",
        "",
        f"Model: jser, conformer (2 blocks, 144 dim) + CTC, lexical branch (CTC posteriors, 2 layers, 128 dim), "
        f"concat fusion, emotion (fused, acoustic, lexical) and dimensional heads, {n_params / 1e6:.2f} M "
        f"parameters, trained {args.epochs} epochs on {args.train_utts} synthetic utterances. Data: {n} unlabelled "
        f"synthetic utterances (80-dim features spelling their transcripts, 1.5-10 s, {audio_s / 60:.1f} min); "
        f"{100 * nonempty:.0f}% of the CTC 1-best hypotheses are non-empty (all-utterance WER "
        f"{'-' if kept_wer is None else f'{100 * kept_wer:.0f}%'}, emotion accuracy "
        f"{'-' if acc is None else f'{100 * acc:.0f}%'} against the hidden labels: the speed, not the model, is "
        "measured). Selection: `--agreement any`, no threshold.",
        "",
        "| what | jobs | cores | seconds | utterances / s | utterances / s / core | RTF per core |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for what, jobs, cores, s in rows:
        lines.append(f"| {what} | {jobs} | {cores} | {s:.2f} | {n / s:.2f} | {n / s / cores:.2f} | "
                     f"{s * cores / audio_s:.4f} |")
    one = rows[1][3]
    lines += ["", f"Pseudo-labelling on one core: **{n / one:.2f} utterances per second** "
              f"(whole command; scoring alone {n / score_s:.2f}). Two jobs finish in {rows[2][3] / one:.2f}x the "
              "time of one on this shared 2-core machine (per-job process start and model loading included). "
              "RTF = processing time x cores / audio duration."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("pseudolabel", text)


if __name__ == "__main__":
    main()
