"""Bad audio through compute-fbank, the audio reader of training and decoding, and single-file
inference: each kind is named with its reason, or handled (resampled, downmixed, used with a
warning) with a log line, and the good utterances of the run are not lost."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf
from helpers import write_tone
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data import DataDir
from jsertk.features.audio import AudioError, UtteranceAudio, read_file

GOOD = ("good", "rate44k", "rate8k", "three_channels", "clipped")
BAD = {"empty": "audio is empty", "junk": "cannot read audio", "truncated": "truncated audio",
       "silent": "digital silence", "nan": "not finite (NaN or Inf)"}


def _bad_audio_dir(root):
    wav = root / "wav"
    write_tone(wav / "good.wav")
    write_tone(wav / "rate44k.wav", sr=44100)
    write_tone(wav / "rate8k.wav", sr=8000)
    write_tone(wav / "three_channels.wav", channels=3)
    t = np.arange(8000) / 16000
    sf.write(wav / "clipped.wav", np.clip(3.0 * np.sin(2 * np.pi * 200 * t), -1, 1), 16000, subtype="PCM_16")
    sf.write(wav / "empty.wav", np.zeros(0), 16000, subtype="PCM_16")
    (wav / "junk.wav").write_bytes(b"this is not audio at all " * 40)
    full = (wav / "good.wav").read_bytes()
    (wav / "truncated.wav").write_bytes(full[: len(full) // 2])
    sf.write(wav / "silent.wav", np.zeros(8000), 16000, subtype="PCM_16")
    x = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    x[100] = np.nan
    sf.write(wav / "nan.wav", x, 16000, subtype="FLOAT")
    utts = sorted([*GOOD, *BAD])
    (root / "wav.scp").write_text("".join(f"{u} {wav / u}.wav\n" for u in utts))
    (root / "utt2spk").write_text("".join(f"{u} spk\n" for u in utts))
    (root / "spk2utt").write_text("spk " + " ".join(utts) + "\n")
    return root


def test_compute_fbank_names_each_bad_file_and_keeps_the_good_ones(tmp_path, caplog):
    data = _bad_audio_dir(tmp_path / "data")
    caplog.set_level(logging.INFO)
    res = CliRunner().invoke(app, ["compute-fbank", str(data), str(tmp_path / "feats"), "--resample", "--skip-bad",
                                   "--no-progress"])
    assert res.exit_code == 0, res.output
    feats = DataDir(tmp_path / "feats")
    assert sorted(feats.raw("feats.scp")) == sorted(GOOD)
    bad = feats.raw("bad_utts")
    assert sorted(bad) == sorted(BAD)
    for utt, reason in BAD.items():
        assert reason in bad[utt] and f"{utt}.wav" in bad[utt], (utt, bad[utt])
    logs = caplog.text
    assert "resampling 44100 Hz audio to 16000 Hz" in logs and "resampling 8000 Hz audio" in logs
    assert "averaging 3-channel audio to mono" in logs and "three_channels.wav" in logs
    assert "clipped audio" in logs and "clipped.wav" in logs


def test_without_skip_bad_the_first_bad_utterance_stops_the_run_and_nothing_is_written(tmp_path):
    data = _bad_audio_dir(tmp_path / "data")
    res = CliRunner().invoke(app, ["compute-fbank", str(data), str(tmp_path / "feats"), "--resample",
                                   "--no-progress"])
    assert res.exit_code != 0
    assert "utterance 'empty'" in str(res.exception) and "audio is empty" in str(res.exception)
    assert not (tmp_path / "feats" / "feats.scp").exists()


def test_the_training_and_decoding_reader_names_the_utterance(tmp_path):
    data = _bad_audio_dir(tmp_path / "data")
    reader = UtteranceAudio(DataDir(data))
    for utt in GOOD:
        samples, rate = reader.read(utt)
        assert samples.ndim == 1 and np.isfinite(samples).all() and samples.size > 0
    for utt, reason in BAD.items():
        with pytest.raises(AudioError, match=f"utterance '{utt}'.*{reason.split('(')[0]}"):
            reader.read(utt)


def test_a_model_reading_audio_names_the_bad_utterance(tmp_path):
    from jsertk.dataset.feats import FeatsDataset

    data = _bad_audio_dir(tmp_path / "data")
    for name in ("wav.scp", "utt2spk"):  # keep the good ones and NaN audio
        lines = [line for line in (data / name).read_text().splitlines() if line.split()[0] in (*GOOD, "nan")]
        (data / name).write_text("\n".join(lines) + "\n")
    (data / "spk2utt").write_text("spk " + " ".join(sorted((*GOOD, "nan"))) + "\n")
    (data / "utt2dur").write_text("".join(f"{u} 0.5\n" for u in sorted((*GOOD, "nan"))))
    ds = FeatsDataset([data], {}, label_root=None, audio=True)
    rates = {i: ds[i]["feats"].shape for i, u in enumerate(ds.utts) if u in GOOD}
    assert all(shape[1] == 1 for shape in rates.values())
    assert ds[ds.utts.index("rate44k")]["feats"].shape[0] == ds[ds.utts.index("good")]["feats"].shape[0]
    with pytest.raises(AudioError, match="utterance 'nan'.*not finite"):
        ds[ds.utts.index("nan")]


def test_single_file_reading_for_infer(tmp_path):
    data = _bad_audio_dir(tmp_path / "data")
    for utt, reason in BAD.items():
        with pytest.raises(AudioError, match=reason.split("(")[0].strip()) as err:
            read_file(str(data / "wav" / f"{utt}.wav"))
        assert f"{utt}.wav" in str(err.value)
    samples, rate = read_file(str(data / "wav" / "three_channels.wav"))
    assert rate == 16000 and samples.ndim == 1
