"""Builders of small joint ASR-SER test inputs: feature dirs with emotion, dimension and gender labels,
and a tiny `model: jser` config. Importable from any test as `from jser_helpers import ...`."""
from __future__ import annotations

from pathlib import Path

import yaml
from asr_helpers import TINY_MODEL, make_feats_dir

from jsertk.features.fbank import FbankConfig

EMOTIONS = ("angry", "happy", "neutral")
FBANK = FbankConfig(num_mel_bins=20)
# config sections of an acoustic-only joint model (no tokenizer, no transcripts read)
ACOUSTIC_ONLY = {"asr_weight": 0.0, "lexical": {"source": "none"},
                 "heads": {"emotion_acoustic": 0.0, "emotion_lexical": 0.0, "dimensional": 0.0, "hidden": 16}}


def fbank_dir(src, out, config: FbankConfig = FBANK):
    """Features of a data dir as compute-fbank lays them out, with its label files beside them."""
    import shutil

    import soundfile as sf

    from jsertk.data.datadir import DataDir
    from jsertk.features.fbank import FbankExtractor
    from jsertk.features.io import ArkScpWriter

    out.mkdir(parents=True)
    extract, frames = FbankExtractor(config), {}
    with ArkScpWriter(out / "feats.ark", out / "feats.scp") as w:
        for utt, path in sorted(DataDir(src).load("wav.scp").items()):
            x, _ = sf.read(path, dtype="float32")
            feats = extract(x)
            w.write(utt, feats)
            frames[utt] = len(feats)
    (out / "utt2num_frames").write_text("".join(f"{u} {n}\n" for u, n in frames.items()))
    (out / "fbank.yaml").write_text(yaml.safe_dump(config.as_dict()))
    for name in ("text", "utt2spk", "spk2utt", "utt2emo", "utt2dim", "spk2gender"):
        shutil.copy(src / name, out / name)
    return out


def make_ser_dir(root: Path, n_utts: int = 12, seed: int = 0, emo: bool = True, **kw) -> Path:
    """`make_feats_dir` plus utt2emo (cycling over EMOTIONS), utt2dim and spk2gender."""
    make_feats_dir(root, n_utts=n_utts, seed=seed, **kw)
    utts = [line.split()[0] for line in (root / "utt2num_frames").read_text().splitlines()]
    if emo:
        (root / "utt2emo").write_text("".join(f"{u} {EMOTIONS[i % 3]}\n" for i, u in enumerate(utts)))
        (root / "utt2dim").write_text("".join(f"{u} {0.1 * (i % 5):.1f} {0.2 * (i % 3):.1f} 0.5\n"
                                              for i, u in enumerate(utts)))
    spks = sorted({line.split()[1] for line in (root / "utt2spk").read_text().splitlines()})
    (root / "spk2gender").write_text("".join(f"{s} {'mf'[i % 2]}\n" for i, s in enumerate(spks)))
    return root


TINY_JSER = {
    "model": "jser",
    "encoder_conf": {"output_size": 32, "attention_heads": 2, "linear_units": 64, "num_blocks": 1,
                     "input_layer": "conv2d", "dropout_rate": 0.0, "cnn_module_kernel": 7},
    "lexical": {"dim": 32, "num_layers": 1, "heads": 2},
    "fusion": {"dim": 32, "heads": 2},
    "heads": {"hidden": 32},
    "aae": {"z_dim": 4, "hidden": 32},
    "train": {"max_epochs": 1, "keep_nbest": 1, "best_metric": "valid/ua", "best_mode": "max"},
}


def write_jser_config(path: Path, tokenizer: Path | None, cmvn: Path | None = None, **sections) -> Path:
    """A `model: jser` config for a 1-block 32-dim conformer; `sections` update the defaults one level deep."""
    cfg = {k: dict(v) if isinstance(v, dict) else v for k, v in TINY_MODEL.items()}
    for k, v in TINY_JSER.items():
        cfg[k] = {**cfg.get(k, {}), **v} if isinstance(v, dict) else v
    for k, v in sections.items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    cfg["tokenizer"] = str(tokenizer) if tokenizer else ""
    cfg["cmvn"] = str(cmvn) if cmvn else ""
    path.write_text(yaml.safe_dump(cfg))
    return path
