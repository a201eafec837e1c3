"""compute-fbank: Kaldi-compatible features, dump dir layout, jobs and merge, and bad input."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import kaldi_native_fbank as knf
import numpy as np
import pytest
import soundfile as sf
from helpers import make_data_dir, make_segmented_dir, write_tone

from jsertk.data import DataDir, split, validate
from jsertk.features.audio import AudioError
from jsertk.features.dump import merge_parts
from jsertk.features.extract import extract_part, part_dir
from jsertk.features.fbank import FbankConfig, FbankExtractor
from jsertk.features.io import load_scp, read_scp

# Jobs run `jsertk` by name, as recipes do: the interpreter's bin dir (the venv) goes first on PATH.
ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}


def jsertk(*args):
    return subprocess.run([sys.executable, "-m", "jsertk.cli.main", *map(str, args)], capture_output=True, text=True,
                          env=ENV)


def test_features_equal_kaldi_native_fbank_on_16_bit_samples():
    x = (0.3 * np.sin(np.arange(8000) * 0.05)).astype(np.float32)
    feats = FbankExtractor(FbankConfig())(x)
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = 80
    ref = knf.OnlineFbank(opts)
    ref.accept_waveform(16000, x * 32768)  # Kaldi reads 16-bit sample values, not [-1, 1]
    ref.input_finished()
    assert feats.shape == (1 + (8000 - 400) // 160, 80) == (ref.num_frames_ready, 80)
    np.testing.assert_allclose(feats, np.stack([ref.get_frame(i) for i in range(ref.num_frames_ready)]), rtol=1e-6)


def test_options_change_the_features():
    x = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    assert FbankExtractor(FbankConfig(num_mel_bins=40, frame_shift_ms=20))(x).shape == (1 + (16000 - 400) // 320, 40)
    assert FbankExtractor(FbankConfig(snip_edges=False))(x).shape[0] == 100
    with pytest.raises(ValueError, match="high_freq"):
        FbankConfig(high_freq=9000)
    with pytest.raises(AudioError, match="shorter than one frame"):
        FbankExtractor(FbankConfig())(x[:399])


def _harmonic_tone(f0: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(16000 * seconds)) / 16000
    return (0.1 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))).astype(np.float32)


def test_pitch_columns_follow_the_fbank_and_track_f0():
    low, high = _harmonic_tone(120.0), _harmonic_tone(240.0)
    plain = FbankExtractor(FbankConfig())(low)
    with_pitch = FbankExtractor(FbankConfig(pitch=True))(low)
    assert with_pitch.shape == (plain.shape[0], 84) == (plain.shape[0], FbankConfig(pitch=True).dim)
    np.testing.assert_array_equal(with_pitch[:, :80], plain)  # the mel bins are unchanged
    # the fourth pitch column is the raw log pitch: log F0 of the tone, away from the edges
    mid = slice(20, -20)
    np.testing.assert_allclose(np.exp(with_pitch[mid, 83]), 120.0, rtol=0.03)
    np.testing.assert_allclose(np.exp(FbankExtractor(FbankConfig(pitch=True))(high)[mid, 83]), 240.0, rtol=0.03)
    # Kaldi's three columns alone, as compute-and-process-kaldi-pitch-feats gives them
    three = FbankExtractor(FbankConfig(pitch=True, pitch_raw_log=False))(low)
    ref = knf.compute_and_process_kaldi_pitch(knf.PitchExtractionOptions(), knf.ProcessPitchOptions(), low * 32768)
    assert three.shape[1] == 83 == FbankConfig(pitch=True, pitch_raw_log=False).dim
    np.testing.assert_allclose(three[:, 80:], ref[:three.shape[0]], rtol=1e-6)
    assert FbankConfig().dim == 80 and FbankConfig(pitch_raw_log=False).dim == 80
    with pytest.raises(ValueError, match="pitch_min_f0 < pitch_max_f0"):
        FbankConfig(pitch=True, pitch_min_f0=400, pitch_max_f0=100)


def test_compute_fbank_with_pitch_records_it_in_fbank_yaml(tmp_path, data_dir):
    out = tmp_path / "dump"
    proc = jsertk("compute-fbank", data_dir, out, "--pitch", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert {feats.shape[1] for _, feats in read_scp(out / "feats.scp")} == {84}
    import yaml
    assert FbankConfig(**yaml.safe_load((out / "fbank.yaml").read_text())).dim == 84  # what pack and infer read
    bad = jsertk("compute-fbank", data_dir, tmp_path / "bad", "--pitch", "--pitch-max-f0", "9000", "--no-progress")
    assert bad.returncode != 0 and "pitch_max_f0" in bad.stderr and not (tmp_path / "bad" / "feats.scp").exists()


def test_dump_dir_is_a_complete_data_dir(tmp_path, data_dir):
    out = tmp_path / "dump"
    proc = jsertk("compute-fbank", data_dir, out, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert validate(out) == []
    d = DataDir(out)
    utts = d.utterances()
    assert list(d.raw("feats.scp")) == utts and set(d.raw("utt2emo")) == set(utts)
    for name in ("text", "utt2emo", "utt2dim", "spk2gender", "wav.scp"):
        assert d.raw(name) == DataDir(data_dir).raw(name)
    frames = d.load("utt2num_frames")
    for utt, feats in read_scp(out / "feats.scp"):
        assert feats.shape == (frames[utt], 80) and feats.dtype == np.float32
    assert "num_mel_bins: 80" in (out / "fbank.yaml").read_text()


def test_jobs_then_merge_equal_a_single_run(tmp_path):
    data = make_data_dir(tmp_path / "data", speakers=("s1", "s2", "s3", "s4"), utts_per_spk=2, seconds=0.3)
    single, multi = tmp_path / "single", tmp_path / "multi"
    cfg = FbankConfig(num_mel_bins=23)
    extract_part(DataDir(data), part_dir(single, 1, 1), cfg, progress=False)
    merge_parts(data, single, 1)
    split(data, 2)
    proc = jsertk("launch", "--max-jobs", 2, "JOB=1:2", tmp_path / "log" / "fbank.JOB.log", "jsertk", "compute-fbank",
                  data, multi, "--job", "JOB", "--nj", 2, "--num-mel-bins", 23)
    assert proc.returncode == 0, proc.stderr
    scp2 = part_dir(multi, 2, 2) / "feats.scp"
    os.rename(scp2, scp2.with_name("hidden"))
    with pytest.raises(ValueError, match=r"job\(s\) 2 of 2 have not finished"):
        merge_parts(data, multi, 2)
    os.rename(scp2.with_name("hidden"), scp2)
    merge_parts(data, multi, 2)
    assert (multi / "split2" / "2" / "feats.ark").is_file()
    a, b = load_scp(single / "feats.scp"), load_scp(multi / "feats.scp")
    assert sorted(a) == sorted(b) == DataDir(data).utterances()
    for utt in a:
        np.testing.assert_array_equal(a[utt], b[utt])
    assert validate(multi) == []


def test_job_needs_the_split(tmp_path, data_dir):
    proc = jsertk("compute-fbank", data_dir, tmp_path / "out", "--job", 1, "--nj", 3)
    assert proc.returncode == 1 and f"jsertk data split {data_dir} 3" in proc.stderr


def test_segments_give_one_matrix_per_segment(tmp_path):
    data = make_segmented_dir(tmp_path / "seg")
    extract_part(DataDir(data), part_dir(tmp_path / "out", 1, 1), FbankConfig(), progress=False)
    merge_parts(data, tmp_path / "out", 1)
    frames = DataDir(tmp_path / "out").load("utt2num_frames")
    assert frames == {"spkA-utt000": 48, "spkA-utt001": 48, "spkB-utt000": 148}
    assert (tmp_path / "out" / "segments").read_text() == (data / "segments").read_text()


def _data_with_bad_audio(root):
    data = make_data_dir(root, speakers=("a", "b"), utts_per_spk=3)
    wav = DataDir(data).raw("wav.scp")
    write_tone(root / "wav" / "rate.wav", 0.5, sr=8000)
    (root / "wav" / "short.wav").parent.mkdir(exist_ok=True)
    sf.write(root / "wav" / "short.wav", 0.1 * np.sin(np.arange(300) / 5.0), 16000, subtype="PCM_16")
    wav["a-utt001"] = str(root / "wav" / "rate.wav")
    wav["b-utt000"] = str(root / "wav" / "short.wav")
    wav["b-utt002"] = "false |"
    (data / "wav.scp").write_text("".join(f"{k} {v}\n" for k, v in sorted(wav.items())))
    return data


def test_bad_audio_stops_with_its_utterance_and_file(tmp_path):
    data = _data_with_bad_audio(tmp_path / "data")
    proc = jsertk("compute-fbank", data, tmp_path / "out", "--no-progress")
    assert proc.returncode == 1
    assert "utterance 'a-utt001'" in proc.stderr and "rate.wav: sample rate is 8000 Hz, expected 16000" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list((tmp_path / "out").rglob("feats.scp")) and not list((tmp_path / "out").rglob(".feats*"))


def test_skip_bad_lists_failures_and_leaves_them_out(tmp_path):
    data = _data_with_bad_audio(tmp_path / "data")
    out = tmp_path / "out"
    proc = jsertk("compute-fbank", data, out, "--skip-bad", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    bad = dict(line.split(" ", 1) for line in (out / "bad_utts").read_text().splitlines())
    assert sorted(bad) == ["a-utt001", "b-utt000", "b-utt002"]
    assert "sample rate is 8000 Hz" in bad["a-utt001"] and "shorter than one frame" in bad["b-utt000"]
    assert "command 'false': failed with exit code 1" in bad["b-utt002"]
    d = DataDir(out)
    assert d.utterances() == ["a-utt000", "a-utt002", "b-utt001"] == list(d.raw("feats.scp"))
    assert validate(out) == []


def test_resample_converts_other_rates(tmp_path):
    data = _data_with_bad_audio(tmp_path / "data")
    part = part_dir(tmp_path / "out", 1, 1)
    result = extract_part(DataDir(data), part, FbankConfig(), resample_audio=True, skip_bad=True, progress=False)
    assert "a-utt001" not in result.failed and load_scp(part / "feats.scp")["a-utt001"].shape == (48, 80)


def test_a_killed_job_leaves_no_feats_scp(tmp_path):
    data = make_data_dir(tmp_path / "data", speakers=("a",), utts_per_spk=2)
    out = tmp_path / "out"
    assert jsertk("compute-fbank", data, out, "--no-progress").returncode == 0
    wav = DataDir(data).raw("wav.scp")
    reading = tmp_path / "reading"  # appears once the job is inside the second utterance's pipe
    (data / "wav.scp").write_text(f"a-utt000 {wav['a-utt000']}\n"
                                  f"a-utt001 touch {reading}; sleep 30; cat {wav['a-utt001']} |\n")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        reading.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-m", "jsertk.cli.main", "compute-fbank", str(data), str(out)],
                                stderr=subprocess.DEVNULL, start_new_session=True)
        part = part_dir(out, 1, 1)
        deadline = time.monotonic() + 20
        while not reading.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(part.glob(".feats.ark.tmp*"))  # half written at this point
        os.killpg(proc.pid, sig)
        proc.wait()
        assert not (part / "feats.scp").exists()  # the earlier run's scp is gone too: not finished
        assert not (out / "feats.scp").exists()
        if sig == signal.SIGTERM:
            assert not list(part.glob(".feats*"))  # temporary files removed on a clean stop
