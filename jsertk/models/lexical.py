"""The lexical branch: token-level representations taken from the ASR branch, text-encoded.

Four sources (config `lexical.source`). Three come from what the joint model's own ASR branch
produces, so the branch sees at test time what it saw in training:
- `ctc_posteriors`: CTC posteriors collapsed at their spikes, one vector per emitted token
  (the mean posterior over each run of frames whose best label is the same non-blank token);
- `decoder_states`: hidden states of the attention decoder run over the 1-best hypothesis;
- `hyp_embeddings`: learned embeddings of the 1-best hypothesis tokens.
The fourth, `whisper_states`, comes from a frozen pretrained Whisper as the ASR branch: its
decoder's final states over its own 1-best (`jsertk dump-lexical`), read with the batch.
"""
from __future__ import annotations

import math

import torch

from jsertk.models.pooling import length_mask

LEXICAL_SOURCES = ("ctc_posteriors", "decoder_states", "hyp_embeddings", "whisper_states")


def collapse_ctc_spikes(posteriors: torch.Tensor, lens: torch.Tensor, blank_id: int = 0
                        ) -> tuple[torch.Tensor, torch.Tensor, list[list[int]]]:
    """Token-level vectors from frame-level CTC posteriors (B, T, V).

    Returns (vectors (B, L, V), lengths (B,), token ids per utterance). An utterance with no
    non-blank frame gets one vector, the mean over all its frames, so no sequence is empty.
    Differentiable with respect to `posteriors` (the segmentation itself is not).
    """
    best = posteriors.argmax(-1)
    out, tokens = [], []
    for b in range(posteriors.size(0)):
        n = int(lens[b])
        labels = best[b, :n].tolist()
        runs, start = [], 0
        for t in range(1, n + 1):
            if t == n or labels[t] != labels[start]:
                if labels[start] != blank_id:
                    runs.append((start, t))
                start = t
        if runs:
            out.append(torch.stack([posteriors[b, s:e].mean(0) for s, e in runs]))
            tokens.append([labels[s] for s, _ in runs])
        else:
            out.append(posteriors[b, :max(n, 1)].mean(0, keepdim=True))
            tokens.append([])
    lengths = torch.tensor([len(v) for v in out], device=posteriors.device)
    return torch.nn.utils.rnn.pad_sequence(out, batch_first=True), lengths, tokens


class PositionalEncoding(torch.nn.Module):
    def __init__(self, dim: int, max_len: int = 2000):
        super().__init__()
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
        pe = torch.zeros(max_len, dim)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)[:, : dim // 2]
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.size(1) > self.pe.size(0):
            raise ValueError(f"sequence of {x.size(1)} tokens exceeds the positional table ({self.pe.size(0)})")
        return x + self.pe[: x.size(1)]


class TextEncoder(torch.nn.Module):
    """A small Transformer over token-level vectors (B, L, input_dim) -> (B, L, dim)."""

    def __init__(self, input_dim: int, dim: int = 128, num_layers: int = 2, heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.input = torch.nn.Linear(input_dim, dim)
        self.position = PositionalEncoding(dim)
        layer = torch.nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout, batch_first=True, norm_first=True)
        self.layers = torch.nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(dim)
        self.output_size = dim

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        h = self.position(self.input(x))
        h = self.layers(h, src_key_padding_mask=~length_mask(lens, x.size(1)))
        return self.norm(h)


class ConvTextEncoder(torch.nn.Module):
    """Parallel 1-D convolutions over the token vectors (B, L, input_dim) -> (B, L, dim * len(widths)).

    Each filter is an n-gram detector over `widths` tokens; max-pooled over positions (lexical
    pooling `max`) they act as keyword spotters. With character tokens and a few hundred
    emotion-labelled utterances they learn the emotion words where a Transformer encoder stays
    near chance (docs/models.md has the comparison).
    """

    def __init__(self, input_dim: int, dim: int = 128, widths: tuple[int, ...] = (3, 5, 7), dropout: float = 0.1):
        super().__init__()
        if not widths or any(int(w) < 1 for w in widths):
            raise ValueError(f"lexical widths must be positive integers, got {list(widths)}")
        self.input = torch.nn.Linear(input_dim, dim)
        self.dropout = torch.nn.Dropout(dropout)
        self.convs = torch.nn.ModuleList(torch.nn.Conv1d(dim, dim, int(w), padding=int(w) // 2) for w in widths)
        self.widths = [int(w) for w in widths]
        self.output_size = dim * len(widths)

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        mask = length_mask(lens, x.size(1)).unsqueeze(-1).to(x.dtype)
        h = (self.dropout(self.input(x)) * mask).transpose(1, 2)  # (B, dim, L); padding zeroed like the edges
        # an even width pads one step more than it consumes: cut back to L positions
        out = torch.cat([torch.relu(conv(h))[..., : x.size(1)] for conv in self.convs], dim=1).transpose(1, 2)
        return out * mask


LEXICAL_ENCODERS = ("transformer", "cnn")


class LexicalBranch(torch.nn.Module):
    """Turns one of the ASR branch's outputs into text-encoded token vectors (B, L, output_size)."""

    def __init__(self, source: str, vocab_size: int, decoder_dim: int | None = None, dim: int = 128,
                 num_layers: int = 2, heads: int = 4, dropout: float = 0.1, embed_dim: int = 64,
                 encoder: str = "transformer", widths: tuple[int, ...] = (3, 5, 7),
                 external_dim: int | None = None):
        super().__init__()
        if source not in LEXICAL_SOURCES:
            raise ValueError(f"lexical source must be one of {LEXICAL_SOURCES}, got '{source}'")
        if encoder not in LEXICAL_ENCODERS:
            raise ValueError(f"lexical encoder must be one of {LEXICAL_ENCODERS}, got '{encoder}'")
        if source == "decoder_states" and decoder_dim is None:
            raise ValueError("lexical source 'decoder_states' needs an attention decoder in the ASR branch")
        if source == "whisper_states" and not external_dim:
            raise ValueError("lexical source 'whisper_states' needs the Whisper decoder's dimension")
        self.source = source
        self.embed = torch.nn.Embedding(vocab_size, embed_dim) if source == "hyp_embeddings" else None
        input_dim = {"ctc_posteriors": vocab_size, "decoder_states": decoder_dim, "hyp_embeddings": embed_dim,
                     "whisper_states": external_dim}[source]
        if encoder == "cnn":
            self.encoder = ConvTextEncoder(input_dim, dim, tuple(widths), dropout)
        else:
            self.encoder = TextEncoder(input_dim, dim, num_layers, heads, dropout)
        self.output_size = self.encoder.output_size

    def forward(self, inputs: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        """`inputs`: posteriors (B, L, V), decoder states (B, L, D) or token ids (B, L)."""
        x = self.embed(inputs) if self.embed is not None else inputs
        return self.encoder(x, lens)
