"""`validate` reports every malformed case with the file and line it is on."""
from __future__ import annotations

from pathlib import Path

import pytest

from jsertk.data import validate


def problems_of(d: Path, **kw) -> list[str]:
    return [str(p) for p in validate(d, **kw)]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture does not contain {old!r}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith(needle):
            return i
    raise AssertionError(needle)


def assert_reported(d: Path, file: str, line: int, *words: str) -> None:
    msgs = problems_of(d)
    where = f"{d / file}:{line}:" if line else f"{d / file}:"
    hits = [m for m in msgs if m.startswith(where) and all(w in m for w in words)]
    assert hits, f"no problem at {where} mentioning {words}; got:\n" + "\n".join(msgs)


def test_valid_dir_has_no_problems(data_dir):
    assert problems_of(data_dir) == []


def test_unsorted_file(data_dir):
    lines = (data_dir / "text").read_text().splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    (data_dir / "text").write_text("\n".join(lines) + "\n")
    assert_reported(data_dir, "text", 3, "not sorted")


def test_duplicate_key(data_dir):
    with open(data_dir / "utt2emo", "a") as f:
        f.write("spkC-utt002 happy\n")
    assert_reported(data_dir, "utt2emo", 10, "duplicate key 'spkC-utt002'", "first on line 9")


def test_utterance_not_prefixed_by_speaker(data_dir):
    edit(data_dir / "utt2spk", "spkB-utt001 spkB", "spkB-utt001 spkC")
    assert_reported(data_dir, "utt2spk", 5, "does not start with its speaker id 'spkC'")


def test_spk2utt_disagrees_with_utt2spk(data_dir):
    edit(data_dir / "spk2utt", " spkA-utt002", "")
    assert_reported(data_dir, "utt2spk", 3, "'spkA-utt002' is missing from spk2utt")
    edit(data_dir / "spk2utt", "spkB spkB-utt000", "spkB spkA-utt002 spkB-utt000")
    assert_reported(data_dir, "spk2utt", 2, "listed under speaker 'spkB' but utt2spk says 'spkA'")


def test_utterance_without_audio(data_dir):
    lines = [ln for ln in (data_dir / "wav.scp").read_text().splitlines() if not ln.startswith("spkC-utt001")]
    (data_dir / "wav.scp").write_text("\n".join(lines) + "\n")
    assert_reported(data_dir, "utt2spk", 8, "'spkC-utt001' has no audio in wav.scp")


def test_missing_audio_file(data_dir):
    (data_dir / "wav" / "spkA-utt001.wav").unlink()
    assert_reported(data_dir, "wav.scp", 2, "audio file of 'spkA-utt001' not found")
    assert problems_of(data_dir, check_audio=False) == []


def test_pipe_entries_are_not_checked_as_files(data_dir):
    edit(data_dir / "wav.scp", f"spkA-utt000 {data_dir}/wav/spkA-utt000.wav",
         f"spkA-utt000 sox {data_dir}/wav/spkA-utt000.wav -t wav - |")
    assert problems_of(data_dir) == []


def test_required_file_missing(data_dir):
    (data_dir / "spk2utt").unlink()
    assert_reported(data_dir, "spk2utt", 0, "required file is missing", "jsertk data fix")


def test_empty_and_non_utf8_transcripts(data_dir):
    edit(data_dir / "text", "spkA-utt001 hello world number 1", "spkA-utt001")
    text = (data_dir / "text").read_bytes().replace(b"spkB-utt000 hello", b"spkB-utt000 h\xe9llo")
    (data_dir / "text").write_bytes(text)
    assert_reported(data_dir, "text", 2, "'spkA-utt001'", "empty transcript")
    assert_reported(data_dir, "text", 4, "not valid UTF-8")


def test_label_file_names_unknown_utterance(data_dir):
    edit(data_dir / "utt2emo", "spkC-utt002 ", "spkZ-utt002 ")
    assert_reported(data_dir, "utt2emo", 9, "unknown utterance 'spkZ-utt002'")


def test_label_files_may_cover_part_of_the_utterances(data_dir):
    lines = (data_dir / "utt2emo").read_text().splitlines()[:4]
    (data_dir / "utt2emo").write_text("\n".join(lines) + "\n")
    (data_dir / "utt2dim").write_text("")
    assert problems_of(data_dir) == []


@pytest.mark.parametrize("value,words", [
    ("0.1 0.5", "expected three numbers"),
    ("0.1 high 0.3", "'high' is not a number"),
    ("0.1 nan 0.3", "not a finite number"),
])
def test_utt2dim_needs_three_floats(data_dir, value, words):
    edit(data_dir / "utt2dim", "spkB-utt001 0.1 0.5 -0.2", f"spkB-utt001 {value}")
    assert_reported(data_dir, "utt2dim", 5, "'spkB-utt001'", words)


def test_spk2gender_is_m_or_f(data_dir):
    edit(data_dir / "spk2gender", "spkB f", "spkB female")
    assert_reported(data_dir, "spk2gender", 2, "gender must be 'm' or 'f', got 'female'")


@pytest.mark.parametrize("name", ["utt2emo_conf", "utt2text_conf"])
def test_confidence_in_unit_interval(data_dir, name):
    (data_dir / name).write_text("spkA-utt000 0.9\nspkA-utt001 1.2\nspkA-utt002 -0.1\n")
    assert_reported(data_dir, name, 2, "outside [0, 1]")
    assert_reported(data_dir, name, 3, "outside [0, 1]")


@pytest.mark.parametrize("segment,words", [
    ("rec1 2.0 1.0", "not after start time"),
    ("rec1 -0.5 1.0", "negative"),
    ("rec1 0.0", "expected '<recording> <start> <end>'"),
    ("rec9 0.0 1.0", "recording 'rec9'"),
])
def test_segments_times_and_recordings(segmented_dir, segment, words):
    d = segmented_dir
    edit(d / "segments", "spkA-utt001 rec1 0.5 1.0", f"spkA-utt001 {segment}")
    assert_reported(d, "segments", 2, words)


def test_segmented_dir_is_valid_and_end_minus_one_allowed(segmented_dir):
    d = segmented_dir
    assert problems_of(d) == []
    edit(d / "segments", "spkA-utt001 rec1 0.5 1.0", "spkA-utt001 rec1 0.5 -1")
    assert problems_of(d) == []


def test_feature_files_must_cover_every_utterance(data_dir):
    (data_dir / "utt2num_frames").write_text("spkA-utt000 50\nspkA-utt001 0\n")
    assert_reported(data_dir, "utt2num_frames", 2, "frame count 0 is not positive")
    assert_reported(data_dir, "utt2spk", 3, "'spkA-utt002' has no entry in utt2num_frames")


def test_all_problems_are_listed_not_just_the_first(data_dir):
    edit(data_dir / "spk2gender", "spkB f", "spkB x")
    edit(data_dir / "utt2emo", "spkC-utt002 ", "spkZ-utt002 ")
    edit(data_dir / "utt2dim", "spkA-utt000 0.0 0.5 -0.2", "spkA-utt000 0.0")
    (data_dir / "wav" / "spkC-utt000.wav").unlink()
    files = {p.file.name for p in validate(data_dir)}
    assert files == {"spk2gender", "utt2emo", "utt2dim", "wav.scp"}
