"""CTC prefix beam search over frame log-posteriors, optionally with a token n-gram LM.

Each prefix keeps two log-probabilities: of all alignments ending in blank and of those ending in
its last token. Per frame only the `token_beam` most likely tokens extend a prefix; the `beam`
best prefixes survive. Without an LM, scores are total log-probabilities of the label sequence.
With one (shallow fusion), a prefix is ranked by log p_ctc + lm_weight * log p_lm, the LM term
added once per emitted token and, at the end, for `</s>`.
"""
from __future__ import annotations

import math

import numpy as np

NEG_INF = float("-inf")


def _logadd(a: float, b: float) -> float:
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    hi, lo = (a, b) if a > b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))


def _slot(table: dict[tuple, list[float]], prefix: tuple) -> list[float]:
    """table[prefix], created as [log p(.. blank), log p(.. last token)] = [-inf, -inf] when missing."""
    s = table.get(prefix)
    if s is None:
        s = table[prefix] = [NEG_INF, NEG_INF]
    return s


def ctc_prefix_beam_search(log_probs: np.ndarray, beam: int = 10, blank_id: int = 0,
                           token_beam: int | None = None, lm=None, lm_weight: float = 0.0
                           ) -> list[tuple[list[int], float]]:
    """N-best (token ids, score) for one utterance's (T, V) log-posteriors, best first.

    `lm`: a `jsertk.lm.TokenNgramLM` over the same token ids (None: CTC alone).
    """
    token_beam = min(token_beam or beam, log_probs.shape[1])
    beams: dict[tuple, list[float]] = {(): [0.0, NEG_INF]}  # prefix -> [log p(.. blank), log p(.. last token)]
    lm_score: dict[tuple, float] = {(): 0.0}  # prefix -> lm_weight * log p_lm(prefix)

    def fused(prefix: tuple, scores: list[float]) -> float:
        return _logadd(*scores) + lm_score.get(prefix, 0.0)

    def lm_extend(prefix: tuple, token: int) -> None:
        if lm is not None and prefix + (token,) not in lm_score:
            step = lm.next_logprobs((lm.eos, *prefix[-lm.order:]))[token]
            lm_score[prefix + (token,)] = lm_score[prefix] + lm_weight * float(step)

    top = np.argpartition(-log_probs, token_beam - 1, axis=1)[:, :token_beam]
    for t in range(log_probs.shape[0]):
        row = log_probs[t]
        p_blank = float(row[blank_id])
        cands = [(int(c), float(row[c])) for c in top[t] if c != blank_id]
        nxt: dict[tuple, list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            total = _logadd(pb, pnb)
            s = _slot(nxt, prefix)
            s[0] = _logadd(s[0], total + p_blank)
            last = prefix[-1] if prefix else None
            if last is not None:  # the last token repeated: collapses into the same prefix
                s[1] = _logadd(s[1], pnb + float(row[last]))
            for c, p in cands:
                lm_extend(prefix, c)
                ext = _slot(nxt, prefix + (c,))
                # after the same token a new one needs a blank in between
                ext[1] = _logadd(ext[1], (pb if c == last else total) + p)
        beams = dict(sorted(nxt.items(), key=lambda kv: -fused(*kv))[:beam])
    final = {prefix: fused(prefix, scores) for prefix, scores in beams.items()}
    if lm is not None:
        for prefix in final:
            final[prefix] += lm_weight * float(lm.next_logprobs((lm.eos, *prefix[-lm.order:]))[lm.eos])
    ranked = sorted(final.items(), key=lambda kv: -kv[1])
    return [(list(prefix), score) for prefix, score in ranked]
