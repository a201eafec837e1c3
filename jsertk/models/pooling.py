"""Masked pooling of padded sequences (B, T, D) with lengths (B,) into vectors (B, D')."""
from __future__ import annotations

import torch


def length_mask(lens: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B, T) bool, True on real (non-padding) positions."""
    return torch.arange(max_len, device=lens.device)[None, :] < lens[:, None]


def masked_mean(x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
    mask = length_mask(lens, x.size(1)).unsqueeze(-1).to(x.dtype)
    return (x * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class AttentiveStatsPooling(torch.nn.Module):
    """Attention-weighted mean and standard deviation over time (output 2 * dim).

    Emotion is carried by a few salient regions as much as by averages; learned weights let
    the pooled vector focus on them.
    """

    def __init__(self, dim: int, hidden: int = 128):
        super().__init__()
        self.attention = torch.nn.Sequential(torch.nn.Linear(dim, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
        self.output_size = 2 * dim

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        scores = self.attention(x).squeeze(-1)
        scores = scores.masked_fill(~length_mask(lens, x.size(1)), float("-inf"))
        w = torch.softmax(scores, dim=1).unsqueeze(-1)
        mean = (w * x).sum(1)
        var = (w * (x - mean.unsqueeze(1)) ** 2).sum(1)
        return torch.cat([mean, var.clamp(min=1e-6).sqrt()], dim=-1)


class StatsPooling(torch.nn.Module):
    """Mean and standard deviation over the valid frames (output 2 * dim): the pooling of an
    x-vector, and of the usual linear probe of upstream states."""

    def __init__(self, dim: int):
        super().__init__()
        self.output_size = 2 * dim

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        mask = length_mask(lens, x.size(1)).unsqueeze(-1).to(x.dtype)
        n = mask.sum(1).clamp(min=1.0)
        mean = (x * mask).sum(1) / n
        var = (((x - mean.unsqueeze(1)) ** 2) * mask).sum(1) / n
        return torch.cat([mean, var.clamp(min=1e-6).sqrt()], dim=-1)


ACOUSTIC_POOLING = ("attentive", "mean_std")


def acoustic_pooling(kind: str, dim: int) -> torch.nn.Module:
    """`heads.pooling`: attentive (learned weights over frames) or mean_std (plain statistics)."""
    if kind == "mean_std":
        return StatsPooling(dim)
    if kind == "attentive":
        return AttentiveStatsPooling(dim)
    raise ValueError(f"heads.pooling '{kind}' is not one of {', '.join(ACOUSTIC_POOLING)}")


class MaxPooling(torch.nn.Module):
    """The maximum over time of every dimension (output dim): keeps the strongest detection of
    each filter wherever it occurs (keyword spotting over a token sequence)."""

    def __init__(self, dim: int):
        super().__init__()
        self.output_size = dim

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        masked = x.masked_fill(~length_mask(lens, x.size(1)).unsqueeze(-1), float("-inf"))
        return masked.max(dim=1).values
