#!/usr/bin/env python3
"""ASR benchmark: training throughput (ours vs a plain padded loop) and decoding real-time factor.

1. Training throughput, seconds of audio per second, one epoch each over the same utterances
   with the same ESPnet conformer + CTC model and optimizer:
   - jsertk's trainer: length-bucketed batches under a frame budget;
   - a plain PyTorch loop with naive padding: random batches with as many utterances as ours
     have on average, each padded to its longest utterance.
2. Decoding real-time factor on one CPU thread (decode time / audio duration) for CTC greedy,
   CTC prefix beam and joint CTC/attention beam, with a small model trained here first, and the
   WER each method reaches.

The data are synthetic 80-dim features that spell their transcripts (a fixed random vector per
letter, with noise), with utterance lengths like read speech, so the model can learn them in a
few CPU minutes and the beam searches see realistic hypotheses. Writes the `asr` section of
docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_asr.py [--utts 240] [--epochs 1] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, update_section  # noqa: E402

WORDS = ("zero one two three four five six seven eight nine red green blue black white cat dog bird fish "
         "house tree river stone light dark fast slow happy angry calm").split()
ENCODER = {"output_size": 144, "attention_heads": 4, "linear_units": 576, "num_blocks": 4, "input_layer": "conv2d",
           "dropout_rate": 0.1, "cnn_module_kernel": 15}


def spelled_corpus(root: Path, n_utts: int, seed: int, dim: int = 80, frames_per_char: int = 7) -> Path:
    """A feature dir (feats, utt2num_frames, text, cmvn.ark) of 3 to 16 word utterances (~1.5-10 s)."""
    import kaldiio

    from jsertk.features.io import ArkScpWriter

    rng = np.random.default_rng(seed)
    protos = {c: np.random.default_rng(ord(c)).normal(0, 1, dim) for c in "abcdefghijklmnopqrstuvwxyz"}
    stats = np.zeros((2, dim + 1))
    text, frames = {}, {}
    with ArkScpWriter(root / "feats.ark", root / "feats.scp") as w:
        for i in range(n_utts):
            words = [WORDS[j] for j in rng.choice(len(WORDS), size=int(rng.integers(3, 17)))]
            rows = [np.zeros((5, dim))]
            for word in words:
                rows += [np.repeat(protos[c][None], frames_per_char, 0) for c in word] + [np.zeros((4, dim))]
            x = np.concatenate(rows)
            x = (x + 0.3 * rng.normal(size=x.shape)).astype(np.float32)
            utt = f"spk{i % 8}-{i:05d}"
            w.write(utt, x)
            text[utt], frames[utt] = " ".join(words), len(x)
            stats[0, :-1] += x.sum(0)
            stats[1, :-1] += (x.astype(np.float64) ** 2).sum(0)
            stats[0, -1] += len(x)
    for name, table in (("text", text), ("utt2num_frames", frames)):
        (root / name).write_text("".join(f"{k} {v}\n" for k, v in sorted(table.items())))
    kaldiio.save_mat(str(root / "cmvn.ark"), stats)
    return root


def write_config(path: Path, work: Path, **sections) -> Path:
    cfg = {"tokenizer": str(work / "tok"), "cmvn": str(work / "train" / "cmvn.ark"), "encoder_conf": ENCODER,
           "frontend": {"apply_specaug": False}, "data": {"max_frames_per_batch": 12000, "label_root": ""},
           "optim": {"lr": 0.002}, "scheduler": {"name": "warmuplr", "warmup_steps": 100},
           "train": {"max_epochs": 1, "best_metric": "train/loss", "keep_nbest": 1, "log_interval": 1000}}
    for k, v in sections.items():
        cfg[k] = {**cfg.get(k, {}), **v} if isinstance(v, dict) else v
    path.write_text(yaml.safe_dump(cfg))
    return path


def train_ours(work: Path, epochs: int) -> tuple[float, float]:
    """(audio s per s, mean utterances per batch) of jsertk's trainer with bucketing."""
    from jsertk.train import run_training

    out = work / "exp_ours"
    run_training(write_config(work / "ours.yaml", work, train={"max_epochs": epochs}), [work / "train"], [], out)
    history = json.loads((out / "history.json").read_text())
    from jsertk.dataset.sampler import BucketBatchSampler

    lengths = [int(line.split()[1]) for line in (work / "train" / "utt2num_frames").read_text().splitlines()]
    batches = BucketBatchSampler(lengths, 12000).all_batches(1)
    speed = sum(h["train/audio_seconds_per_second"] * h["train/epoch_time_s"] for h in history) / \
        sum(h["train/epoch_time_s"] for h in history)
    return speed, len(lengths) / len(batches)


def train_plain(work: Path, epochs: int, batch_size: int) -> tuple[float, float]:
    """(audio s per s, padding share) of a plain loop over random fixed-size batches."""
    from functools import partial

    from jsertk.dataset.feats import FeatsDataset, collate
    from jsertk.tasks.base import get_task
    from jsertk.tasks.config import load_train_config

    cfg = load_train_config(write_config(work / "plain.yaml", work))
    spec = get_task("asr")
    resources = spec.setup(cfg, work / "exp_plain", training=True)
    data = FeatsDataset([work / "train"], spec.label_parsers(resources), label_root=None, min_frames=10,
                        max_frames=3000)
    torch.manual_seed(0)
    model = spec.build(cfg, resources, data.input_dim, training=True)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["optim"]["lr"], betas=(0.9, 0.98), weight_decay=1e-6)
    model.train()
    frames = padded = 0
    elapsed = 0.0
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(data))
        batches = [order[i:i + batch_size].tolist() for i in range(0, len(order), batch_size)]
        loader = torch.utils.data.DataLoader(data, batch_sampler=batches,
                                             collate_fn=partial(collate, label_names=["text"]))
        t0 = time.perf_counter()
        for batch in loader:
            loss = model(batch)["loss"]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            opt.zero_grad()
            frames += int(batch["feat_lens"].sum())
            padded += batch["feats"].shape[0] * batch["feats"].shape[1]
        elapsed += time.perf_counter() - t0
    return frames / 100.0 / elapsed, 1 - frames / padded


def decode_rtf(work: Path, decode_epochs: int) -> list[dict]:
    """Train a small joint CTC/attention model, then decode the test set on one thread per method."""
    from jsertk.infer.asr import DecodeOptions, DecodeStats, decode_dir
    from jsertk.metrics.wer import score
    from jsertk.tasks.experiment import load_model
    from jsertk.train import run_training

    out = work / "exp_decode"
    cfg = write_config(work / "dec.yaml", work, encoder_conf={**ENCODER, "num_blocks": 2}, decoder="transformer",
                       decoder_conf={"attention_heads": 4, "linear_units": 576, "num_blocks": 2},
                       model_conf={"ctc_weight": 0.3}, train={"max_epochs": decode_epochs, "best_metric": "valid/cer",
                                                               "keep_nbest": 3}, scheduler={"warmup_steps": 150})
    run_training(cfg, [work / "train"], [work / "test"], out)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model, _, res = load_model(out)
        refs = dict(line.split(" ", 1) for line in (work / "test" / "text").read_text().splitlines())
        rows = []
        for method, beam in (("greedy", 1), ("ctc_beam", 10), ("joint", 10)):
            stats = DecodeStats()
            hyps = {h.utt: h.text for h in decode_dir(model, res.tokenizer, work / "test",
                                                      DecodeOptions(method, beam_size=beam), stats)}
            rows.append({"method": method, "beam": beam, "rtf": stats.rtf, "audio_s": stats.audio_seconds,
                         "wer": score(refs, hyps).words.rate})
        return rows
    finally:
        torch.set_num_threads(threads)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--utts", type=int, default=240, help="training utterances (default 240, ~20 min of audio)")
    ap.add_argument("--test-utts", type=int, default=40, help="utterances decoded for the RTF (default 40)")
    ap.add_argument("--epochs", type=int, default=1, help="epochs timed per training loop (default 1)")
    ap.add_argument("--decode-epochs", type=int, default=12, help="epochs for the decoding model (default 12)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = ap.parse_args()

    from jsertk.text import train_tokenizer
    from jsertk.train.reporting import setup_logging

    setup_logging(None)
    t_start, load_start = time.time(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        spelled_corpus(work / "train", args.utts, seed=0)
        spelled_corpus(work / "test", args.test_utts, seed=1)
        train_tokenizer([" ".join(WORDS)], work / "tok", model_type="char")
        audio_min = sum(int(ln.split()[1]) for ln in (work / "train" / "utt2num_frames").open()) / 100 / 60
        ours, mean_batch = train_ours(work, args.epochs)
        plain, pad_share = train_plain(work, args.epochs, max(1, round(mean_batch)))
        rows = decode_rtf(work, args.decode_epochs)
    cmd = "tools/venv/bin/python tools/bench/bench_asr.py" + "".join(
        f" --{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "no_write")
    md = [
        "## ASR: training throughput and decoding speed",
        "",
        f"Machine: {machine()}. torch {torch.__version__}, {torch.get_num_threads()} threads for training. "
        f"Command: `{cmd}` ({time.time() - t_start:.0f} s in all; 1-minute load average {load_start:.1f} "
        f"at the start, {os.getloadavg()[0]:.1f} at the end: other work on the machine slows the timings).",
        "",
        f"Training, one epoch over {args.utts} synthetic utterances ({audio_min:.1f} min of 80-dim features, "
        f"1.5 to 10 s each), ESPnet conformer (4 blocks, 144 dim) + CTC, AdamW, clipping, no augmentation:",
        "",
        "| loop | batching | audio s / s | ratio |",
        "|---|---|---:|---:|",
        f"| jsertk trainer | length buckets, 12000 padded frames per batch (mean {mean_batch:.1f} utts) "
        f"| {ours:.1f} | {ours / plain:.2f} |",
        f"| plain PyTorch loop | random batches of {max(1, round(mean_batch))} utts, {100 * pad_share:.0f}% "
        f"padding | {plain:.1f} | 1.00 |",
        "",
        f"Decoding on 1 thread, {args.test_utts} held-out utterances, model: conformer (2 blocks, 144 dim) + "
        f"transformer decoder (2 blocks) trained {args.decode_epochs} epochs here; RTF = decode time / audio "
        "duration (encoder included):",
        "",
        "| method | beam | RTF | WER % |",
        "|---|---:|---:|---:|",
        *[f"| {r['method']} | {r['beam']} | {r['rtf']:.4f} | {100 * r['wer']:.1f} |" for r in rows],
    ]
    text = "\n".join(md)
    print(text)
    if not args.no_write:
        update_section("asr", text)


if __name__ == "__main__":
    main()
