"""Length-bucketed batching: frame budget, determinism per epoch, set weights, DDP shards, resume offset."""
from __future__ import annotations

import numpy as np

from jsertk.dataset.sampler import BucketBatchSampler, draw_indices

LENGTHS = np.random.default_rng(0).integers(50, 400, size=200).tolist()


def test_batches_respect_the_frame_budget_and_cover_every_utterance():
    s = BucketBatchSampler(LENGTHS, max_frames=2000)
    batches = s.all_batches(1)
    assert sorted(i for b in batches for i in b) == list(range(200))
    for b in batches:
        assert len(b) * max(LENGTHS[i] for i in b) <= 2000
    # sorting keeps padding small: far less than with random batches of the same sizes
    pad = sum(len(b) * max(LENGTHS[i] for i in b) - sum(LENGTHS[i] for i in b) for b in batches)
    assert pad < 0.1 * sum(LENGTHS)


def test_max_batch_size_and_an_utterance_over_budget():
    s = BucketBatchSampler([10] * 20 + [5000], max_frames=1000, max_batch_size=4, shuffle=False)
    batches = s.all_batches(0)
    assert max(len(b) for b in batches) == 4
    assert [20] in batches  # alone, over the budget


def test_same_epoch_same_batches_other_epoch_other_order():
    a, b = BucketBatchSampler(LENGTHS, 2000, seed=3), BucketBatchSampler(LENGTHS, 2000, seed=3)
    assert a.all_batches(2) == b.all_batches(2)
    assert a.all_batches(2) != a.all_batches(3)


def test_start_skips_consumed_batches():
    s = BucketBatchSampler(LENGTHS, 2000)
    full = s.epoch_batches(4)
    s.set_epoch(4, start=5)
    assert list(s) == full[5:] and len(s) == len(full) - 5


def test_set_weights_draw_sets_more_or_less_often():
    set_ids = [0] * 100 + [1] * 100
    idx = draw_indices(set_ids, [2.0, 0.5], np.random.default_rng(0))
    counts = np.bincount(np.asarray(set_ids)[idx])
    assert counts.tolist() == [200, 50]
    assert len(set(idx[idx >= 100].tolist())) == 50  # a random half, each once


def test_ddp_shards_are_disjoint_and_equal_in_number():
    shards = [BucketBatchSampler(LENGTHS, 2000, rank=r, world_size=3).epoch_batches(1) for r in range(3)]
    assert len({len(s) for s in shards}) == 1
    seen = [i for s in shards for b in s for i in b]
    assert set(seen) == set(range(200))
