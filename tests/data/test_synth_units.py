"""Synthetic corpus building blocks that need no audio: sentences, labels, plan, speaker choice, F0."""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from jsertk.data.synth import lexicon as lx
from jsertk.data.synth import sentences
from jsertk.data.synth.f0 import measure
from jsertk.data.synth.plan import SETS, make_options, plan_corpus
from jsertk.data.synth.prosody import EMOTIONS, RULES, sample_dims, sample_prosody
from jsertk.data.synth.voices import Speaker, gender_of, select, split_counts

EMOTION_WORDS = {
    "happy": set(lx.HAPPY_ADJ + lx.HAPPY_VERBS + lx.HAPPY_NOUNS + lx.HAPPY_CUES),
    "angry": set(lx.ANGRY_ADJ + lx.ANGRY_JUDGE + lx.ANGRY_VERBS + lx.ANGRY_CUES),
    "sad": set(lx.SAD_ADJ + lx.SAD_VERBS + lx.SAD_NOUNS + lx.SAD_CUES),
    "negative": set(lx.NEGATIVE),
    "neutral": set(lx.CALM + lx.CALM_PHRASES),
}


def _emotion_words(text: str) -> set[str]:
    words = set(text.split()) | {" ".join(p) for p in zip(text.split(), text.split()[1:])}
    return {k for k, vocab in EMOTION_WORDS.items() if words & vocab}


def test_vocabulary_has_several_hundred_words():
    assert len(sentences.vocabulary()) >= 300


def test_sentences_signal_their_emotion_only_when_lexical():
    rng = np.random.default_rng(0)
    for emotion in EMOTIONS:
        for _ in range(200):
            plain = sentences.sentence(emotion, False, rng)
            assert _emotion_words(plain) == set(), plain
            signalling = sentences.sentence(emotion, True, rng)
            found = _emotion_words(signalling)
            allowed = {emotion, "negative"} if emotion in ("angry", "sad") else {emotion}
            assert found and found <= allowed, (emotion, signalling)
            assert re.fullmatch(r"[a-z]+( [a-z]+)*", signalling), signalling


def test_angry_and_sad_share_negative_words_but_happy_does_not():
    rng = np.random.default_rng(1)
    share = {e: np.mean(["negative" in _emotion_words(sentences.sentence(e, True, rng)) for _ in range(400)])
             for e in ("happy", "angry", "sad")}
    assert share["happy"] == 0
    assert 0.15 < share["angry"] < 0.45 and 0.15 < share["sad"] < 0.45


def test_spoken_form_is_what_espeak_reads():
    assert sentences.spoken_form("i miss the old lamp") == "I miss the old lamp."


def _speaker(i: int, gender: str, group: str) -> Speaker:
    return Speaker(variant="m1", pitch=50, warp=441, rate_factor=1.0, level_db=0.0,
                   f0=200.0 if gender == "f" else 110.0, gender=gender, id=f"spk{i:02d}", group=group)


def _speakers() -> list[Speaker]:
    groups = ["train"] * 8 + ["dev"] * 2 + ["test"] * 2
    return [_speaker(i + 1, "fm"[i % 2], g) for i, g in enumerate(groups)]


def test_prosody_rules_move_away_from_neutral_as_designed():
    rng = np.random.default_rng(0)
    spk = _speakers()[0]
    mean = {e: np.mean([[p.rate, p.pitch, p.range, p.level_db] for p in
                        (sample_prosody(e, spk, rng) for _ in range(500))], axis=0) for e in EMOTIONS}
    rate, pitch, range_, level = (dict((e, mean[e][i]) for e in EMOTIONS) for i in range(4))
    assert rate["angry"] > rate["happy"] > rate["neutral"] > rate["sad"]
    assert pitch["happy"] > pitch["angry"] > pitch["neutral"] > pitch["sad"]
    assert range_["happy"] > range_["neutral"] > range_["sad"]
    assert level["angry"] > level["happy"] > level["neutral"] > level["sad"]
    # Per-utterance variation makes neighbouring classes overlap.
    happy = [sample_prosody("happy", spk, rng).pitch for _ in range(300)]
    angry = [sample_prosody("angry", spk, rng).pitch for _ in range(300)]
    assert min(happy) < max(angry)


def test_dimensions_follow_emotion_within_scale():
    rng = np.random.default_rng(0)
    dims = {e: np.array([sample_dims(e, 1.0, rng) for _ in range(300)]) for e in EMOTIONS}
    assert all(((d >= 1) & (d <= 5)).all() for d in dims.values())
    arousal, valence = ({e: d[:, i].mean() for e, d in dims.items()} for i in (0, 1))
    assert arousal["angry"] > arousal["neutral"] > arousal["sad"]
    assert valence["happy"] > valence["neutral"] > valence["angry"]
    weak = np.array([sample_dims("happy", 0.3, rng) for _ in range(300)])
    assert abs(weak[:, 1].mean() - 3) < abs(valence["happy"] - 3)


def test_plan_is_deterministic_balanced_and_keeps_test_sentences_out_of_training():
    opts = make_options("demo", seed=3)
    plan = plan_corpus(opts, _speakers())
    assert plan == plan_corpus(opts, _speakers())
    assert plan != plan_corpus(make_options("demo", seed=4), _speakers())
    assert Counter(u.set for u in plan) == {s: opts.counts[s] for s in SETS}
    assert len({u.utt for u in plan}) == len(plan)
    assert all(u.utt.startswith(u.spk + "-") for u in plan)
    emotions = Counter(u.emotion for u in plan if u.set == "train_labeled")
    assert max(emotions.values()) - min(emotions.values()) <= 8
    groups = {s.id: s.group for s in _speakers()}
    assert all(groups[u.spk] == SETS[u.set] for u in plan)
    heldout = {u.text for u in plan if u.set in ("dev", "test")}
    assert not heldout & {u.text for u in plan if u.set not in ("dev", "test")}
    lexical = np.mean([u.lexical for u in plan])
    assert 0.45 < lexical < 0.55


def test_lexical_fraction_and_noise_options_are_followed():
    plan = plan_corpus(make_options("demo", lexical_fraction=0.0, noise=False), _speakers())
    assert not any(u.lexical for u in plan)
    assert all(u.noise_kind is None and u.snr_db is None for u in plan)
    plan = plan_corpus(make_options("demo", snr_min=5, snr_max=6), _speakers())
    assert all(5 <= u.snr_db <= 6 for u in plan)


@pytest.mark.parametrize("kwargs, message", [
    ({"size": "huge"}, "unknown size"),
    ({"counts": {"train_labeled": 0}}, "at least 1"),
    ({"counts": {"bogus": 3}}, "unknown set"),
    ({"lexical_fraction": 1.5}, "within"),
    ({"snr_min": 30, "snr_max": 10}, "above"),
])
def test_bad_options_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_options(**kwargs)


def test_explicit_counts_override_the_size():
    opts = make_options("tiny", counts={"dev": 20, "test": None})
    assert opts.counts["dev"] == 20 and opts.counts["test"] == 8


def test_gender_comes_from_f0_bands():
    assert gender_of(210.0) == "f" and gender_of(100.0) == "m"
    assert gender_of(155.0) is None and gender_of(70.0) is None and gender_of(float("nan")) is None


def test_select_balances_gender_in_every_group():
    measured = [Speaker("v", 50, 441, 1.0, 0.0, f0=f0) for f0 in (100, 210, 155, 120, 230, 95, 180, 200, 105, 250)]
    chosen = select(measured, 6)
    assert chosen is not None and [s.id for s in chosen] == [f"spk{i:02d}" for i in range(1, 7)]
    for group in ("train", "dev", "test"):
        assert sorted(s.gender for s in chosen if s.group == group) == ["f", "m"]
    assert all(s.f0 != 155 for s in chosen)
    assert select(measured[:5], 6) is None
    with pytest.raises(ValueError, match="even"):
        split_counts(7)
    assert split_counts(24) == {"train": 16, "dev": 4, "test": 4}


def test_f0_tracker_finds_the_period_of_pulse_trains():
    sr = 16000
    for f0 in (70.0, 110.0, 220.0, 330.0):
        t = np.arange(sr) / sr
        x = 0.3 * np.sign(np.sin(2 * np.pi * f0 * t)) * np.exp(-((t * f0) % 1) * 5)  # buzzy, harmonic-rich
        m = measure(x, sr)
        assert abs(m.f0_median - f0) / f0 < 0.02, (f0, m)
        assert m.voiced_fraction > 0.9
    noise = np.random.default_rng(0).standard_normal(sr) * 0.1
    assert measure(noise, sr).voiced_fraction < 0.1


def test_emotion_rules_cover_every_emotion():
    assert set(RULES) == set(EMOTIONS) == {"neutral", "happy", "angry", "sad"}
