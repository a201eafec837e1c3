"""The synthetic corpus as generated: valid sets, consistent labels, held-out speakers, the
designed prosody measurable in the audio, determinism, resuming. A few dozen utterances only."""
from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from jsertk.data import DataDir, validate
from jsertk.data.synth import make_options
from jsertk.data.synth.corpus import generate
from jsertk.data.synth.plan import SETS
from jsertk.data.synth.prosody import EMOTIONS
from jsertk.data.synth.report import measure_corpus, read_meta, summarize
from jsertk.data.synth.sentences import vocabulary
from jsertk.data.synth.voices import FEMALE_F0_HZ, MALE_F0_HZ

pytestmark = pytest.mark.xdist_group("synth_corpus")  # the module fixture is built once, in one test worker

LABELLED = ("train_labeled", "dev", "test")
# Enough utterances per emotion and gender for the measured means to show the designed
# differences, few enough to synthesise in a few seconds.
COUNTS = {"train_labeled": 48, "train_unlabeled": 8, "asr_train": 8, "dev": 16, "test": 16}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    generate(out, make_options("tiny", seed=7, counts=COUNTS), nj=2, log=lambda _: None)
    return out


@pytest.fixture(scope="module")
def measured(corpus: Path):
    return measure_corpus(corpus, nj=1)


@pytest.mark.slow
def test_every_set_passes_validation(corpus: Path):
    for name in SETS:
        assert validate(corpus / "data" / name) == [], name
        assert len(DataDir(corpus / "data" / name).utt2spk()) == COUNTS[name]


@pytest.mark.slow
def test_audio_is_16k_16bit_mono_and_durations_match(corpus: Path):
    d = DataDir(corpus / "data" / "dev")
    durations = d.load("utt2dur")
    for utt, path in d.raw("wav.scp").items():
        info = sf.info(path)
        assert Path(path).is_absolute()
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert abs(info.frames / 16000 - durations[utt]) < 1e-3


@pytest.mark.slow
def test_label_files_match_each_set_role(corpus: Path):
    data = corpus / "data"
    for name in LABELLED:
        d = DataDir(data / name)
        utts = set(d.utt2spk())
        for f in ("text", "utt2emo", "utt2dim"):
            assert set(d.load(f)) == utts, (name, f)
        assert set(d.load("spk2gender")) == set(d.spk2utt())
        assert set(d.load("utt2emo").values()) <= set(EMOTIONS)
        dims = np.array(list(d.load("utt2dim").values()))
        assert ((dims >= 1) & (dims <= 5)).all()
    asr = DataDir(data / "asr_train")
    assert asr.has("text") and asr.has("spk2gender") and not asr.has("utt2emo") and not asr.has("utt2dim")
    unlab = DataDir(data / "train_unlabeled")
    assert not any(unlab.has(f) for f in ("text", "utt2emo", "utt2dim", "spk2gender"))
    # The true labels of the unlabelled set are kept apart, complete, for scoring pseudo labels.
    ref = DataDir(data / "train_unlabeled" / ".ref")
    for f in ("text", "utt2emo", "utt2dim"):
        assert set(ref.load(f)) == set(unlab.utt2spk())
    assert set(ref.load("spk2gender")) == set(unlab.spk2utt())


@pytest.mark.slow
def test_emotions_are_balanced_and_transcripts_use_the_vocabulary(corpus: Path):
    emo = DataDir(corpus / "data" / "train_labeled").load("utt2emo")
    counts = np.bincount([EMOTIONS.index(e) for e in emo.values()], minlength=4)
    assert counts.max() - counts.min() <= 8  # 8 training speakers, each balanced
    words = vocabulary()
    for name in ("train_labeled", "asr_train", "dev", "test"):
        for text in DataDir(corpus / "data" / name).load("text").values():
            assert set(text.split()) <= words, text


@pytest.mark.slow
def test_dev_and_test_speakers_are_held_out(corpus: Path):
    data = corpus / "data"
    spk = {name: set(DataDir(data / name).spk2utt()) for name in SETS}
    train = spk["train_labeled"] | spk["train_unlabeled"] | spk["asr_train"]
    assert len(train | spk["dev"] | spk["test"]) == 12
    assert not train & spk["dev"] and not train & spk["test"] and not spk["dev"] & spk["test"]
    gender = {}
    for name in LABELLED:
        gender.update(DataDir(data / name).load("spk2gender"))
    for group in (train, spk["dev"], spk["test"]):
        assert sorted(gender[s] for s in group) == sorted(["f", "m"] * (len(group) // 2))
    train_text = set()
    for name in ("train_labeled", "asr_train"):
        train_text |= set(DataDir(data / name).load("text").values())
    train_text |= set(DataDir(data / "train_unlabeled" / ".ref").load("text").values())
    for name in ("dev", "test"):
        assert not set(DataDir(data / name).load("text").values()) & train_text


@pytest.mark.slow
def test_recorded_gender_agrees_with_measured_f0(corpus: Path, measured):
    meta = {r["utt"]: r for r in read_meta(corpus)}
    f0 = defaultdict(list)
    for m in measured:
        if meta[m.utt]["emotion"] == "neutral":
            f0[meta[m.utt]["spk"]].append(m.f0)
    gender = {}
    for name in LABELLED:
        gender.update(DataDir(corpus / "data" / name).load("spk2gender"))
    for spk, values in f0.items():
        mean = np.nanmean(values)
        lo, hi = FEMALE_F0_HZ if gender[spk] == "f" else MALE_F0_HZ
        assert lo * 0.9 < mean < hi * 1.1, (spk, gender[spk], mean)


@pytest.mark.slow
def test_designed_prosody_differences_are_measurable(measured):
    s = summarize(measured)
    for g in ("f", "m"):
        f0 = {e: s[(e, g)]["f0"] for e in EMOTIONS}
        rate = {e: s[(e, g)]["words_per_s"] for e in EMOTIONS}
        level = {e: s[(e, g)]["level_db"] for e in EMOTIONS}
        assert f0["happy"] > f0["angry"] > f0["neutral"] > f0["sad"], (g, f0)
        assert f0["happy"] > 1.15 * f0["neutral"] and f0["sad"] < 0.9 * f0["neutral"], (g, f0)
        assert min(rate["happy"], rate["angry"]) > rate["neutral"] > rate["sad"] * 1.1, (g, rate)
        assert level["angry"] > level["neutral"] + 3 > level["sad"] + 6, (g, level)
        assert level["happy"] > level["neutral"], (g, level)
        assert s[("sad", g)]["duration"] > s[("neutral", g)]["duration"]
    assert s[("neutral", "f")]["f0"] > 1.6 * s[("neutral", "m")]["f0"]


@pytest.mark.slow
def test_noise_is_added_at_the_planned_snr(corpus: Path):
    rows = [r for r in read_meta(corpus) if r["set"] == "test"]
    for r in rows:
        x, sr = sf.read(corpus / "wav" / r["set"] / r["spk"] / f"{r['utt']}.wav")
        lead = x[: int(0.04 * sr)]  # at least 50 ms of leading silence: noise only
        speech = np.sort(np.convolve(x**2, np.ones(320) / 320, mode="valid"))
        speech_db = 10 * np.log10(speech[int(0.7 * speech.size):].mean())
        noise_db = 10 * np.log10(np.mean(lead**2))
        assert float(r["snr_db"]) - 6 < speech_db - noise_db < float(r["snr_db"]) + 12, r


def _digest(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "corpus.json":
            h.update(str(p.relative_to(out)).encode() + p.read_bytes().replace(str(out).encode(), b"OUT"))
    return h.hexdigest()


@pytest.mark.slow
def test_same_seed_same_corpus_for_any_jobs_other_seed_other_corpus(tmp_path: Path):
    counts = {name: 4 for name in SETS}
    one = generate(tmp_path / "one", make_options("tiny", seed=1, counts=counts), nj=1, log=lambda _: None)
    two = generate(tmp_path / "two", make_options("tiny", seed=1, counts=counts), nj=2, log=lambda _: None)
    assert _digest(one.out) == _digest(two.out)
    # Resuming skips finished audio; other options are refused unless overwriting.
    again = generate(one.out, make_options("tiny", seed=1, counts=counts), nj=1, log=lambda _: None)
    assert again.rendered == 0 and _digest(one.out) == _digest(two.out)
    with pytest.raises(ValueError, match="seed 1 -> 2"):
        generate(one.out, make_options("tiny", seed=2, counts=counts), log=lambda _: None)
    other = generate(one.out, make_options("tiny", seed=2, counts=counts), overwrite=True, log=lambda _: None)
    assert other.rendered == sum(counts.values()) and _digest(one.out) != _digest(two.out)


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped(tmp_path: Path):
    counts = {name: 2 for name in SETS}
    opts = make_options("tiny", seed=5, counts=counts)
    first = generate(tmp_path / "c", opts, log=lambda _: None)
    victims = sorted((tmp_path / "c" / "wav").rglob("*.wav"))[:3]
    for v in victims:
        v.unlink()
    (tmp_path / "c" / "wav" / ".stale.wav.tmp123").write_bytes(b"half")  # what a kill leaves behind
    resumed = generate(tmp_path / "c", opts, log=lambda _: None)
    assert resumed.rendered == 3 and all(v.is_file() for v in victims)
    assert [u.utt for u in resumed.utterances] == [u.utt for u in first.utterances]


def test_refuses_a_non_empty_directory_it_did_not_make(tmp_path: Path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty"):
        generate(tmp_path, make_options("tiny", counts={n: 1 for n in SETS}), log=lambda _: None)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_espeak_output_depends_only_on_its_arguments():
    from jsertk.data.synth.espeak import Espeak, EspeakError, Voice

    engine = Espeak()
    try:
        first = engine.synthesize("The lamp is on the table.", Voice("en-us+f3", rate=150), seed=4)
        engine.synthesize("Something else entirely, spoken faster.", Voice("en-us+m3", rate=220, pitch=70))
        assert np.array_equal(engine.synthesize("The lamp is on the table.", Voice("en-us+f3", rate=150), seed=4),
                              first)
        assert first.dtype == np.int16 and first.size > engine.sample_rate // 2
        with pytest.raises(EspeakError, match="unknown espeak voice variant 'nosuch'"):
            engine.synthesize("Hello.", Voice("en-us+nosuch"))
    finally:
        engine.close()
