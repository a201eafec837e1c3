"""Decode a feature dir with a trained ASR model: CTC greedy, CTC prefix beam, or joint CTC/attention.

The encoder runs on length-bucketed batches; greedy decoding is batched too, the beam searches
run per utterance (ESPnet's batch beam search vectorises over the hypotheses of one utterance).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from jsertk.dataset.feats import AUDIO_RATE, FeatsDataset, collate
from jsertk.dataset.sampler import BucketBatchSampler
from jsertk.infer.ctc_prefix_beam import ctc_prefix_beam_search
from jsertk.models.components import min_input_frames
from jsertk.models.ctc_greedy import ctc_greedy
from jsertk.models.frontend import reads_waveforms, wants_speaker_stats
from jsertk.utils.errors import InputError

METHODS = ("greedy", "ctc_beam", "joint")
MIN_FRAMES = 9  # enough for conv2d (4x) encoders; `min_input_frames(model)` gives a model's exact limit



@dataclass
class DecodeOptions:
    method: str = "greedy"
    beam_size: int = 10
    ctc_weight: float = 0.3  # joint only
    penalty: float = 0.0  # joint only: bonus per output token
    maxlenratio: float = 0.0  # joint only: 0 = end detection
    max_frames_per_batch: int = 20000
    lm: str | None = None  # ARPA token n-gram LM for shallow fusion (ctc_beam, joint)
    lm_weight: float = 0.3


@dataclass
class Hyp:
    utt: str
    text: str
    tokens: list[int]
    score: float


@dataclass
class DecodeStats:
    utterances: int = 0
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0
    too_short: int = 0

    @property
    def rtf(self) -> float:
        return self.decode_seconds / self.audio_seconds if self.audio_seconds else float("nan")


def decode_dir(model, tokenizer, data_dir: str | Path, opts: DecodeOptions, stats: DecodeStats,
               device: str | torch.device = "cpu", frame_shift_ms: float = 10.0) -> Iterator[Hyp]:
    """Hypotheses for every utterance of `data_dir` (a dir with feats.scp), in bucketed order."""
    lm = load_lm(opts, tokenizer)  # checks the options first
    search = None
    if opts.method == "joint":
        from jsertk.infer.joint_beam import build_joint_beam_search

        search = build_joint_beam_search(model, opts.beam_size, opts.ctc_weight, opts.penalty, lm, opts.lm_weight)
    audio = reads_waveforms(model)
    data = FeatsDataset([data_dir], {}, label_root=None, min_frames=1, max_frames=0, audio=audio,
                        speaker_stats=wants_speaker_stats(model))
    min_frames = min_input_frames(model)
    sampler = BucketBatchSampler(data.lengths, opts.max_frames_per_batch, shuffle=False)
    for idx in sampler.all_batches(0):
        short = [i for i in idx if data.lengths[i] < min_frames]
        for i in short:
            stats.too_short += 1
            yield Hyp(data.utts[i], "", [], float("-inf"))
        idx = [i for i in idx if data.lengths[i] >= min_frames]
        if not idx:
            continue
        batch = collate([data[i] for i in idx], [])
        t0 = time.perf_counter()
        hyps = _decode_batch(model, batch, opts, search, device, lm)
        stats.decode_seconds += time.perf_counter() - t0
        stats.utterances += len(idx)
        stats.audio_seconds += float(batch["feat_lens"].sum()) / AUDIO_RATE if audio \
            else float(batch["feat_lens"].sum()) * frame_shift_ms / 1000.0
        for utt, (ids, score) in zip(batch["utts"], hyps):
            yield Hyp(utt, tokenizer.decode(ids), ids, score)


def check_options(opts: DecodeOptions) -> None:
    """A known method, and no LM for greedy decoding (it has no search to fuse one into)."""
    if opts.method not in METHODS:
        raise InputError(f"decoding method '{opts.method}' is not one of {', '.join(METHODS)}")
    if opts.lm and opts.method == "greedy":
        raise InputError("--lm needs a search: use --method ctc_beam or joint (greedy takes no language model)")


def load_lm(opts: DecodeOptions, tokenizer):
    """The LM of `opts` over the tokenizer's ids, or None."""
    check_options(opts)
    if not opts.lm:
        return None
    from jsertk.lm import TokenNgramLM

    return TokenNgramLM(opts.lm, tokenizer.tokens, tokenizer.sos_eos_id)


@torch.no_grad()
def _decode_batch(model, batch: dict, opts: DecodeOptions, search, device, lm=None
                  ) -> list[tuple[list[int], float]]:
    stats = (batch["spk_mean"].to(device), batch["spk_std"].to(device)) if "spk_mean" in batch else None
    enc, enc_lens = model.encode(batch["feats"].to(device), batch["feat_lens"].to(device), stats)
    if opts.method == "joint":
        from jsertk.infer.joint_beam import joint_beam_search

        return [joint_beam_search(search, enc[k, : int(n)], opts.maxlenratio) for k, n in enumerate(enc_lens)]
    log_probs = model.ctc.log_softmax(enc)
    if opts.method == "greedy":
        best = log_probs.max(-1).values
        valid = torch.arange(best.size(1), device=best.device)[None, :] < enc_lens[:, None]
        scores = (best * valid).sum(-1).tolist()
        return list(zip(ctc_greedy(log_probs, enc_lens, model.blank_id), scores))
    out = []
    lp = log_probs.float().cpu().numpy()
    for k, n in enumerate(enc_lens.tolist()):
        nbest = ctc_prefix_beam_search(lp[k, :n], beam=opts.beam_size, blank_id=model.blank_id, lm=lm,
                                       lm_weight=opts.lm_weight)
        out.append(nbest[0])
    return out


def decode_asr_dir(model_dir: str | Path, data: str | Path, outdir: str | Path, opts: DecodeOptions,
                   checkpoint: str = "model.pth", device: str = "cpu") -> tuple[dict, DecodeStats]:
    """Transcribe the feature dir `data` with the experiment `model_dir` (asr or jser) into `outdir`:
    hyp.text, hyp.score (log-probability per utterance) and decode.json, each atomically; returns
    (the decode.json summary, the decoding stats). Shows a progress bar on a terminal."""
    import json

    from tqdm import tqdm

    from jsertk.data.table import read_entries
    from jsertk.tasks.experiment import load_model
    from jsertk.utils.atomic import atomic_write_text

    check_options(opts)  # before the model is loaded
    model, cfg, resources = load_model(model_dir, checkpoint, device)
    model = getattr(model, "asr", model)  # a joint model decodes with its ASR branch
    data, outdir = Path(data), Path(outdir)
    stats = DecodeStats()
    total = len(read_entries(data / "feats.scp")) if (data / "feats.scp").is_file() else None
    progress = tqdm(decode_dir(model, resources.tokenizer, data, opts, stats, device, cfg["data"]["frame_shift_ms"]),
                    total=total, desc=f"decode {data.name}", unit="utt", disable=None, leave=False)
    hyps = sorted(progress, key=lambda h: h.utt.encode())
    atomic_write_text(outdir / "hyp.text", "".join(f"{h.utt} {h.text}\n" if h.text else f"{h.utt}\n" for h in hyps))
    atomic_write_text(outdir / "hyp.score", "".join(f"{h.utt} {h.score:.4f}\n" for h in hyps))
    summary = {"model_dir": str(model_dir), "data": str(data), "method": opts.method, "beam_size": opts.beam_size,
               "ctc_weight": opts.ctc_weight, "penalty": opts.penalty, "lm": opts.lm,
               "lm_weight": opts.lm_weight if opts.lm else None, "checkpoint": checkpoint, "utterances": len(hyps),
               "too_short": stats.too_short, "audio_seconds": round(stats.audio_seconds, 2),
               "decode_seconds": round(stats.decode_seconds, 2), "rtf": round(stats.rtf, 4),
               "threads": torch.get_num_threads()}
    atomic_write_text(outdir / "decode.json", json.dumps(summary, indent=2) + "\n")
    return summary, stats
