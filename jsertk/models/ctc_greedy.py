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


def ctc_greedy_with_confidence(log_probs: torch.Tensor, lens: torch.Tensor, blank_id: int = 0
                               ) -> tuple[list[list[int]], list[float]]:
    """Token ids per utterance and a confidence in [0, 1] for each hypothesis: the mean, over its
    tokens, of the token's peak frame posterior (0 for an empty hypothesis)."""
    best_lp, best = log_probs.max(-1)  # (B, T)
    valid = torch.arange(best.size(1), device=best.device)[None, :] < lens[:, None]
    prev = torch.nn.functional.pad(best[:, :-1], (1, 0), value=-1)
    starts = (best != prev) & valid  # first frame of every run of equal labels
    run_id = torch.cumsum(starts, dim=1) - 1  # run index of every frame
    tokens, confs = [], []
    for b in range(best.size(0)):
        n = int(lens[b])
        ids = run_id[b, :n]
        labels = best[b, :n][starts[b, :n]]
        peak = torch.full((labels.numel(),), float("-inf"), device=best.device, dtype=best_lp.dtype)
        peak = peak.scatter_reduce(0, ids, best_lp[b, :n], reduce="amax")
        keep = labels != blank_id
        tokens.append(labels[keep].tolist())
        confs.append(float(peak[keep].exp().mean()) if bool(keep.any()) else 0.0)
    return tokens, confs
