"""Model frontend over precomputed features: global CMVN, then SpecAugment while training.

The CMVN mean and standard deviation are given as arrays (the task reads them from the Kaldi
stats file, `jsertk.features.cmvn.read_mean_std`) and become buffers of the model, so a trained
model needs no stats file.
"""
from __future__ import annotations

import numpy as np
import torch

from jsertk.models import espnet_import  # noqa: F401
from jsertk.models.components import build_component
from jsertk.utils.errors import ConfigError

# Sensible SpecAugment for 80-dim fbank at 10 ms; any key of ESPnet's SpecAug overrides these.
SPECAUG_DEFAULTS = {"apply_time_warp": True, "time_warp_window": 5, "time_warp_mode": "bicubic",
                    "apply_freq_mask": True, "freq_mask_width_range": [0, 27], "num_freq_mask": 2,
                    "apply_time_mask": True, "time_mask_width_ratio_range": [0.0, 0.05], "num_time_mask": 2}


class GlobalCMVN(torch.nn.Module):
    def __init__(self, dim: int, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        if mean is not None:
            if mean.shape != (dim,):
                raise ValueError(f"CMVN stats have dimension {mean.shape[0]}, the features {dim}")
            self.mean.copy_(torch.from_numpy(mean))
            self.std.copy_(torch.from_numpy(std))

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        pad = torch.arange(x.size(1), device=x.device)[None, :] >= lens[:, None]
        return x.masked_fill(pad[..., None], 0.0)


UTTERANCE_MVN = ("none", "mean", "mean_var")


def utterance_mvn(x: torch.Tensor, lens: torch.Tensor, norm_vars: bool, eps: float = 1e-5) -> torch.Tensor:
    """Normalise each utterance by its own mean (and standard deviation) over its valid frames;
    padded frames come out zero.

    Not ESPnet's `espnet2.layers.utterance_mvn.utterance_mvn`, which gives other results on padded
    batches: it zeroes the padding before subtracting the mean but not after, so padded frames come
    out as -mean, and with norm_vars its variance sums over all frames (padding included) divided by
    the valid length, so an utterance is scaled by var + (padded/valid) * mean^2 and its output
    depends on how long the other utterances of its batch are (up to 1.8 apart on valid frames in
    a 3-utterance test batch). It also clamps the deviation (max(std, eps), eps=1e-20) where this
    adds eps to the variance (a near-constant channel is not blown up to unit variance), gives NaN
    for a zero length, and writes into its input. On a single unpadded utterance the two agree to
    within 3e-6.
    """
    valid = (torch.arange(x.size(1), device=x.device)[None, :] < lens[:, None])[..., None]
    n = lens.clamp(min=1).to(x.dtype)[:, None, None]
    mean = (x * valid).sum(1, keepdim=True) / n
    x = (x - mean) * valid
    if norm_vars:
        x = x / ((x**2).sum(1, keepdim=True) / n + eps).sqrt()
    return x


def frequency_warp(x: torch.Tensor, max_warp: float) -> torch.Tensor:
    """Stretch or squeeze each utterance's filterbank along frequency by a random factor in
    [1 - max_warp, 1 + max_warp] (linear interpolation between bins): a cheap stand-in for vocal
    tract length perturbation, so that voices unlike the training ones look less foreign."""
    b, _, d = x.shape
    alpha = 1.0 + (torch.rand(b, device=x.device) * 2.0 - 1.0) * max_warp
    src = (torch.arange(d, device=x.device, dtype=x.dtype)[None, :] / alpha[:, None]).clamp(0, d - 1)
    lo = src.floor().long()
    hi = (lo + 1).clamp(max=d - 1)
    w = (src - lo.to(x.dtype))[:, None, :]
    return x.gather(2, lo[:, None, :].expand_as(x)) * (1 - w) + x.gather(2, hi[:, None, :].expand_as(x)) * w


class Frontend(torch.nn.Module):
    """Global CMVN, then optionally per-utterance mean (and variance) normalisation, on every call;
    in training mode only, a random frequency warp before them and ESPnet's SpecAug after (if enabled).

    Per-utterance normalisation removes what is constant over an utterance (channel, much of a
    voice's spectral tilt), which helps most when test speakers are unlike the training ones."""

    def __init__(self, dim: int, cmvn: tuple[np.ndarray, np.ndarray] | None = None, specaug: dict | None = None,
                 utterance_mvn: str = "none", freq_warp: float = 0.0):
        super().__init__()
        if not 0.0 <= freq_warp < 0.5:
            raise ConfigError(f"config key 'frontend.freq_warp' must be in [0, 0.5), got {freq_warp}")
        self.freq_warp = freq_warp
        if utterance_mvn not in UTTERANCE_MVN:
            raise ConfigError(f"config key 'frontend.utterance_mvn': '{utterance_mvn}' is not one of "
                              f"{', '.join(UTTERANCE_MVN)}")
        self.utterance_mvn = utterance_mvn
        self.cmvn = GlobalCMVN(dim, *(cmvn or (None, None)))
        self.specaug = None
        if specaug is not None:
            conf = {**SPECAUG_DEFAULTS, **specaug}
            if "time_mask_width_range" in specaug:
                conf.pop("time_mask_width_ratio_range")
            self.specaug = build_component("specaug", "specaug", conf)

    def forward(self, feats: torch.Tensor, lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.freq_warp and self.training:
            feats = frequency_warp(feats, self.freq_warp)
        x = self.cmvn(feats, lens)
        if self.utterance_mvn != "none":
            x = utterance_mvn(x, lens, norm_vars=self.utterance_mvn == "mean_var")
        if self.specaug is not None and self.training:
            x, lens = self.specaug(x, lens)
        return x, lens
