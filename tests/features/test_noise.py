"""Additive noise: the SNR it mixes at, noise files and generated noise, the data-dir copies with
prefixed ids, the pipe entries (in process == the real command), and bad input named."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from helpers import make_data_dir, make_segmented_dir, write_tone

from jsertk.data import DataDir, validate
from jsertk.features.audio import AudioError, decode_bytes, noise_excerpt, read_entry, run_pipe
from jsertk.features.dump import merge_parts
from jsertk.features.extract import extract_part, part_dir
from jsertk.features.fbank import FbankConfig
from jsertk.features.noise import (
    add_noise_at_snr,
    noise_command,
    noise_files,
    parse_noise_command,
)
from jsertk.features.perturb import add_noise, speed_perturb
from jsertk.utils.errors import InputError

ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}


def _noise_folder(root):
    """A MUSAN-like folder: noise recordings in sub-folders, one at 8 kHz, one shorter than the speech."""
    rng = np.random.default_rng(5)
    (root / "free-sound").mkdir(parents=True)
    (root / "sound-bible").mkdir()
    sf.write(root / "free-sound" / "hum-8k.wav", (0.2 * np.sin(np.arange(8000 * 3) / 8000 * 2 * np.pi * 120))
             .astype(np.float32), 8000)
    sf.write(root / "sound-bible" / "short.flac", (0.1 * rng.standard_normal(1600)).astype(np.float32), 16000)
    (root / "sound-bible" / "README.txt").write_text("not audio")
    return root


@pytest.mark.parametrize("snr", [0.0, 10.0, 20.0])
def test_noise_is_added_at_the_snr_asked(snr):
    rng = np.random.default_rng(0)
    speech = (0.3 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 220)).astype(np.float32)
    noisy = add_noise_at_snr(speech, rng.standard_normal(16000).astype(np.float32), snr)
    residual = (noisy - speech).astype(np.float64)
    measured = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(residual**2))
    assert measured == pytest.approx(snr, abs=1e-3)


def test_noise_excerpts_generated_repeated_and_resampled(tmp_path):
    folder = _noise_folder(tmp_path / "noise")
    files = noise_files(folder)
    assert [os.path.basename(f) for f in files] == ["hum-8k.wav", "short.flac"]  # sorted, README left out
    pink = noise_excerpt("generated:pink", 8000, 16000, seed=3)
    assert pink.shape == (8000,) and np.allclose(pink, noise_excerpt("generated:pink", 8000, 16000, seed=3))
    assert not np.allclose(pink, noise_excerpt("generated:pink", 8000, 16000, seed=4))
    # pink noise has more power below 500 Hz than white noise of the same total power
    low = [np.sum(np.abs(np.fft.rfft(noise_excerpt(f"generated:{c}", 16000, 16000, 1)))[:500] ** 2) for c in
           ("pink", "white")]
    assert low[0] > 5 * low[1]
    hum = noise_excerpt(files[0], 16000, 16000, seed=1)  # 3 s at 8 kHz read at 16 kHz
    assert hum.shape == (16000,) and abs(np.argmax(np.abs(np.fft.rfft(hum))) - 120) <= 1
    short = noise_excerpt(files[1], 5000, 16000, seed=0)  # 1600 samples repeated
    assert short.shape == (5000,) and np.array_equal(short[:1600], short[1600:3200])


@pytest.mark.parametrize("source", ["/data/a b.wav", "x.ark:123", "sox in.wav -t wav - |",
                                    "jsertk speed-audio 1.1 /data/a.wav |"])
def test_noise_command_round_trips(source):
    command = noise_command(source, 7.5, "/noise/x y.wav", 42)
    assert command.endswith("|")
    assert parse_noise_command(command[:-1]) == (7.5, "/noise/x y.wav", 42, source)
    assert parse_noise_command("jsertk noise-audio 5 generated:pink a.wav") is None  # no seed


def test_in_process_result_equals_the_real_command(tmp_path):
    path = write_tone(tmp_path / "a.wav", 0.6)
    noise = noise_files(_noise_folder(tmp_path / "noise"))[0]
    for entry in (noise_command(str(path), 5, noise, 9), noise_command(f"cat {path} |", 10, "generated:brown", 2),
                  noise_command(f"jsertk speed-audio 0.9 {path} |", 0, "generated:white", 1)):
        in_process, rate = read_entry(entry)
        real, real_rate = decode_bytes(run_pipe(entry[:-1], env=ENV), entry)
        assert rate == real_rate == 16000
        np.testing.assert_array_equal(in_process, real)
    clean, _ = read_entry(str(path))
    noisy, _ = read_entry(noise_command(str(path), 5, noise, 9))
    snr = 10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean((noisy - clean).astype(np.float64) ** 2))
    assert snr == pytest.approx(5, abs=0.1)  # up to 16-bit rounding


def test_noisy_data_dir_keeps_labels_under_prefixed_ids_and_is_reproducible(tmp_path):
    src = make_data_dir(tmp_path / "train", speakers=("spkA", "spkB"), utts_per_spk=3)
    noises = noise_files(_noise_folder(tmp_path / "noise")) + ["generated:pink"]
    out = add_noise(src, tmp_path / "noisy", noises, [5, 10, 15], copies=2, seed=1)
    assert validate(out.path) == []
    utts = out.utterances()
    assert len(utts) == 12 and "noise1-spkA-utt000" in utts and "noise2-spkB-utt002" in utts
    assert "spkA-utt000" not in utts  # the copies only: the originals are the source dir
    assert out.utt2spk()["noise2-spkA-utt001"] == "noise2-spkA"
    assert out.load("utt2emo")["noise1-spkB-utt000"] == DataDir(src).load("utt2emo")["spkB-utt000"]
    assert out.load("spk2gender")["noise2-spkB"] == DataDir(src).load("spk2gender")["spkB"]
    drawn = [parse_noise_command(v[:-1]) for v in out.raw("wav.scp").values()]
    assert {d[0] for d in drawn} <= {5.0, 10.0, 15.0} and len({d[1] for d in drawn}) > 1
    assert all(d[3] == DataDir(src).raw("wav.scp")[u.split("-", 1)[1]] for u, d in zip(out.raw("wav.scp"), drawn))
    again = add_noise(src, tmp_path / "again", noises, [5, 10, 15], copies=2, seed=1)
    assert again.raw("wav.scp") == out.raw("wav.scp")
    other = add_noise(src, tmp_path / "other", noises, [5, 10, 15], copies=2, seed=2)
    assert other.raw("wav.scp") != out.raw("wav.scp")


def test_noisy_copies_of_speed_perturbed_segments_give_features(tmp_path):
    src = make_segmented_dir(tmp_path / "seg")
    sp = speed_perturb(src, tmp_path / "seg_sp", [0.9, 1.0])
    out = add_noise(sp.path, tmp_path / "seg_noise", ["generated:white"], [10])
    assert out.segments()["noise1-sp0.9-spkB-utt000"][0] == "noise1-sp0.9-rec2"
    extract_part(out, part_dir(tmp_path / "dump", 1, 1), FbankConfig(), progress=False)
    merge_parts(out.path, tmp_path / "dump", 1)
    frames = DataDir(tmp_path / "dump").load("utt2num_frames")
    assert frames["noise1-spkB-utt000"] == 148 and frames["noise1-sp0.9-spkB-utt000"] == 1 + (
        round(1.5 / 0.9 * 16000) - 400) // 160


def test_bad_noise_input_is_named(tmp_path):
    src = make_data_dir(tmp_path / "d", speakers=("s",), utts_per_spk=1)
    with pytest.raises(InputError, match="noise folder .*missing not found"):
        noise_files(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no audio files"):
        noise_files(tmp_path / "empty")
    with pytest.raises(InputError, match="generated noise is one of generated:white"):
        add_noise(src, tmp_path / "o", ["generated:purple"], [5])
    with pytest.raises(InputError, match="must differ"):
        add_noise(src, src, ["generated:white"], [5])
    assert not (tmp_path / "o").exists()
    # a noise file gone after the dir was written: the utterance's read names the file
    noise = tmp_path / "gone.wav"
    sf.write(noise, np.ones(100, dtype=np.float32) * 0.1, 16000)
    out = add_noise(src, tmp_path / "o2", [str(noise)], [5])
    noise.unlink()
    with pytest.raises(AudioError, match="gone.wav not found"):
        read_entry(next(iter(out.raw("wav.scp").values())))


def test_cli_add_noise(tmp_path):
    src = make_data_dir(tmp_path / "d", speakers=("s",), utts_per_spk=2)
    cli = [sys.executable, "-m", "jsertk.cli.main", "add-noise", str(src)]
    proc = subprocess.run(cli + [str(tmp_path / "n"), "--generated", "white,pink", "--snrs", "0,10"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert DataDir(tmp_path / "n").utterances() == ["noise1-s-utt000", "noise1-s-utt001"]
    proc = subprocess.run(cli + [str(tmp_path / "n2")], capture_output=True, text=True)
    assert proc.returncode != 0 and "--noise-dir" in proc.stderr and "--generated" in proc.stderr
    proc = subprocess.run(cli + [str(tmp_path / "n3"), "--generated", "pink", "--snrs", "5,loud"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "--snrs must be comma-separated numbers" in proc.stderr
