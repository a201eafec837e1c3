"""A small ECAPA-style TDNN encoder for little data (`encoder: tdnn`): frame-level 1-D dilated
convolutions over fbank with squeeze-excitation and residual connections, whose block outputs
are concatenated and projected (multi-layer feature aggregation), as in ECAPA-TDNN
(Desplanques et al., 2020) without its Res2Net splits. No subsampling: one output per input
frame; the joint model's attentive statistics pooling follows. Padding frames are zeroed before
every convolution, so an utterance's output does not depend on what it is batched with (except
through BatchNorm's batch statistics while training). ESPnet's encoder interface.
"""
from __future__ import annotations

import torch

from jsertk.models.pooling import length_mask


class _SEBlock(torch.nn.Module):
    """Conv1d -> ReLU -> BatchNorm, then squeeze-excitation over the utterance's valid frames."""

    def __init__(self, channels: int, kernel: int, dilation: int, bottleneck: int, dropout: float):
        super().__init__()
        self.conv = torch.nn.Conv1d(channels, channels, kernel, dilation=dilation, padding=dilation * (kernel // 2))
        self.norm = torch.nn.BatchNorm1d(channels)
        self.se = torch.nn.Sequential(torch.nn.Linear(channels, bottleneck), torch.nn.ReLU(),
                                      torch.nn.Linear(bottleneck, channels), torch.nn.Sigmoid())
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm(torch.relu(self.conv(x * mask)))
        mean = (h * mask).sum(-1) / mask.sum(-1).clamp(min=1)
        return x + self.dropout(h * self.se(mean).unsqueeze(-1))


class TdnnEncoder(torch.nn.Module):
    def __init__(self, input_size: int, output_size: int = 192, channels: int = 128, kernel_size: int = 3,
                 dilations: tuple[int, ...] | list[int] = (2, 3, 4), se_bottleneck: int = 64,
                 dropout_rate: float = 0.1):
        super().__init__()
        if not dilations or any(int(d) < 1 for d in dilations):
            raise ValueError(f"dilations must be positive integers, got {list(dilations)}")
        self.input = torch.nn.Sequential(torch.nn.Conv1d(input_size, channels, 5, padding=2), torch.nn.ReLU(),
                                         torch.nn.BatchNorm1d(channels))
        self.blocks = torch.nn.ModuleList(_SEBlock(channels, kernel_size, int(d), se_bottleneck, dropout_rate)
                                          for d in dilations)
        self.aggregate = torch.nn.Sequential(torch.nn.Conv1d(channels * len(self.blocks), output_size, 1),
                                             torch.nn.ReLU(), torch.nn.BatchNorm1d(output_size))
        self._size = output_size

    def output_size(self) -> int:
        return self._size

    def forward(self, xs_pad: torch.Tensor, ilens: torch.Tensor, prev_states=None):
        mask = length_mask(ilens, xs_pad.size(1)).unsqueeze(1).to(xs_pad.dtype)  # (B, 1, T)
        h = self.input(xs_pad.transpose(1, 2) * mask)
        outs = []
        for block in self.blocks:
            h = block(h, mask)
            outs.append(h)
        y = self.aggregate(torch.cat(outs, dim=1) * mask) * mask
        return y.transpose(1, 2), ilens, None
