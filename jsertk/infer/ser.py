"""Emotion, dimensions and transcript of every utterance of a feature dir with a joint ASR-SER model.

The encoder runs once per length-bucketed batch; every head reads the same encoding. The
transcript is the CTC 1-best, the same hypothesis the lexical branch reads.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from jsertk.dataset.feats import AUDIO_RATE, FeatsDataset, collate
from jsertk.dataset.sampler import BucketBatchSampler
from jsertk.infer.asr import DecodeStats
from jsertk.models.components import min_input_frames
from jsertk.models.frontend import reads_waveforms, wants_speaker_stats


@dataclass
class SerResult:
    utt: str
    emotion: str
    posteriors: np.ndarray  # fused emotion head, over the class list
    views: dict[str, np.ndarray]  # posteriors of the acoustic-only / lexical-only heads (if built)
    dims: tuple[float, float, float] | None  # arousal, valence, dominance
    text: str | None  # None: the model has no tokenizer (acoustic only) and transcribes nothing
    text_conf: float  # mean peak posterior of the transcript's tokens (0 for an empty one)


def predict_batch(model, tokenizer, feats: torch.Tensor, feat_lens: torch.Tensor, utts: list[str],
                  stats=None, lexical=None) -> list[SerResult]:
    """`stats`: the utterances' speaker statistics (a model with frontend.normalize: speaker);
    `lexical`: their Whisper decoder states and lengths (lexical.source: whisper_states)."""
    out = model.predict(feats, feat_lens, stats, lexical)
    post = out["emotion"].float().cpu().numpy()
    views = {k: out[k].float().cpu().numpy() for k in ("emotion_acoustic", "emotion_lexical") if k in out}
    dims = out["dimensional"].float().cpu().numpy() if "dimensional" in out else None
    results = []
    for k, utt in enumerate(utts):
        results.append(SerResult(utt, model.classes[int(post[k].argmax())], post[k],
                                 {name: v[k] for name, v in views.items()},
                                 tuple(float(x) for x in dims[k]) if dims is not None else None,
                                 tokenizer.decode(out["tokens"][k]) if tokenizer is not None else None,
                                 float(out["text_conf"][k]) if tokenizer is not None else 0.0))
    return results


@torch.no_grad()
def predict_dir(model, tokenizer, data_dir: str | Path, stats: DecodeStats, max_frames_per_batch: int = 20000,
                device: str | torch.device = "cpu", frame_shift_ms: float = 10.0, skipped: list[str] | None = None,
                progress: Callable[[int, int], None] | None = None) -> Iterator[SerResult]:
    """Results for the utterances of `data_dir` long enough for the encoder (the others are counted
    in `stats.too_short` and, given `skipped`, appended to it), in bucketed order; `progress(done,
    total)` after each batch."""
    audio = reads_waveforms(model)
    data = FeatsDataset([data_dir], {}, label_root=None, min_frames=1, max_frames=0, audio=audio,
                        speaker_stats=wants_speaker_stats(model),
                        lexical=bool(getattr(model, "reads_lexical_states", False)))
    check_lexical_states(model, data.lexical_dirs)
    sampler = BucketBatchSampler(data.lengths, max_frames_per_batch, shuffle=False)
    min_frames = min_input_frames(model)
    total = sum(n >= min_frames for n in data.lengths)
    for idx in sampler.all_batches(0):
        short = [data.utts[i] for i in idx if data.lengths[i] < min_frames]
        stats.too_short += len(short)
        if skipped is not None:
            skipped.extend(short)
        idx = [i for i in idx if data.lengths[i] >= min_frames]
        if not idx:
            continue
        batch = collate([data[i] for i in idx], [])
        t0 = time.perf_counter()
        spk = (batch["spk_mean"].to(device), batch["spk_std"].to(device)) if "spk_mean" in batch else None
        lex = (batch["lexical"].to(device), batch["lexical_lens"].to(device)) if "lexical" in batch else None
        results = predict_batch(model, tokenizer, batch["feats"].to(device), batch["feat_lens"].to(device),
                                batch["utts"], spk, lex)
        stats.decode_seconds += time.perf_counter() - t0
        stats.utterances += len(idx)
        stats.audio_seconds += float(batch["feat_lens"].sum()) / AUDIO_RATE if audio \
            else float(batch["feat_lens"].sum()) * frame_shift_ms / 1000.0
        yield from results
        if progress:
            progress(stats.utterances, total)


def check_lexical_states(model, dirs) -> None:
    """Dumped decoder states must come from the Whisper each model (each member of an ensemble) reads."""
    from jsertk.tasks.upstream import check_lexical_dirs

    for member in getattr(model, "members", [model]):
        if getattr(member, "reads_lexical_states", False):
            check_lexical_dirs(member.lexical_identity, dirs)


def write_ser_outputs(results: list[SerResult], classes: list[str], outdir: Path, summary: dict) -> None:
    """The files of a decode dir, each written atomically: emo_post.ark/.scp (fused posteriors over
    `classes`), hyp.emo, hyp_acoustic.emo / hyp_lexical.emo (single-view heads, if built), hyp.dim
    (if built), hyp.text (CTC 1-best), classes.txt and decode.json (`summary`)."""
    from jsertk.features.io import ArkScpWriter
    from jsertk.utils.atomic import atomic_write_text

    outdir = Path(outdir)
    with ArkScpWriter(outdir / "emo_post.ark", outdir / "emo_post.scp") as w:
        for r in results:
            w.write(r.utt, r.posteriors.astype(np.float32))
    atomic_write_text(outdir / "hyp.emo", "".join(f"{r.utt} {r.emotion}\n" for r in results))
    for view in ("emotion_acoustic", "emotion_lexical"):
        if results and view in results[0].views:
            atomic_write_text(outdir / f"hyp_{view.split('_')[1]}.emo",
                              "".join(f"{r.utt} {classes[int(r.views[view].argmax())]}\n" for r in results))
    if results and results[0].dims is not None:
        atomic_write_text(outdir / "hyp.dim",
                          "".join(f"{r.utt} {r.dims[0]:.4f} {r.dims[1]:.4f} {r.dims[2]:.4f}\n" for r in results))
    if any(r.text is not None for r in results):  # none from an acoustic-only model
        atomic_write_text(outdir / "hyp.text", "".join(f"{r.utt} {r.text}\n" if r.text else f"{r.utt}\n"
                                                       for r in results))
    atomic_write_text(outdir / "classes.txt", "".join(f"{c}\n" for c in classes))
    atomic_write_text(outdir / "decode.json", json.dumps(summary, indent=2) + "\n")


def decode_ser_dir(model_dir: str | Path | list, data: str | Path, outdir: str | Path, checkpoint: str = "model.pth",
                   max_frames_per_batch: int = 20000, device: str = "cpu") -> tuple[dict, DecodeStats]:
    """Decode the feature dir `data` with the jser experiment `model_dir` (or a list of them: their
    posteriors averaged, `PosteriorEnsemble`) into `outdir` (`write_ser_outputs`); returns (the
    decode.json summary, the decoding stats)."""
    from jsertk.models.ensemble import PosteriorEnsemble
    from jsertk.tasks.experiment import load_model
    from jsertk.utils.errors import InputError

    dirs = list(model_dir) if isinstance(model_dir, (list, tuple)) else [model_dir]
    loaded = [load_model(d, checkpoint, device, model="jser") for d in dirs]
    model, cfg, resources = loaded[0]
    if len(loaded) > 1:
        if len({reads_waveforms(m) for m, _, _ in loaded}) > 1:
            raise InputError("the models of an ensemble must all read features or all read audio")
        try:
            model = PosteriorEnsemble([m for m, _, _ in loaded]).eval()
        except ValueError as e:
            raise InputError(str(e)) from None
        model_dir = [str(d) for d in dirs]
    stats = DecodeStats()
    results = sorted(predict_dir(model, resources.tokenizer, data, stats, max_frames_per_batch, device,
                                 cfg["data"]["frame_shift_ms"]), key=lambda r: r.utt.encode())
    summary = {"model_dir": model_dir if isinstance(model_dir, list) else str(model_dir), "checkpoint": checkpoint,
               "data": str(data), "utterances": len(results),
               "too_short": stats.too_short, "audio_seconds": round(stats.audio_seconds, 2),
               "decode_seconds": round(stats.decode_seconds, 2), "rtf": round(stats.rtf, 4),
               "threads": torch.get_num_threads()}
    write_ser_outputs(results, list(model.classes), Path(outdir), summary)
    return summary, stats
