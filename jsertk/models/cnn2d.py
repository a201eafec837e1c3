"""A small 2-D CNN encoder for little data (`encoder: cnn2d`): residual 3x3 convolutions over the
(frequency, time) plane of fbank, as the ResNets of speaker recognition (e.g. the thin ResNet of
Chung et al., 2018) at a few percent of their width. Convolving along frequency as well as time
makes a pattern's shape count more than its exact frequency, which a TDNN's first layer (a
mapping of every bin) does not offer; pitch and formants move from one speaker to the next.

A stem halves frequency (and time, with `time_stride: 2`); each stage after the first halves
frequency again; the channels x remaining bins of every output frame are projected to
`output_size`. With `time_stride: 1` there is one output per input frame; with 2, one per two
(the output lengths are ceil(ilens / 2)); the joint model's attentive statistics pooling follows.
Padding frames are zeroed before every convolution, so an utterance's output does not depend on
what it is batched with (except through BatchNorm's batch statistics while training). ESPnet's
encoder interface.
"""
from __future__ import annotations

import torch

from jsertk.models.pooling import length_mask


class _ResBlock(torch.nn.Module):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the input (projected when its shape changes),
    ReLU. `freq_stride` 2 halves the frequency axis; time is never strided here."""

    def __init__(self, cin: int, cout: int, freq_stride: int, dropout: float):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, cout, 3, stride=(freq_stride, 1), padding=1, bias=False)
        self.norm1 = torch.nn.BatchNorm2d(cout)
        self.conv2 = torch.nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm2 = torch.nn.BatchNorm2d(cout)
        self.shortcut = (torch.nn.Identity() if cin == cout and freq_stride == 1 else
                         torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 1, stride=(freq_stride, 1), bias=False),
                                             torch.nn.BatchNorm2d(cout)))
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.norm1(self.conv1(x)))
        h = self.norm2(self.conv2(h * mask))
        return torch.relu(self.shortcut(x) + self.dropout(h)) * mask


class Cnn2dEncoder(torch.nn.Module):
    def __init__(self, input_size: int, output_size: int = 128, channels: tuple[int, ...] | list[int] = (16, 32, 64),
                 time_stride: int = 1, dropout_rate: float = 0.1):
        super().__init__()
        if not channels or any(int(c) < 1 for c in channels):
            raise ValueError(f"channels must be positive integers, got {list(channels)}")
        if int(time_stride) not in (1, 2):
            raise ValueError(f"time_stride must be 1 or 2, got {time_stride}")
        channels = [int(c) for c in channels]
        self.time_stride = int(time_stride)
        self.stem = torch.nn.Sequential(
            torch.nn.Conv2d(1, channels[0], 3, stride=(2, self.time_stride), padding=1, bias=False),
            torch.nn.BatchNorm2d(channels[0]), torch.nn.ReLU())
        self.blocks = torch.nn.ModuleList(
            _ResBlock(channels[max(i - 1, 0)], c, 1 if i == 0 else 2, dropout_rate) for i, c in enumerate(channels))
        bins = (input_size + 1) // 2
        for _ in channels[1:]:
            bins = (bins + 1) // 2  # a 3x3 convolution, stride 2, padding 1
        self.project = torch.nn.Sequential(torch.nn.Conv1d(channels[-1] * bins, output_size, 1), torch.nn.ReLU(),
                                           torch.nn.BatchNorm1d(output_size))
        self._size = output_size

    def output_size(self) -> int:
        return self._size

    def forward(self, xs_pad: torch.Tensor, ilens: torch.Tensor, prev_states=None):
        mask = length_mask(ilens, xs_pad.size(1)).to(xs_pad.dtype)  # (B, T)
        h = self.stem((xs_pad * mask.unsqueeze(-1)).transpose(1, 2).unsqueeze(1))  # (B, C, F', T')
        olens = (ilens + self.time_stride - 1) // self.time_stride
        mask = length_mask(olens, h.size(-1)).to(h.dtype)[:, None, None, :]
        h = h * mask
        for block in self.blocks:
            h = block(h, mask)
        y = self.project(h.flatten(1, 2)) * mask[:, 0]  # (B, output_size, T')
        return y.transpose(1, 2), olens, None
