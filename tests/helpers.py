"""Builders of small test inputs, importable from any test as `from helpers import ...`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SHARED = Path(__file__).resolve().parents[2] / "shared"


def write_tone(path: Path, seconds: float = 0.5, sr: int = 16000, freq: float = 220.0, channels: int = 1) -> Path:
    """A sine tone with a little noise, as 16-bit PCM."""
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, sr, subtype="PCM_16")
    return path


def make_data_dir(root: Path, speakers=("spkA", "spkB", "spkC"), utts_per_spk: int = 3, *, labels: bool = True,
                  seconds: float = 0.5) -> Path:
    """A valid data dir at `root` with wav.scp (real wav files), utt2spk, spk2utt, text,
    spk2gender and, with `labels`, utt2emo and utt2dim."""
    root.mkdir(parents=True, exist_ok=True)
    emotions = ["neutral", "happy", "angry", "sad"]
    wav, utt2spk, text, emo, dim = [], [], [], [], []
    for si, spk in enumerate(speakers):
        for i in range(utts_per_spk):
            utt = f"{spk}-utt{i:03d}"
            path = write_tone(root / "wav" / f"{utt}.wav", seconds, freq=150.0 + 40 * si + 10 * i)
            wav.append(f"{utt} {path}")
            utt2spk.append(f"{utt} {spk}")
            text.append(f"{utt} hello world number {i}")
            emo.append(f"{utt} {emotions[(si + i) % 4]}")
            dim.append(f"{utt} {0.1 * i:.1f} 0.5 -0.2")
    (root / "wav.scp").write_text("\n".join(wav) + "\n")
    (root / "utt2spk").write_text("\n".join(utt2spk) + "\n")
    (root / "spk2utt").write_text("".join(
        f"{spk} " + " ".join(f"{spk}-utt{i:03d}" for i in range(utts_per_spk)) + "\n" for spk in speakers))
    (root / "text").write_text("\n".join(text) + "\n")
    (root / "spk2gender").write_text("".join(f"{spk} {'mf'[i % 2]}\n" for i, spk in enumerate(speakers)))
    if labels:
        (root / "utt2emo").write_text("\n".join(emo) + "\n")
        (root / "utt2dim").write_text("\n".join(dim) + "\n")
    return root




def make_segmented_dir(root: Path) -> Path:
    """A valid data dir whose three utterances are segments of two 2-second recordings."""
    root.mkdir(parents=True, exist_ok=True)
    write_tone(root / "rec1.wav", 2.0)
    write_tone(root / "rec2.wav", 2.0, freq=300.0)
    (root / "wav.scp").write_text(f"rec1 {root}/rec1.wav\nrec2 {root}/rec2.wav\n")
    (root / "segments").write_text("spkA-utt000 rec1 0.0 0.5\nspkA-utt001 rec1 0.5 1.0\nspkB-utt000 rec2 0.0 1.5\n")
    (root / "utt2spk").write_text("spkA-utt000 spkA\nspkA-utt001 spkA\nspkB-utt000 spkB\n")
    (root / "spk2utt").write_text("spkA spkA-utt000 spkA-utt001\nspkB spkB-utt000\n")
    (root / "text").write_text("spkA-utt000 one\nspkA-utt001 two\nspkB-utt000 three\n")
    return root


def interruptible() -> None:
    """preexec_fn for a child that a test stops with SIGINT (Ctrl-C): a shell's background job (`cmd &`,
    as under nohup or some CI runners) starts with SIGINT ignored, and the child would inherit that."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
