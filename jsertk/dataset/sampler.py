"""Length-bucketed batches under a frame budget, with per-set sampling weights and DDP sharding.

Each epoch: the utterances of every training set are drawn according to the set's weight (2.0 =
every utterance twice, 0.5 = a random half), sorted by length (ties in random order), and cut into
batches whose padded size (batch size x longest utterance) stays within `max_frames`; the batch
order is then shuffled. Everything depends only on (seed, epoch), so a resumed run sees the same
batches, and `start` skips the batches an interrupted epoch already consumed.

With per-utterance `classes` (a class index, or -1 for no class label), the labelled part of
each epoch's draw is redrawn class-balanced: as many labelled utterances as before, an equal
share for every class present (a rare class repeats, a frequent one is subsampled); unlabelled
utterances are kept as drawn. The epoch size stays the same.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np


def draw_indices(set_ids: Sequence[int], weights: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Utterance indices for one epoch under per-set weights (missing weights are 1.0)."""
    set_ids = np.asarray(set_ids)
    out = []
    for s in np.unique(set_ids):
        idx = np.flatnonzero(set_ids == s)
        w = weights[s] if s < len(weights) else 1.0
        whole, frac = int(math.floor(w)), w - math.floor(w)
        out.extend([idx] * whole)
        if frac > 0:
            out.append(rng.choice(idx, size=int(round(frac * idx.size)), replace=False))
    return np.concatenate(out) if out else np.zeros(0, dtype=int)


def balance_classes(indices: np.ndarray, classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Redraw the class-labelled entries of `indices` so every class gets an equal share of them.

    A class's share is filled with each of its utterances (among those drawn) equally often,
    plus a random remainder without repetition."""
    labelled = indices[classes[indices] >= 0]
    if labelled.size == 0:
        return indices
    present = np.unique(classes[labelled])
    shares = np.full(present.size, labelled.size // present.size)
    shares[rng.choice(present.size, size=labelled.size % present.size, replace=False)] += 1
    out = [indices[classes[indices] < 0]]
    for c, share in zip(present, shares):
        pool = np.unique(labelled[classes[labelled] == c])
        whole, rest = divmod(int(share), pool.size)
        out.extend([pool] * whole)
        out.append(rng.choice(pool, size=rest, replace=False))
    return np.concatenate(out)


def pack_by_length(indices: np.ndarray, lengths: np.ndarray, max_frames: int, max_batch_size: int = 0
                   ) -> list[list[int]]:
    """Cut indices (sorted by length ascending) into batches with size x max length <= max_frames."""
    batches, cur, cur_max = [], [], 0
    for i in indices:
        n = int(lengths[i])
        longest = max(cur_max, n)
        if cur and (longest * (len(cur) + 1) > max_frames or (max_batch_size and len(cur) >= max_batch_size)):
            batches.append(cur)
            cur, longest = [], n
        cur.append(int(i))
        cur_max = longest
    if cur:
        batches.append(cur)
    return batches


class BucketBatchSampler:
    def __init__(self, lengths: Sequence[int], max_frames: int, *, set_ids: Sequence[int] | None = None,
                 set_weights: Sequence[float] = (), max_batch_size: int = 0, shuffle: bool = True, seed: int = 0,
                 rank: int = 0, world_size: int = 1, classes: Sequence[int] | None = None):
        if max_frames <= 0:
            raise ValueError(f"the frame budget per batch must be positive, got {max_frames}")
        self.lengths = np.asarray(lengths)
        self.set_ids = np.zeros(len(lengths), dtype=int) if set_ids is None else np.asarray(set_ids)
        self.set_weights = list(set_weights)
        self.classes = None if classes is None else np.asarray(classes)
        if self.classes is not None and self.classes.shape != self.lengths.shape:
            raise ValueError(f"{self.classes.size} class labels for {self.lengths.size} utterances")
        self.max_frames, self.max_batch_size = max_frames, max_batch_size
        self.shuffle, self.seed = shuffle, seed
        self.rank, self.world_size = rank, world_size
        self.epoch, self.start = 0, 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start

    def all_batches(self, epoch: int) -> list[list[int]]:
        """Every batch of the epoch, before sharding."""
        rng = np.random.default_rng([self.seed, epoch])
        idx = draw_indices(self.set_ids, self.set_weights, rng)
        if self.classes is not None:
            idx = balance_classes(idx, self.classes, rng)
        if self.shuffle:
            idx = idx[rng.permutation(idx.size)]
        idx = idx[np.argsort(self.lengths[idx], kind="stable")]
        batches = pack_by_length(idx, self.lengths, self.max_frames, self.max_batch_size)
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def epoch_batches(self, epoch: int) -> list[list[int]]:
        """This rank's batches; every rank gets the same number (the list is padded by wrapping)."""
        batches = self.all_batches(epoch)
        if self.world_size > 1:
            per_rank = math.ceil(len(batches) / self.world_size)
            wanted = per_rank * self.world_size
            batches = (batches * math.ceil(wanted / len(batches)))[:wanted]
            batches = batches[self.rank::self.world_size]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.epoch_batches(self.epoch)[self.start:]

    def __len__(self) -> int:
        return max(0, len(self.epoch_batches(self.epoch)) - self.start)

