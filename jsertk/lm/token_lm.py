"""An ARPA n-gram model over a tokenizer's ids: full-vocabulary log-probabilities per context.

Token ids follow the tokenizer layout: `<s>` and `</s>` are both the `<sos/eos>` id (a context's
first position means `<s>`, a predicted one `</s>`); `<blank>` is never predicted. A vocabulary
token the ARPA file lacks gets the probability of `<unk>` where the file has one, else
`UNSEEN_LOGPROB` (ARPA's conventional -99 in log10), as does `<blank>`.
"""
from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np

from jsertk.lm.arpa import LN10, ArpaError, ArpaModel, read_arpa
from jsertk.lm.kneser_ney import BOS, EOS

UNSEEN_LOGPROB = -99.0 * LN10
UNK = "<unk>"


class TokenNgramLM:
    """Back-off n-gram probabilities over token ids; the vector of one context is computed once."""

    def __init__(self, arpa: ArpaModel | str | os.PathLike, token_list: Sequence[str], sos_eos_id: int | None = None):
        self.arpa = arpa if isinstance(arpa, ArpaModel) else read_arpa(arpa)
        self.order = self.arpa.order
        self.vocab_size = len(token_list)
        self.eos = self.vocab_size - 1 if sos_eos_id is None else sos_eos_id
        index = {t: i for i, t in enumerate(token_list)}
        index[BOS] = index[EOS] = self.eos
        outside = sorted(self.arpa.vocab() - set(index))
        if outside:
            line = _first_line_with(self.arpa.path, outside[0])
            raise ArpaError(f"{self.arpa.path}:{line}: token '{outside[0]}' is not in the vocabulary of the "
                            f"tokenizer ({len(outside)} such tokens: {' '.join(outside[:10])}); was the LM "
                            "trained with another tokenizer?")
        # context (ids) -> (next ids, their log-probs); context -> backoff
        children: dict[tuple[int, ...], tuple[list[int], list[float]]] = {}
        for gram, logp in self.arpa.logprobs.items():
            ids = tuple(index[t] for t in gram)
            kids = children.setdefault(ids[:-1], ([], []))
            kids[0].append(ids[-1])
            kids[1].append(logp)
        self._children = {h: (np.array(i, np.int64), np.array(p, np.float64)) for h, (i, p) in children.items()}
        self._backoff = {tuple(index[t] for t in g): b for g, b in self.arpa.backoffs.items()}
        self._known = (set(self._children) | set(self._backoff)
                       | {tuple(index[t] for t in g) for g in self.arpa.logprobs})
        unk_logp = self.arpa.logprobs.get((UNK,), UNSEEN_LOGPROB)
        base = np.full(self.vocab_size, unk_logp, np.float64)
        if token_list[0] == "<blank>":
            base[0] = UNSEEN_LOGPROB
        self._unigram_floor = base
        self._cache: dict[tuple[int, ...], np.ndarray] = {}

    def context(self, history: Sequence[int]) -> tuple[int, ...]:
        """The longest suffix of `history` (ids, starting with <sos/eos> for a sentence start) that the
        model knows as an n-gram: the state that decides the next token's distribution."""
        keep = self.order - 1
        ctx = tuple(int(t) for t in history[max(len(history) - keep, 0):]) if keep else ()
        while ctx and ctx not in self._known:
            ctx = ctx[1:]
        return ctx

    def logprobs(self, ctx: tuple[int, ...]) -> np.ndarray:
        """ln p(token | ctx) for every token id (float64, length vocab_size); `ctx` from `context()`."""
        vec = self._cache.get(ctx)
        if vec is None:
            if ctx:
                vec = self.logprobs(ctx[1:]) + self._backoff.get(ctx, 0.0)
            else:
                vec = self._unigram_floor.copy()
            kids = self._children.get(ctx)
            if kids is not None:
                vec[kids[0]] = kids[1]
            vec.setflags(write=False)
            self._cache[ctx] = vec
        return vec

    def next_logprobs(self, history: Sequence[int]) -> np.ndarray:
        return self.logprobs(self.context(history))

    def sentence_logprob(self, ids: Sequence[int]) -> float:
        """ln p(ids followed by </s>) given <s>."""
        history = [self.eos]
        total = 0.0
        for t in [*ids, self.eos]:
            total += float(self.next_logprobs(history)[t])
            history.append(int(t))
        return total

    def perplexity(self, sentences: Sequence[Sequence[int]]) -> float:
        """Per-token perplexity, `</s>` counted as a token."""
        n = sum(len(s) + 1 for s in sentences)
        return math.exp(-sum(self.sentence_logprob(s) for s in sentences) / n) if n else float("nan")


def _first_line_with(path, token: str) -> int:
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if token in line.split():
                return lineno
    return 0
