"""Builders of small ASR test inputs: feature dirs whose frames spell their transcripts, tokenizers,
and a tiny training config. Importable from any test as `from asr_helpers import ...`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

ASR_WORDS = ("one", "two", "red", "blue", "cat", "dog")


def make_feats_dir(root: Path, n_utts: int = 12, dim: int = 20, seed: int = 0, frames_per_char: int = 6,
                   speakers=("spkA", "spkB")) -> Path:
    """A feature dir like `jsertk compute-fbank` writes (feats.scp/ark, utt2num_frames, cmvn.ark, text,
    utt2spk, spk2utt) whose features spell the transcript: each letter is a fixed random vector held
    for `frames_per_char` frames (plus noise); words are separated by a few zero frames."""
    import kaldiio

    from jsertk.features.io import ArkScpWriter

    rng = np.random.default_rng(seed)
    protos = {c: np.random.default_rng(ord(c)).normal(0, 1, dim) for c in "abcdefghijklmnopqrstuvwxyz"}
    root.mkdir(parents=True, exist_ok=True)
    text, utt2spk, frames = {}, {}, {}
    stats = np.zeros((2, dim + 1))
    with ArkScpWriter(root / "feats.ark", root / "feats.scp") as w:
        for i in range(n_utts):
            spk = speakers[i % len(speakers)]
            utt = f"{spk}-u{i:03d}"
            words = [ASR_WORDS[j] for j in rng.choice(len(ASR_WORDS), size=int(rng.integers(2, 4)))]
            rows = [np.zeros((3, dim))]
            for word in words:
                rows += [np.repeat(protos[c][None], frames_per_char, 0) for c in word] + [np.zeros((3, dim))]
            x = np.concatenate(rows)
            x = (x + 0.1 * rng.normal(size=x.shape) + 2.0).astype(np.float32)
            w.write(utt, x)
            text[utt], utt2spk[utt], frames[utt] = " ".join(words), spk, len(x)
            stats[0, :-1] += x.sum(0)
            stats[1, :-1] += (x.astype(np.float64) ** 2).sum(0)
            stats[0, -1] += len(x)
    for name, table in (("text", text), ("utt2spk", utt2spk), ("utt2num_frames", frames)):
        (root / name).write_text("".join(f"{k} {v}\n" for k, v in sorted(table.items())))
    spk2utt = {s: " ".join(sorted(u for u in utt2spk if utt2spk[u] == s)) for s in speakers}
    (root / "spk2utt").write_text("".join(f"{s} {u}\n" for s, u in sorted(spk2utt.items()) if u))
    kaldiio.save_mat(str(root / "cmvn.ark"), stats)
    return root


def make_tokenizer(root: Path, texts=None, model_type: str = "char", vocab_size: int = 30) -> Path:
    from jsertk.text import train_tokenizer

    texts = texts or [" ".join(ASR_WORDS)] * 3
    train_tokenizer(texts, root, model_type=model_type, vocab_size=vocab_size)
    return root


TINY_MODEL = {
    "encoder": "conformer",
    "encoder_conf": {"output_size": 64, "attention_heads": 2, "linear_units": 128, "num_blocks": 2,
                     "input_layer": "conv2d", "dropout_rate": 0.0, "cnn_module_kernel": 7},
    "frontend": {"apply_specaug": False},
    "data": {"max_frames_per_batch": 600, "min_utt_frames": 10, "label_root": ""},
    "optim": {"lr": 0.003},
    "scheduler": {"name": "constant", "warmup_steps": 5},
    "train": {"max_epochs": 2, "keep_nbest": 2, "log_interval": 5},
}


def write_config(path: Path, tokenizer: Path, cmvn: Path | None = None, **sections) -> Path:
    """A training config for a tiny conformer; `sections` update (one level deep) the TINY_MODEL defaults."""
    cfg = {k: dict(v) if isinstance(v, dict) else v for k, v in TINY_MODEL.items()}
    for k, v in sections.items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    cfg["tokenizer"] = str(tokenizer)
    cfg["cmvn"] = str(cmvn) if cmvn else ""
    path.write_text(yaml.safe_dump(cfg))
    return path
