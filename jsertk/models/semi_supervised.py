"""Per-utterance pieces of the joint model's semi-supervised objective.

- ASR losses per utterance (the terms ESPnet's CTC and label-smoothing losses average over the
  batch), so pseudo transcripts can be weighted one by one.
- Per-utterance weights for pseudo labels: a fixed weight, optionally times the label's confidence.
- Cross-modal distribution matching, after Liang et al. (2020): the symmetric KL divergence
  between the emotion posteriors of the acoustic-only and the lexical-only head, pulling the two
  views together on speech without a true emotion label; its weight ramps up linearly over the
  first updates.

The semi-supervised joint ASR-SER setting (cross-task pseudo labels, the ASR as the lexical
feature provider) follows Li (2021). Full references: docs/references.md.
"""
from __future__ import annotations

import torch


def ctc_per_utterance(ctc, enc: torch.Tensor, enc_lens: torch.Tensor, ys: torch.Tensor, y_lens: torch.Tensor
                      ) -> torch.Tensor:
    """(B,) CTC losses of ESPnet's `CTC` module built with reduce=False (as `ASRModel` builds it),
    which returns the terms of its batch average, loss / batch size: times the batch size here."""
    if ctc.reduce:
        raise ValueError("ctc_per_utterance needs a CTC module built with reduce=False")
    return ctc(enc, enc_lens, ys, y_lens) * enc.size(0)


def label_smoothing_per_utterance(smooth, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B,) losses of ESPnet's `LabelSmoothingLoss` `smooth` over logits `x` (B, L, V) and `target`
    (B, L), before it sums them over the batch (and divides by the batch size, with
    normalize_length false). ESPnet only returns that batch scalar, so this repeats its forward
    from the module's public attributes (size, padding_idx, smoothing, confidence, criterion),
    summing per utterance instead of over the batch."""
    ignore = target == smooth.padding_idx
    with torch.no_grad():
        true_dist = torch.full_like(x, smooth.smoothing / (smooth.size - 1))
        true_dist.scatter_(2, target.masked_fill(ignore, 0).unsqueeze(2), smooth.confidence)
    kl = smooth.criterion(torch.log_softmax(x, dim=-1), true_dist)
    return kl.masked_fill(ignore.unsqueeze(2), 0).sum((1, 2))


def attention_per_utterance(asr, enc: torch.Tensor, enc_lens: torch.Tensor, ys: torch.Tensor, y_lens: torch.Tensor
                            ) -> tuple[torch.Tensor, int, int]:
    """((B,) label-smoothed decoder losses as `ASRModel.att_loss` sums them, correct tokens, tokens)."""
    dec_out, ys_out = asr.decoder_outputs(enc, enc_lens, ys, y_lens)
    per_utt = label_smoothing_per_utterance(asr.att_loss, dec_out, ys_out)
    keep = ys_out != asr.att_loss.padding_idx
    correct = int(((dec_out.argmax(-1) == ys_out) & keep).sum())
    return per_utt, correct, int(keep.sum())


def pseudo_weights(pseudo: torch.Tensor, weight: float, confidence: torch.Tensor | None) -> torch.Tensor:
    """(B,) loss weight of each utterance's label: 1 for true labels; `weight` for pseudo labels,
    times their confidence when `confidence` (B,) is given."""
    w = torch.ones(pseudo.shape, device=pseudo.device)
    scale = torch.full_like(w, weight) if confidence is None else weight * confidence.to(w)
    return torch.where(pseudo, scale, w)


def symmetric_kl(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """(B,) KL(p_a || p_b) + KL(p_b || p_a) between the softmax posteriors; gradients reach both."""
    log_a, log_b = torch.log_softmax(logits_a.float(), -1), torch.log_softmax(logits_b.float(), -1)
    return ((log_a.exp() - log_b.exp()) * (log_a - log_b)).sum(-1)


def ramp(steps: int, warmup_steps: int) -> float:
    """Linear ramp from 0 (no update yet) to 1 (after `warmup_steps` updates); 1 without warmup."""
    return 1.0 if warmup_steps <= 0 else min(1.0, steps / warmup_steps)
