"""Speed perturbation: the audio transform, the data-dir copy with prefixed ids, and its pipe entries."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import make_data_dir, make_segmented_dir, write_tone

from jsertk.data import DataDir, validate
from jsertk.features.audio import decode_bytes, read_entry, run_pipe
from jsertk.features.dump import merge_parts
from jsertk.features.extract import extract_part, part_dir
from jsertk.features.fbank import FbankConfig
from jsertk.features.perturb import speed_perturb
from jsertk.features.speed import change_speed, parse_speed_command, speed_command

ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}


def _peak_hz(x, rate=16000):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.argmax(spectrum) * rate / x.size


def test_speed_changes_length_and_pitch_together():
    t = np.arange(16000) / 16000
    tone = (0.5 * np.sin(2 * np.pi * 400 * t)).astype(np.float32)
    fast, slow = change_speed(tone, 1.1), change_speed(tone, 0.9)
    assert abs(fast.size - 16000 / 1.1) <= 1 and abs(slow.size - 16000 / 0.9) <= 1
    assert _peak_hz(fast) == pytest.approx(440, abs=2) and _peak_hz(slow) == pytest.approx(360, abs=2)


@pytest.mark.parametrize("source", ["/data/a b.wav", "x.ark:123", "sox in.wav -t wav - |",
                                    "jsertk speed-audio 1.1 /data/a.wav |"])
def test_speed_command_round_trips(source):
    command = speed_command(source, 0.9)
    assert command.endswith("|")
    assert parse_speed_command(command[:-1]) == (0.9, source)


@pytest.mark.parametrize("command", ["sox a.wav -t wav - speed 0.9", "jsertk speed-audio 0.9 -",
                                     "cat a.wav | jsertk speed-audio 0.9 b.wav", "jsertk speed-audio x a.wav"])
def test_other_commands_are_not_taken_for_speed_pipes(command):
    assert parse_speed_command(command) is None


def test_in_process_result_equals_the_real_command(tmp_path):
    path = write_tone(tmp_path / "a.wav", 0.6)
    for entry in (speed_command(str(path), 0.9), speed_command(f"cat {path} |", 1.1)):
        in_process, rate = read_entry(entry)
        real, real_rate = decode_bytes(run_pipe(entry[:-1], env=ENV), entry)
        assert rate == real_rate == 16000
        np.testing.assert_array_equal(in_process, real)


def test_perturbed_data_dir_keeps_labels_under_prefixed_ids(tmp_path):
    src = make_data_dir(tmp_path / "train", speakers=("spkA", "spkB"), utts_per_spk=2)
    (src / "utt2dur").write_text("".join(f"{u} 0.5\n" for u in DataDir(src).utterances()))
    out = speed_perturb(src, tmp_path / "train_sp")
    assert validate(out.path) == []
    utts = out.utterances()
    assert len(utts) == 12 and "sp0.9-spkA-utt000" in utts and "spkA-utt000" in utts and "sp1.1-spkB-utt001" in utts
    assert out.utt2spk()["sp0.9-spkA-utt001"] == "sp0.9-spkA"
    assert out.load("utt2emo")["sp1.1-spkB-utt000"] == DataDir(src).load("utt2emo")["spkB-utt000"]
    assert out.raw("text")["sp0.9-spkA-utt001"] == DataDir(src).raw("text")["spkA-utt001"]
    assert out.load("spk2gender")["sp1.1-spkB"] == "f"
    assert out.load("utt2dur")["sp0.9-spkA-utt000"] == pytest.approx(0.5 / 0.9, abs=1e-4)
    assert out.raw("wav.scp")["spkA-utt000"] == DataDir(src).raw("wav.scp")["spkA-utt000"]
    assert parse_speed_command(out.raw("wav.scp")["sp0.9-spkA-utt000"][:-1])[0] == 0.9


def test_perturbed_segments_and_their_features(tmp_path):
    src = make_segmented_dir(tmp_path / "seg")
    out = speed_perturb(src, tmp_path / "seg_sp", [0.9, 1.0])
    seg = out.segments()
    assert seg["sp0.9-spkB-utt000"] == ("sp0.9-rec2", 0.0, pytest.approx(1.5 / 0.9, abs=1e-4))
    assert set(out.raw("wav.scp")) == {"rec1", "rec2", "sp0.9-rec1", "sp0.9-rec2"}
    extract_part(out, part_dir(tmp_path / "dump", 1, 1), FbankConfig(), progress=False)
    merge_parts(out.path, tmp_path / "dump", 1)
    frames = DataDir(tmp_path / "dump").load("utt2num_frames")
    assert frames["spkB-utt000"] == 148 and frames["sp0.9-spkB-utt000"] == 1 + (round(1.5 / 0.9 * 16000) - 400) // 160


def test_bad_factors_and_same_dir(tmp_path):
    src = make_data_dir(tmp_path / "d", speakers=("s",), utts_per_spk=1)
    with pytest.raises(ValueError, match="outside"):
        speed_perturb(src, tmp_path / "o", [0.1])
    with pytest.raises(ValueError, match="repeat"):
        speed_perturb(src, tmp_path / "o", [1.1, 1.10])
    with pytest.raises(ValueError, match="must differ"):
        speed_perturb(src, src)


def test_cli_speed_perturb(tmp_path):
    src = make_data_dir(tmp_path / "d", speakers=("s",), utts_per_spk=2)
    proc = subprocess.run([sys.executable, "-m", "jsertk.cli.main", "speed-perturb", src, tmp_path / "sp",
                           "--factors", "0.9,1.1"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert DataDir(tmp_path / "sp").utterances() == ["sp0.9-s-utt000", "sp0.9-s-utt001", "sp1.1-s-utt000",
                                                    "sp1.1-s-utt001"]
