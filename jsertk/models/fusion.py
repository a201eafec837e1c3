"""Fusion of the acoustic and lexical views into one utterance vector.

- `concat`: pooled acoustic and pooled lexical vectors, concatenated and projected;
- `cross_attention`: acoustic frames attend to lexical tokens; the attended sequence is pooled
  and concatenated with the pooled acoustic vector;
- `gated`: a learned per-dimension gate mixes the projected pooled views (a soft choice of
  which view to trust for this utterance).
"""
from __future__ import annotations

import torch

from jsertk.models.pooling import (
    AttentiveStatsPooling,
    MaxPooling,
    length_mask,
    masked_mean,
)
from jsertk.models.pooling import acoustic_pooling as make_acoustic_pooling

FUSION_TYPES = ("concat", "cross_attention", "gated")
LEXICAL_POOLINGS = ("attentive", "max")  # how the lexical token vectors become one vector


class Fusion(torch.nn.Module):
    def __init__(self, kind: str, acoustic_dim: int, lexical_dim: int, dim: int = 256, heads: int = 4,
                 dropout: float = 0.1, lexical_pooling: str = "attentive", acoustic_pooling: str = "attentive"):
        super().__init__()
        if kind not in FUSION_TYPES:
            raise ValueError(f"fusion type must be one of {FUSION_TYPES}, got '{kind}'")
        if lexical_pooling not in LEXICAL_POOLINGS:
            raise ValueError(f"lexical pooling must be one of {LEXICAL_POOLINGS}, got '{lexical_pooling}'")
        self.kind = kind
        self.acoustic_pool = make_acoustic_pooling(acoustic_pooling, acoustic_dim)
        self.lexical_pool = (AttentiveStatsPooling(lexical_dim) if lexical_pooling == "attentive"
                             else MaxPooling(lexical_dim))
        a, lx = self.acoustic_pool.output_size, self.lexical_pool.output_size
        if kind == "concat":
            self.proj = torch.nn.Sequential(torch.nn.Linear(a + lx, dim), torch.nn.ReLU(), torch.nn.Dropout(dropout))
        elif kind == "cross_attention":
            self.query = torch.nn.Linear(acoustic_dim, dim)
            self.key_value = torch.nn.Linear(lexical_dim, dim)
            self.attention = torch.nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
            self.proj = torch.nn.Sequential(torch.nn.Linear(a + dim, dim), torch.nn.ReLU(), torch.nn.Dropout(dropout))
        else:
            self.a_proj = torch.nn.Linear(a, dim)
            self.l_proj = torch.nn.Linear(lx, dim)
            self.gate = torch.nn.Linear(a + lx, dim)
            self.dropout = torch.nn.Dropout(dropout)
        self.output_size = dim

    def forward(self, acoustic: torch.Tensor, a_lens: torch.Tensor, lexical: torch.Tensor, l_lens: torch.Tensor,
                pooled_acoustic: torch.Tensor | None = None, pooled_lexical: torch.Tensor | None = None
                ) -> torch.Tensor:
        pa = pooled_acoustic if pooled_acoustic is not None else self.acoustic_pool(acoustic, a_lens)
        if self.kind == "cross_attention":
            q = self.query(acoustic)
            kv = self.key_value(lexical)
            attended, _ = self.attention(q, kv, kv, key_padding_mask=~length_mask(l_lens, lexical.size(1)))
            return self.proj(torch.cat([pa, masked_mean(attended, a_lens)], dim=-1))
        pl = pooled_lexical if pooled_lexical is not None else self.lexical_pool(lexical, l_lens)
        if self.kind == "concat":
            return self.proj(torch.cat([pa, pl], dim=-1))
        g = torch.sigmoid(self.gate(torch.cat([pa, pl], dim=-1)))
        return self.dropout(g * torch.tanh(self.a_proj(pa)) + (1 - g) * torch.tanh(self.l_proj(pl)))
