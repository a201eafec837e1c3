"""Interpolated modified Kneser-Ney estimation of a token n-gram model (Chen & Goodman, 1998).

Sentences are padded with one `<s>` and one `</s>`. The highest order uses raw counts; lower orders
use continuation counts (the number of distinct tokens seen to the left), except n-grams that start
with `<s>`: nothing can stand left of them, so they keep their raw counts. Each order has three
discounts D1, D2, D3+ from the count-of-counts of its (adjusted) counts, and

    p(w | h) = max(c(h w) - D(c(h w)), 0) / c(h) + gamma(h) p(w | h minus its first token)
    gamma(h) = (D1 N1(h) + D2 N2(h) + D3 N3+(h)) / c(h)

with the unigrams interpolated with the uniform distribution over the vocabulary, so every token
of the vocabulary (and `</s>`) has a non-zero probability. In ARPA terms gamma(h) is the backoff
weight of h and the stored probability of a seen n-gram is its interpolated probability.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from jsertk.utils.errors import InputError

BOS, EOS = "<s>", "</s>"


@dataclass
class NgramModel:
    """Natural-log probabilities of every seen n-gram (and every unigram of the vocabulary) and
    natural-log backoff weights of the n-grams that are contexts of longer ones."""

    order: int
    vocab: list[str]  # the tokens that can be predicted, `</s>` included, `<s>` not
    logprobs: list[dict[tuple[str, ...], float]]  # [n - 1]: n-gram -> ln p(last | rest)
    backoffs: list[dict[tuple[str, ...], float]]  # [n - 1]: n-gram -> ln gamma(n-gram as a context)
    discounts: list[tuple[float, float, float]]  # [n - 1]: (D1, D2, D3+)

    def ngram_counts(self) -> list[int]:
        """Entries per order as the ARPA header lists them (`<s>` counts as a unigram there)."""
        return [len(p) + (1 if n == 0 else 0) for n, p in enumerate(self.logprobs)]


def count_ngrams(sentences: Iterable[Sequence[str]], order: int) -> list[Counter]:
    """Raw counts of every n-gram, n = 1 .. order, of the padded sentences."""
    raw = [Counter() for _ in range(order)]
    for sent in sentences:
        seq = (BOS, *sent, EOS)
        for n in range(1, order + 1):
            raw[n - 1].update(zip(*(seq[i:] for i in range(n))))
    return raw


def adjusted_counts(raw: list[Counter]) -> list[Counter]:
    """Kneser-Ney counts: raw at the highest order and for n-grams starting with <s>, continuation
    counts below."""
    order = len(raw)
    adjusted = [Counter() for _ in range(order)]
    adjusted[-1] = raw[-1]
    for n in range(order - 1, 0, -1):  # order n from the distinct (n+1)-grams
        cont = adjusted[n - 1]
        for longer in raw[n]:
            cont[longer[1:]] += 1
        for gram, count in raw[n - 1].items():
            if gram[0] == BOS:
                cont[gram] = count
    return adjusted


def modified_discounts(counts: Iterable[int]) -> tuple[float, float, float]:
    """(D1, D2, D3+) from the count-of-counts; one absolute discount where the data are too few for
    three (a discount must lie in (0, k) for count k)."""
    n = Counter(c for c in counts if c <= 4)
    n1, n2, n3, n4 = (n.get(k, 0) for k in (1, 2, 3, 4))
    y = n1 / (n1 + 2 * n2) if n1 and n2 else 0.5
    if n1 and n2 and n3 and n4:
        d = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
        if all(0 < dk < k for k, dk in zip((1, 2, 3), d)):
            return d
    return (y, y, y)


def train_kneser_ney(sentences: Iterable[Sequence[str]], vocab: Iterable[str], order: int) -> NgramModel:
    """Estimate the model from token sequences (without <s>/</s>); `vocab` lists every token that
    may be predicted (tokens of the sentences outside it are an error)."""
    if order < 1:
        raise InputError(f"n-gram order must be at least 1, got {order}")
    vocab = [t for t in dict.fromkeys(vocab) if t not in (BOS, EOS)] + [EOS]
    raw = count_ngrams(sentences, order)
    unknown = sorted({g[0] for g in raw[0]} - set(vocab) - {BOS})
    if unknown:
        raise InputError(f"tokens outside the vocabulary in the training text: {' '.join(unknown[:10])}")
    if not raw[0]:
        raise InputError("no training sentences")
    adjusted = adjusted_counts(raw)
    adjusted[0].pop((BOS,), None)  # <s> is never predicted
    logprobs: list[dict] = []
    backoffs: list[dict] = []
    discounts: list[tuple[float, float, float]] = []
    uniform = 1.0 / len(vocab)
    lower: dict[tuple[str, ...], float] = {}
    for n in range(1, order + 1):
        counts = adjusted[n - 1]
        disc = modified_discounts(counts.values())
        total: dict[tuple, float] = defaultdict(float)
        removed: dict[tuple, float] = defaultdict(float)  # discount mass taken from each context
        for gram, c in counts.items():
            total[gram[:-1]] += c
            removed[gram[:-1]] += disc[min(c, 3) - 1]
        gamma = {h: removed[h] / total[h] for h in total}
        probs: dict[tuple, float] = {}
        for gram, c in counts.items():
            h = gram[:-1]
            below = uniform if n == 1 else math.exp(lower[gram[1:]])
            probs[gram] = math.log((c - disc[min(c, 3) - 1]) / total[h] + gamma[h] * below)
        if n == 1:
            for tok in vocab:
                if (tok,) not in probs:
                    probs[(tok,)] = math.log(gamma[()] * uniform)
        logprobs.append(probs)
        discounts.append(disc)
        if n > 1:  # gamma of the (n-1)-gram contexts is the backoff weight of those (n-1)-grams
            backoffs[n - 2] = {h: math.log(g) for h, g in gamma.items()}
        backoffs.append({})
        lower = probs
    return NgramModel(order, vocab, logprobs, backoffs, discounts)
