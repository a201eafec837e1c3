"""Task heads and their masked losses: categorical emotion, dimensional emotion (CCC),
gender and speaker. Each loss takes a per-utterance mask of which utterances carry the label,
so one batch can mix labelled and unlabelled speech; an all-false mask gives a zero loss that
still keeps the graph connected (DDP needs every parameter to take part)."""
from __future__ import annotations

import torch


class ClassifierHead(torch.nn.Module):
    """One hidden layer (ReLU, dropout), or with `hidden` 0 a linear classifier over the dropped-out input."""

    def __init__(self, input_dim: int, num_classes: int, hidden: int = 128, dropout: float = 0.1):
        super().__init__()
        if hidden == 0:
            self.net = torch.nn.Sequential(torch.nn.Dropout(dropout), torch.nn.Linear(input_dim, num_classes))
        else:
            self.net = torch.nn.Sequential(torch.nn.Linear(input_dim, hidden), torch.nn.ReLU(),
                                           torch.nn.Dropout(dropout), torch.nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class DimensionalHead(torch.nn.Module):
    """Arousal, valence, dominance regression (3 outputs)."""

    def __init__(self, input_dim: int, hidden: int = 128, dropout: float = 0.1):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(input_dim, hidden), torch.nn.ReLU(), torch.nn.Dropout(dropout),
                                       torch.nn.Linear(hidden, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
                         weight: torch.Tensor | None = None) -> tuple[torch.Tensor, int]:
    """(sum of losses over masked-in utterances, their count); `weight` is per class."""
    n = int(mask.sum())
    if n == 0:
        return logits.sum() * 0.0, 0
    return torch.nn.functional.cross_entropy(logits[mask], targets[mask], weight=weight, reduction="sum"), n


def ccc_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(1 - mean CCC over the three dimensions) x count, over masked-in utterances.

    CCC is a batch statistic; with fewer than 2 labelled utterances it is undefined and the loss
    is zero for this batch."""
    n = int(mask.sum())
    if n < 2:
        return pred.sum() * 0.0, 0
    p, t = pred[mask], target[mask]
    pm, tm = p.mean(0), t.mean(0)
    cov = ((p - pm) * (t - tm)).mean(0)
    ccc = 2 * cov / (p.var(0, unbiased=False) + t.var(0, unbiased=False) + (pm - tm) ** 2 + 1e-8)
    return (1 - ccc.mean()) * n, n
