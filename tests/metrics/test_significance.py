"""Bootstrap intervals, paired bootstrap and McNemar: known answers and their sensitivity."""
from __future__ import annotations

import math

import numpy as np
import pytest

from jsertk.metrics.ser import classification_scores
from jsertk.metrics.significance import bootstrap_ci, mcnemar, paired_bootstrap, paired_t, scores_from_indices


def test_index_scores_match_the_classification_scores():
    rng = np.random.default_rng(1)
    ref, hyp = rng.integers(0, 4, 300), rng.integers(0, 5, 300)  # 4 = no hypothesis
    names = ["a", "b", "c", "d"]
    full = classification_scores({f"u{i}": names[r] for i, r in enumerate(ref)},
                                 {f"u{i}": names[h] for i, h in enumerate(hyp) if h < 4}, names)
    fast = scores_from_indices(ref, hyp, 4)
    for m in ("UA", "WA", "macro_F1", "weighted_F1"):
        assert math.isclose(fast[m], full[m], rel_tol=1e-12)


def test_the_interval_holds_the_score_and_narrows_with_more_utterances():
    rng = np.random.default_rng(0)

    def width(n):
        ref = rng.integers(0, 3, n)
        hyp = np.where(rng.random(n) < 0.7, ref, (ref + 1) % 3)
        lo, hi = bootstrap_ci(ref, hyp, 3, num=300)["UA"]
        assert lo <= scores_from_indices(ref, hyp, 3)["UA"] <= hi
        return hi - lo

    assert width(2000) < 0.5 * width(100)


def test_speaker_resampling_gives_wider_intervals_when_speakers_differ():
    rng = np.random.default_rng(0)
    spk = np.repeat(np.arange(10), 50)
    skill = np.linspace(0.3, 0.95, 10)[spk]  # some speakers are much harder than others
    ref = rng.integers(0, 4, len(spk))
    hyp = np.where(rng.random(len(spk)) < skill, ref, (ref + 1) % 4)
    by_utt = bootstrap_ci(ref, hyp, 4, num=300)["UA"]
    by_spk = bootstrap_ci(ref, hyp, 4, num=300, groups=spk)["UA"]
    assert by_spk[1] - by_spk[0] > 1.5 * (by_utt[1] - by_utt[0])


def test_paired_tests_find_a_real_difference_and_not_a_tie():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 4, 400)
    good = np.where(rng.random(400) < 0.8, ref, (ref + 1) % 4)
    bad = np.where(rng.random(400) < 0.6, ref, (ref + 2) % 4)
    res = paired_bootstrap(ref, good, bad, 4, num=500)
    assert res["UA"]["diff"] > 0.1 and res["UA"]["p"] < 0.01 and res["UA"]["ci"][0] > 0
    same = paired_bootstrap(ref, good, good.copy(), 4, num=200)
    assert same["UA"]["diff"] == 0 and same["UA"]["p"] == 1.0
    mc = mcnemar(ref, good, bad)
    assert mc["a_only"] > mc["b_only"] and mc["p"] < 0.001
    assert mcnemar(ref, good, good)["p"] == 1.0


def test_mcnemar_exact_value():
    # 6 discordant pairs all in favour of A: p = 2 * (1/2)^6
    ref = np.zeros(10, dtype=int)
    a = np.zeros(10, dtype=int)
    b = np.array([1] * 6 + [0] * 4)
    assert math.isclose(mcnemar(ref, a, b)["p"], 2 / 64)


def test_paired_t_known_value_and_degenerate_cases():
    # differences 1, 2, 3: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 3.464 on 2 df -> p 0.0742;
    # half width t_0.975(2) = 4.303 times 1 / sqrt 3 = 2.484
    t = paired_t([1.0, 2.0, 3.0])
    assert t["n"] == 3 and t["mean"] == 2.0
    assert t["ci"] == pytest.approx((2 - 2.4841, 2 + 2.4841), abs=1e-3)
    assert t["p"] == pytest.approx(0.0742, abs=1e-3)
    assert paired_t([0.5]) is None
    assert paired_t([0.0, 0.0])["p"] == 1.0 and paired_t([0.1, 0.1])["p"] == 0.0
