"""Model frontend: global CMVN, then SpecAugment while training, over fbank or an upstream.

The CMVN mean and standard deviation are given as arrays (the task reads them from the Kaldi
stats file, `jsertk.features.cmvn.read_mean_std`) and become buffers of the model, so a trained
model needs no stats file.

With an upstream (`frontend.upstream.path`, a pretrained speech encoder) the input is either
waveforms (B, S, 1), run through the upstream in the model, or its hidden states dumped by
`jsertk dump-upstream` (B, T, L*D); both become (B, T, L, D), are optionally layer-normalised and
CMVN-normalised per state, and are reduced to (B, T, D) by the learned weighted sum.
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
# frontend.normalize: the statistics the input is standardised with
NORMALIZE = ("global", "speaker", "utterance")


def standardize(x: torch.Tensor, lens: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """(x - mean) / std with per-utterance (B, D) statistics; padded frames come out zero."""
    x = (x - mean[:, None, :]) / std[:, None, :]
    pad = torch.arange(x.size(1), device=x.device)[None, :] >= lens[:, None]
    return x.masked_fill(pad[..., None], 0.0)


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


def parse_random_crop(value) -> tuple[int, int]:
    """`frontend.random_crop` -> (shortest, longest) crop in frames; (0, 0) = off (None or 0). An int N
    crops to N frames, a pair [lo, hi] to a length drawn per utterance from lo..hi."""
    if value is None:
        return 0, 0
    pair = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if (len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
            or pair != [0, 0] and not 0 < pair[0] <= pair[1]):
        raise ConfigError(f"config key 'frontend.random_crop': {value!r} is not 0 (off), a number of frames N > 0 "
                          "or a range [lo, hi] of frames with 0 < lo <= hi")
    return pair[0], pair[1]


def crop_segments(x: torch.Tensor, lens: torch.Tensor, shortest: int,
                  longest: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random segment of each utterance: its length drawn from shortest..longest frames (the whole
    utterance when it is shorter), its start uniform over the utterance; padded frames come out zero.
    More distinct training inputs from few utterances; the model still sees whole ones when decoding."""
    b, dev = x.size(0), x.device
    lens = lens.to(dev)
    new_lens = torch.minimum(torch.randint(shortest, longest + 1, (b,), device=dev), lens)
    start = (torch.rand(b, device=dev) * (lens - new_lens + 1)).floor().long()
    start = torch.minimum(start, lens - new_lens)  # rand() < 1, but float rounding
    steps = torch.arange(int(new_lens.max()) if b else 0, device=dev)
    idx = (start[:, None] + steps[None, :]).clamp(max=x.size(1) - 1)
    out = x.gather(1, idx[..., None].expand(-1, -1, x.size(2)))
    pad = steps[None, :] >= new_lens[:, None]
    return out.masked_fill(pad[..., None], 0.0), new_lens


FREEZE_MODES = "frozen, finetune, top:N (only the top N layers train) or after:N (frozen for N updates)"


def parse_freeze(value) -> tuple[str, int]:
    """`frontend.upstream.freeze` -> (mode, N)."""
    text = str(value)
    mode, _, n = text.partition(":")
    if mode in ("frozen", "finetune") and not n:
        return mode, 0
    if mode in ("top", "after") and n.isdigit():
        return mode, int(n)
    raise ConfigError(f"config key 'frontend.upstream.freeze': '{text}' is not one of {FREEZE_MODES}")


class UpstreamInput(torch.nn.Module):
    """Waveforms or dumped hidden states -> the weighted sum of the chosen states (B, T, D).

    Freezing: `frozen` runs the upstream without gradients in eval mode; `top:N` trains only its
    top N transformer layers (and its final layer norm); `after:N` keeps it frozen for the first N
    optimizer updates (counted in `updates`, saved with the model), then fine-tunes all of it."""

    def __init__(self, input_dim: int, conf: dict, cmvn: tuple[np.ndarray, np.ndarray] | None,
                 shape: tuple[int, int], upstream: torch.nn.Module | None):
        """`shape`: (hidden states, dimension) of the upstream; `upstream`: the `Upstream` module
        when the input is waveforms (input_dim 1), else None (dumped states)."""
        super().__init__()
        from jsertk.models.upstream import LayerWeightedSum

        self.num_states, self.dim = shape
        stacked = self.num_states * self.dim
        self.upstream = None
        self.freeze, self.unfreeze_after = parse_freeze(conf["freeze"])
        if input_dim == 1:  # waveforms
            if upstream is None:
                raise ValueError("waveform input needs the upstream module")
            self.upstream = upstream
            self._set_trainable()
        elif input_dim != stacked:
            raise ConfigError(f"the input features have dimension {input_dim}, but the upstream {conf['path']} gives "
                              f"{self.num_states} hidden states of {self.dim} ({stacked} when dumped by jsertk "
                              "dump-upstream), or read waveforms (a data dir with wav.scp)")
        elif self.freeze != "frozen":
            raise ConfigError(f"config key 'frontend.upstream.freeze' is {conf['freeze']}, but the input is dumped "
                              "hidden states, which cannot be fine-tuned: give the data dirs (with wav.scp) to run "
                              "the upstream in the model, or set freeze: frozen")
        # optimizer updates so far (freeze after:N); kept in dumped-input models too, so their weights
        # load into the same model reading audio (a packed model)
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        self.cmvn = GlobalCMVN(stacked, *(cmvn or (None, None)))
        self.layer_sum = LayerWeightedSum(self.num_states, conf["layers"], normalize=conf["layer_norm"],
                                          combine=conf.get("combine", "weighted_sum"))
        self.output_size = self.layer_sum.output_size(self.dim)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # weights saved before the update counter was kept for dumped-input models: it was 0 there
        state_dict.setdefault(prefix + "updates", torch.zeros((), dtype=torch.long))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _set_trainable(self) -> None:
        up = self.upstream
        train_all = self.freeze == "finetune" or self.freeze == "after"
        for p in up.parameters():
            p.requires_grad = train_all
        if self.freeze == "top":
            layers = up.model.layers if up.kind == "whisper" else up.model.encoder.layers
            if self.unfreeze_after > len(layers):
                raise ConfigError(f"config key 'frontend.upstream.freeze': top:{self.unfreeze_after}, but the "
                                  f"upstream has {len(layers)} layers")
            top = list(layers[len(layers) - self.unfreeze_after:]) if self.unfreeze_after else []
            final = [up.model.layer_norm] if up.kind == "whisper" else [getattr(up.model.encoder, "layer_norm", None)]
            for module in top + [m for m in final if m is not None]:
                for p in module.parameters():
                    p.requires_grad = True

    def frozen_now(self) -> bool:
        return self.freeze == "frozen" or (self.freeze == "after" and int(self.updates) < self.unfreeze_after)

    def on_optimizer_step(self) -> None:
        if self.upstream is not None:
            self.updates += 1

    def train(self, mode: bool = True):
        super().train(mode)
        if self.upstream is not None and self.frozen_now():
            self.upstream.eval()  # no dropout or masking inside a frozen upstream
        return self

    def forward(self, x: torch.Tensor, lens: torch.Tensor, stats=None) -> tuple[torch.Tensor, torch.Tensor]:
        """`stats`: per-utterance (mean, std) of the stacked states (speaker normalisation), else the
        global CMVN statistics are used."""
        if self.upstream is not None:
            if self.frozen_now():
                self.upstream.eval()
                with torch.no_grad():
                    states, lens = self.upstream(x[..., 0], lens)
            else:
                if self.training:
                    self.upstream.train()
                states, lens = self.upstream(x[..., 0], lens)
            b, t = states.shape[:2]
            x = states.reshape(b, t, -1)
        x = standardize(x, lens, *stats) if stats is not None else self.cmvn(x, lens)
        return self.layer_sum(x.view(x.size(0), x.size(1), self.num_states, self.dim)), lens


class Frontend(torch.nn.Module):
    """Global CMVN, then optionally per-utterance mean (and variance) normalisation, on every call;
    in training mode only, a random crop and a random frequency warp before them and ESPnet's SpecAug
    after (if enabled).

    Per-utterance normalisation removes what is constant over an utterance (channel, much of a
    voice's spectral tilt), which helps most when test speakers are unlike the training ones."""

    def __init__(self, dim: int, cmvn: tuple[np.ndarray, np.ndarray] | None = None, specaug: dict | None = None,
                 utterance_mvn: str = "none", freq_warp: float = 0.0, upstream: dict | None = None,
                 upstream_shape: tuple[int, int] | None = None, upstream_module: torch.nn.Module | None = None,
                 normalize: str = "global", random_crop=None):
        """`upstream`: the frontend.upstream section (its `path` non-empty when there is one), with
        the upstream's `upstream_shape` and, for waveform input, its module. `normalize`: global
        (the CMVN statistics), speaker (each utterance's speaker's statistics, given with the batch;
        the global ones when they are not) or utterance (each utterance's own). `random_crop`: frames N
        or a range [lo, hi] (see `parse_random_crop`) each training utterance is cut to at random;
        None or 0 = off."""
        super().__init__()
        self.crop = parse_random_crop(random_crop)
        if normalize not in NORMALIZE:
            raise ConfigError(f"config key 'frontend.normalize': '{normalize}' is not one of {', '.join(NORMALIZE)}")
        self.normalize = normalize
        self.upstream = None
        if upstream and upstream.get("path"):
            if freq_warp:
                raise ConfigError("config key 'frontend.freq_warp' warps filterbank channels; it cannot be used "
                                  "with an upstream (set it to 0)")
            self.upstream = UpstreamInput(dim, upstream, cmvn, upstream_shape, upstream_module)
            dim, cmvn = self.upstream.output_size, None
        self.output_size = dim
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

    def on_optimizer_step(self) -> None:
        if self.upstream is not None:
            self.upstream.on_optimizer_step()

    def forward(self, feats: torch.Tensor, lens: torch.Tensor, stats=None) -> tuple[torch.Tensor, torch.Tensor]:
        """`stats`: (mean, std) (B, D) of each utterance's speaker, used with normalize: speaker."""
        stats = stats if self.normalize == "speaker" else None
        if self.upstream is not None:
            feats, lens = self.upstream(feats, lens, stats)
            stats = None  # applied to the states
        if self.crop[1] and self.training:
            # before any normalisation: utterance MVN then sees the segment, as a short utterance would be
            feats, lens = crop_segments(feats, lens, *self.crop)
        if self.freq_warp and self.training:
            feats = frequency_warp(feats, self.freq_warp)
        if self.normalize == "utterance":
            x = utterance_mvn(feats, lens, norm_vars=True)
        elif stats is not None:
            x = standardize(feats, lens, *stats)
        else:
            x = self.cmvn(feats, lens)
        if self.utterance_mvn != "none":
            x = utterance_mvn(x, lens, norm_vars=self.utterance_mvn == "mean_var")
        if self.specaug is not None and self.training:
            x, lens = self.specaug(x, lens)
        return x, lens


def wants_speaker_stats(model: torch.nn.Module) -> bool:
    """True when the model's frontend standardises by speaker (the batches should carry the stats)."""
    return any(isinstance(m, Frontend) and m.normalize == "speaker" for m in model.modules())


def reads_waveforms(model: torch.nn.Module) -> bool:
    """True when the model's frontend runs an upstream on waveforms (its input is audio)."""
    return any(isinstance(m, UpstreamInput) and m.upstream is not None for m in model.modules())
