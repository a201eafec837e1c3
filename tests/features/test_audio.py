"""Reading the audio of wav.scp entries: files, pipes, arks, segments, and every kind of bad audio."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from helpers import write_tone

from jsertk.data import DataDir, Segment
from jsertk.features.audio import AudioError, UtteranceAudio, read_entry


def test_stereo_is_averaged_to_mono(tmp_path):
    left = np.linspace(-0.5, 0.5, 1600)
    path = tmp_path / "st.wav"
    sf.write(path, np.stack([left, np.zeros_like(left)], axis=1), 16000, subtype="FLOAT")
    samples, rate = read_entry(str(path))
    assert rate == 16000 and samples.ndim == 1 and samples.dtype == np.float32
    np.testing.assert_allclose(samples, left / 2, atol=1e-6)


def test_segment_reads_its_region_of_the_file(tmp_path):
    path = write_tone(tmp_path / "a.wav", 2.0)
    whole, _ = read_entry(str(path))
    part, _ = read_entry(str(path), Segment("a", 0.5, 1.25))
    np.testing.assert_array_equal(part, whole[8000:20000])
    tail, _ = read_entry(str(path), Segment("a", 1.5, -1))
    np.testing.assert_array_equal(tail, whole[24000:])


def test_segment_past_the_end(tmp_path):
    path = str(write_tone(tmp_path / "a.wav", 1.0))
    with pytest.raises(AudioError, match="starts at 1.200s, at or after the end"):
        read_entry(path, Segment("a", 1.2, 1.5))
    with pytest.raises(AudioError, match=r"0\.700s past the end"):
        read_entry(path, Segment("a", 0.5, 1.7))
    cut, _ = read_entry(path, Segment("a", 0.5, 1.2))  # within Kaldi's 0.5 s tolerance: cut at the end
    assert cut.size == 8000


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"not audio at all" * 20), "cannot read audio"),
    (lambda p: p.write_bytes(_wav_bytes(p, 0)), "audio is empty"),
    (lambda p: p.write_bytes(_wav_bytes(p, 16000)[:20000]), "truncated audio"),
])
def test_bad_files_are_named(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError, match=message) as e:
        read_entry(str(path))
    assert str(path) in str(e.value)


def _wav_bytes(tmp_path_file, n):
    tmp = tmp_path_file.with_suffix(".src.wav")
    sf.write(tmp, 0.1 * np.sin(np.arange(n) / 5.0), 16000, subtype="PCM_16")
    return tmp.read_bytes()


def test_streamed_wav_header_is_not_taken_for_truncation(tmp_path):
    import struct

    data = bytearray(_wav_bytes(tmp_path / "s.wav", 1600))
    at = data.find(b"data")
    data[at + 4:at + 8] = struct.pack("<I", 0xFFFFFFFF)  # what a WAV writer on a pipe puts there
    (tmp_path / "s.wav").write_bytes(data)
    assert read_entry(str(tmp_path / "s.wav"))[0].size == 1600


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="audio file not found"):
        read_entry(str(tmp_path / "nope.wav"))


def test_pipe_entries(tmp_path):
    path = write_tone(tmp_path / "a.wav", 0.5)
    direct, _ = read_entry(str(path))
    piped, rate = read_entry(f"cat {path} |")
    assert rate == 16000
    np.testing.assert_array_equal(piped, direct)
    with pytest.raises(AudioError, match=r"command 'cat /no/such.wav': failed with exit code 1: .*No such file"):
        read_entry("cat /no/such.wav |")
    with pytest.raises(AudioError, match="produced no output"):
        read_entry("true |")
    # pipefail: a failure early in the pipeline counts, even if the last command succeeds
    with pytest.raises(AudioError, match="failed with exit code"):
        read_entry(f"false | cat {path} |")


def test_wav_in_kaldi_ark(tmp_path):
    import kaldiio

    pcm = (np.random.default_rng(0).standard_normal(4000) * 1000).astype(np.int16)
    kaldiio.save_ark(str(tmp_path / "w.ark"), {"u": (16000, pcm)}, scp=str(tmp_path / "w.scp"))
    entry = (tmp_path / "w.scp").read_text().split()[1]
    samples, rate = read_entry(entry)
    assert rate == 16000
    np.testing.assert_array_equal(samples * 32768, pcm)


def test_segments_of_a_piped_recording_run_the_command_once(tmp_path):
    path = write_tone(tmp_path / "rec.wav", 2.0)
    counter = tmp_path / "runs"
    d = tmp_path / "data"
    d.mkdir()
    (d / "wav.scp").write_text(f"rec sh -c 'echo x >> {counter}; cat {path}' |\n")
    (d / "segments").write_text("s-u1 rec 0.0 0.5\ns-u2 rec 0.5 1.5\ns-u3 rec 1.8 9.0\n")
    (d / "utt2spk").write_text("s-u1 s\ns-u2 s\ns-u3 s\n")
    reader = UtteranceAudio(DataDir(d))
    whole, _ = read_entry(str(path))
    np.testing.assert_array_equal(reader.read("s-u2")[0], whole[8000:24000])
    assert reader.read("s-u1")[0].size == 8000
    with pytest.raises(AudioError, match=r"utterance 's-u3': command .*past the end"):
        reader.read("s-u3")
    assert counter.read_text().count("x") == 1
