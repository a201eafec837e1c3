"""CTC greedy decoding: the best label per frame, repeats merged, blanks removed; batched."""
from __future__ import annotations

import torch


def ctc_greedy(log_probs: torch.Tensor, lens: torch.Tensor, blank_id: int = 0) -> list[list[int]]:
    """Token ids per utterance from (B, T, V) frame log-posteriors and the valid lengths (B)."""
    best = log_probs.argmax(-1)  # (B, T)
    prev = torch.nn.functional.pad(best[:, :-1], (1, 0), value=-1)
    valid = torch.arange(best.size(1), device=best.device)[None, :] < lens[:, None]
    keep = (best != prev) & (best != blank_id) & valid
    return [row[k].tolist() for row, k in zip(best, keep)]
