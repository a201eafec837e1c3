"""Class-balanced drawing: equal class shares among the emotion-labelled utterances, the same epoch
size, unlabelled utterances and set weights as before, deterministic per epoch."""
from __future__ import annotations

import numpy as np
import pytest

from jsertk.dataset.sampler import BucketBatchSampler, balance_classes

# 90 of class 0, 10 of class 1, 30 of class 2, 50 without a class label
CLASSES = [0] * 90 + [1] * 10 + [2] * 30 + [-1] * 50
LENGTHS = np.random.default_rng(1).integers(50, 300, size=len(CLASSES)).tolist()


def _drawn(batches):
    return np.array([i for b in batches for i in b])


def test_each_class_is_drawn_equally_often_and_the_epoch_keeps_its_size():
    s = BucketBatchSampler(LENGTHS, 2000, classes=CLASSES, seed=2)
    idx = _drawn(s.all_batches(1))
    assert idx.size == len(CLASSES)
    cls = np.asarray(CLASSES)[idx]
    assert sorted(np.bincount(cls[cls >= 0]).tolist()) == [43, 43, 44]  # 130 labelled draws in three shares
    assert sorted(idx[cls < 0].tolist()) == list(range(130, 180))  # unlabelled: each once, as without balancing
    # the rare class repeats each of its utterances (4 or 5 times), the frequent one is subsampled without repeats
    rare = np.bincount(idx[cls == 1], minlength=100)[90:100]
    assert rare.min() >= 4 and rare.max() <= 5
    assert np.bincount(idx[cls == 0]).max() == 1
    for b in s.all_batches(1):
        assert len(b) == 1 or len(b) * max(LENGTHS[i] for i in b) <= 2000
    assert s.all_batches(1) == BucketBatchSampler(LENGTHS, 2000, classes=CLASSES, seed=2).all_batches(1)
    assert _drawn(s.all_batches(1)).tolist() != _drawn(s.all_batches(2)).tolist()


def test_balancing_follows_the_set_weights():
    set_ids = [0] * 100 + [1] * 80  # set 1 (30 of class 2, 50 unlabelled) left out
    s = BucketBatchSampler(LENGTHS, 2000, set_ids=set_ids, set_weights=[1.0, 0.0], classes=CLASSES)
    cls = np.asarray(CLASSES)[_drawn(s.all_batches(1))]
    assert np.bincount(cls).tolist() == [50, 50]


def test_without_class_labels_nothing_changes():
    idx = np.arange(10)
    assert balance_classes(idx, np.full(10, -1), np.random.default_rng(0)).tolist() == idx.tolist()
    with pytest.raises(ValueError, match="3 class labels for 4 utterances"):
        BucketBatchSampler([10, 10, 10, 10], 100, classes=[0, 1, 0])
