"""Pretrained speech encoders read from a local transformers folder (an "upstream").

`Upstream(path)` turns 16 kHz waveforms (B, S) with lengths into every hidden state of the
encoder, stacked as (B, T, L, D) with frame lengths (B,): the output of the feature encoder
(the embedding) and of each transformer layer. Families: wav2vec2, HuBERT, WavLM, data2vec-audio
(waveform normalised per utterance as their feature extractor does) and the Whisper encoder
(80-bin log-mel as WhisperFeatureExtractor computes it, 50 frames per second).

Whisper's encoder was trained on 30 s windows (3000 mel frames, 1500 positions). `whisper_input`
chooses between `pad` (every utterance padded to 30 s, as Hugging Face runs it; a 3 s clip costs
as much as a 30 s one) and `crop` (the positional embedding cut to the input's length, padded
frames masked out of self-attention: cost in proportion to the audio). Utterances longer than
30 s are encoded in 30 s chunks whose states are concatenated.

Outputs are per utterance independent of the batch they are in: padded frames are masked
(attention masks, zeroed inputs to the convolutions); group-normalised feature encoders
(wav2vec2-base style, whose GroupNorm spans the padded length) and data2vec-audio run one
utterance at a time.

The transformers model is loaded by the task (`jsertk.tasks.upstream.load_upstream`, the only
place transformers is imported, so models without an upstream never import it).
"""
from __future__ import annotations

import numpy as np
import torch

from jsertk.utils.errors import ConfigError

SAMPLE_RATE = 16000
WHISPER_INPUTS = ("crop", "pad")
COMBINE = ("weighted_sum", "concat")


def output_lengths(lens: torch.Tensor, kernels, strides) -> torch.Tensor:
    """Frames after a stack of unpadded 1-d convolutions (the wav2vec2 feature encoder)."""
    for k, s in zip(kernels, strides):
        lens = torch.div(lens - k, s, rounding_mode="floor") + 1
    return lens.clamp(min=0)


class Upstream(torch.nn.Module):
    """Every hidden state of a pretrained speech encoder over a batch of waveforms."""

    def __init__(self, kind: str, model: torch.nn.Module, mel_extractor=None, normalize_wave: bool = True,
                 whisper_input: str = "crop", max_chunk_s: float = 30.0):
        """`model`: the transformers model (for Whisper its encoder), built by the task
        (jsertk.tasks.upstream.load_upstream); `mel_extractor`: Whisper's WhisperFeatureExtractor."""
        super().__init__()
        if whisper_input not in WHISPER_INPUTS:
            raise ConfigError(f"config key 'frontend.upstream.whisper_input': '{whisper_input}' is not one of "
                              f"{', '.join(WHISPER_INPUTS)}")
        self.kind, self.model, self.whisper_input = kind, model, whisper_input
        self.dtype = next(model.parameters()).dtype
        c = model.config
        if kind == "whisper":
            self.num_states, self.dim = c.encoder_layers + 1, c.d_model
            self.mel = mel_extractor
            self.max_frames = c.max_source_positions * 2  # mel frames (conv2 has stride 2)
        else:
            self.num_states, self.dim = c.num_hidden_layers + 1, c.hidden_size
            self.normalize_wave = normalize_wave
            # GroupNorm over time (wav2vec2-base style) and data2vec's stack of positional convolutions
            # (padding leaks in after the first) see the padding: these run one utterance at a time
            self.per_utterance = getattr(c, "feat_extract_norm", "layer") == "group" or kind == "data2vec-audio"
            self.max_samples = int(max_chunk_s * SAMPLE_RATE)

    # ------------------------------------------------------------------ helpers
    def frames_of(self, samples: torch.Tensor) -> torch.Tensor:
        """Output frames for waveforms of `samples` samples."""
        if self.kind == "whisper":
            return torch.div(samples, 160, rounding_mode="floor").add(1).div(2, rounding_mode="floor")
        c = self.model.config
        return output_lengths(samples, c.conv_kernel, c.conv_stride)

    def forward(self, wave: torch.Tensor, lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S) float waveforms at 16 kHz, (B,) sample counts -> (B, T, L, D) states, (B,) frames."""
        states, out_lens = self._whisper(wave, lens) if self.kind == "whisper" else self._wav2vec2(wave, lens)
        valid = torch.arange(states.size(1), device=states.device)[None, :] < out_lens.to(states.device)[:, None]
        return states * valid[:, :, None, None], out_lens  # padded frames are zero

    # ------------------------------------------------------------------ wav2vec2 family
    def _wav2vec2(self, wave, lens):
        out_lens = self.frames_of(lens)
        if bool((out_lens <= 0).any()):
            k = int((out_lens <= 0).nonzero()[0])
            raise ValueError(f"utterance {k} of the batch has {int(lens[k])} samples, too short for the upstream "
                             f"({self.kind} needs at least {int(self.model.config.conv_kernel[0])})")
        valid = torch.arange(wave.size(1), device=wave.device)[None, :] < lens[:, None]
        if self.normalize_wave:  # zero mean, unit variance over the valid samples (Wav2Vec2FeatureExtractor)
            n = lens.clamp(min=1)[:, None].to(wave.dtype)
            mean = (wave * valid).sum(1, keepdim=True) / n
            var = (((wave - mean) * valid) ** 2).sum(1, keepdim=True) / n
            wave = (wave - mean) / (var + 1e-7).sqrt()
        wave = (wave * valid).to(self.dtype)
        if self.per_utterance or wave.size(0) == 1:
            states = [self._wav2vec2_states(wave[k: k + 1, : int(lens[k])], None) for k in range(wave.size(0))]
            return _pad_states(states), out_lens
        mask = valid.long()
        return self._wav2vec2_states(wave, mask), out_lens

    def _wav2vec2_states(self, wave, mask):
        out = self.model(wave, attention_mask=mask, output_hidden_states=True)
        return torch.stack(out.hidden_states, dim=2).float()

    # ------------------------------------------------------------------ whisper
    def log_mel(self, wave: np.ndarray) -> torch.Tensor:
        """Whisper log-mel of one waveform of at most 30 s: (80, 3000) padded as Hugging Face pads
        (`whisper_input: pad`), else (80, samples // 160) unpadded."""
        pad = self.whisper_input == "pad"
        feats = self.mel(wave, sampling_rate=SAMPLE_RATE, padding="max_length" if pad else "longest",
                         truncation=False, return_tensors="np")["input_features"][0]
        return torch.from_numpy(feats if pad else feats[:, : wave.shape[0] // 160])

    def _whisper(self, wave, lens):
        chunk = self.max_frames * 160  # samples in 30 s
        pieces, owner, frames = [], [], []  # 30 s pieces of every utterance, in order
        for k in range(wave.size(0)):
            w = wave[k, : int(lens[k])].detach().cpu().float().numpy()
            for start in range(0, max(len(w), 1), chunk):
                piece = w[start: start + chunk]
                pieces.append(self.log_mel(piece).to(wave.device))
                frames.append(len(piece) // 160)
                owner.append(k)
        states = self._whisper_chunks(pieces, torch.tensor(frames))
        per_utt = [torch.cat([s for s, o in zip(states, owner) if o == k], dim=0) for k in range(wave.size(0))]
        return _pad_states([s[None] for s in per_utt]), self.frames_of(lens)

    def _whisper_chunks(self, mels: list[torch.Tensor], frames: torch.Tensor) -> list[torch.Tensor]:
        """States (T_i, L, D) of mel chunks (80, F_i) holding `frames` valid frames, in one batch."""
        enc = self.model
        width = max(m.shape[1] for m in mels)
        width += width % 2
        x = torch.zeros(len(mels), mels[0].shape[0], width, dtype=self.dtype, device=mels[0].device)
        for k, m in enumerate(mels):
            x[k, :, : m.shape[1]] = m.to(self.dtype)
        out_frames = torch.div(frames + 1, 2, rounding_mode="floor")
        h = torch.nn.functional.gelu(enc.conv1(x))
        if self.whisper_input == "crop":  # as if each utterance ended where it ends
            h = h * (torch.arange(width, device=h.device)[None, :] < frames[:, None].to(h.device))[:, None, :]
        h = torch.nn.functional.gelu(enc.conv2(h)).permute(0, 2, 1)
        t = h.size(1)
        h = h + enc.embed_positions.weight[:t].to(h.dtype)
        mask = None
        if self.whisper_input == "crop" and len(mels) > 1:
            keys = torch.arange(t, device=h.device)[None, :] < out_frames[:, None].to(h.device)
            mask = torch.zeros(len(mels), 1, t, t, dtype=h.dtype, device=h.device)
            mask = mask.masked_fill(~keys[:, None, None, :], torch.finfo(h.dtype).min)
        states = [h]
        for layer in enc.layers:
            h = layer(h, mask)
            h = h[0] if isinstance(h, tuple) else h
            states.append(h)
        states[-1] = enc.layer_norm(states[-1])
        stacked = torch.stack(states, dim=2).float()
        return [stacked[k, : int(n)] for k, n in enumerate(out_frames)]


def _pad_states(states: list[torch.Tensor]) -> torch.Tensor:
    """[(1, T_i, L, D)] -> (B, max T, L, D) zero-padded."""
    t = max(s.size(1) for s in states)
    out = states[0].new_zeros(len(states), t, *states[0].shape[2:])
    for k, s in enumerate(states):
        out[k, : s.size(1)] = s[0]
    return out


class LayerWeightedSum(torch.nn.Module):
    """A learned softmax-weighted sum of chosen hidden states (SUPERB), or one state alone.

    `layers`: "all", one index, or a list of indices into the upstream's states (0 = the
    embedding output). Each chosen state can first be layer-normalised (without parameters), so
    that layers of very different scales weigh by their content, not their size."""

    def __init__(self, num_states: int, layers, normalize: bool = True, combine: str = "weighted_sum"):
        """`combine`: weighted_sum (D out) or concat (the chosen states side by side, len(layers) x D
        out: the next layer learns its own mix of every state's dimensions)."""
        super().__init__()
        if combine not in COMBINE:
            raise ConfigError(f"config key 'frontend.upstream.combine': '{combine}' is not one of {', '.join(COMBINE)}")
        self.combine = combine
        if layers is None or layers == "all":
            chosen = list(range(num_states))
        elif isinstance(layers, int) and not isinstance(layers, bool):
            chosen = [layers]
        elif isinstance(layers, list) and layers and all(isinstance(i, int) for i in layers):
            chosen = list(layers)
        else:
            raise ConfigError(f"config key 'frontend.upstream.layers' must be all, a layer index or a list of "
                              f"indices, got {layers!r}")
        bad = [i for i in chosen if not 0 <= i < num_states]
        if bad:
            raise ConfigError(f"config key 'frontend.upstream.layers': {bad[0]} is not a hidden state of this "
                              f"upstream (0..{num_states - 1}: 0 is the embedding output)")
        self.register_buffer("chosen", torch.tensor(chosen), persistent=False)
        self.normalize = normalize
        self.num_chosen = len(chosen)
        self.weights = torch.nn.Parameter(torch.zeros(len(chosen))) \
            if len(chosen) > 1 and combine == "weighted_sum" else None

    def output_size(self, dim: int) -> int:
        return dim * self.num_chosen if self.combine == "concat" else dim

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """(B, T, L, D) -> (B, T, D)."""
        x = states.index_select(2, self.chosen)
        if self.normalize:
            x = torch.nn.functional.layer_norm(x, x.shape[-1:])
        if self.combine == "concat":
            return x.flatten(2)
        if self.weights is None:
            return x[:, :, 0]
        return (x * torch.softmax(self.weights, 0)[None, None, :, None]).sum(2)
