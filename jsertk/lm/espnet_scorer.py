"""The token n-gram LM as an ESPnet full scorer: `scorers["lm"]` with `weights["lm"]` in (Batch)BeamSearch.

The context is read from the hypothesis itself (its last order-1 tokens, `<sos>` first), so the scorer
keeps no state of its own; the per-context vectors are cached in the `TokenNgramLM`.
"""
from __future__ import annotations

import numpy as np
import torch
from espnet.nets.scorer_interface import BatchScorerInterface

from jsertk.lm.token_lm import TokenNgramLM


class NgramScorer(BatchScorerInterface):
    def __init__(self, lm: TokenNgramLM):
        self.lm = lm

    def init_state(self, x: torch.Tensor):
        return None

    def select_state(self, state, i: int, new_id: int | None = None):
        return None

    def score(self, y: torch.Tensor, state, x: torch.Tensor):
        vec = self.lm.next_logprobs(y[max(len(y) - self.lm.order + 1, 0):].tolist())
        return torch.from_numpy(vec.astype(np.float32)).to(y.device), None

    def batch_score(self, ys: torch.Tensor, states, xs: torch.Tensor):
        keep = self.lm.order - 1
        rows = ys[:, max(ys.shape[1] - keep, 0):].tolist() if keep else [[]] * ys.shape[0]
        scores = np.stack([self.lm.next_logprobs(r) for r in rows]).astype(np.float32)
        return torch.from_numpy(scores).to(ys.device), [None] * ys.shape[0]
