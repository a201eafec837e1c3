"""`combine` merges dirs (conflicts are errors); `info` summarises counts, hours and labels."""
from __future__ import annotations

import pytest
from helpers import make_data_dir

from jsertk.data import DataDirError, combine, info, validate


def test_combine_merges_and_keeps_partial_labels(tmp_path, segmented_dir):
    a = make_data_dir(tmp_path / "a", speakers=["spkA"], utts_per_spk=2)
    b = make_data_dir(tmp_path / "b", speakers=["spkB"], utts_per_spk=2, labels=False)
    out = combine([a, b], tmp_path / "ab")
    assert validate(out.path) == []
    assert len(out.utterances()) == 4
    assert sorted(out.load("utt2emo")) == ["spkA-utt000", "spkA-utt001"]


def test_combine_with_and_without_segments(tmp_path, segmented_dir):
    a = make_data_dir(tmp_path / "a", speakers=["spkZ"], utts_per_spk=2)
    out = combine([segmented_dir, a], tmp_path / "mixed")
    assert validate(out.path) == []
    assert out.segments()["spkZ-utt000"].end == -1


def test_combine_conflict_is_an_error_naming_both_dirs(tmp_path):
    a = make_data_dir(tmp_path / "a", speakers=["spkA"], utts_per_spk=2)
    b = make_data_dir(tmp_path / "b", speakers=["spkA"], utts_per_spk=2)
    (b / "utt2emo").write_text("spkA-utt000 sad\nspkA-utt001 happy\n")
    with pytest.raises(DataDirError) as err:
        combine([a, b], tmp_path / "ab")
    msg = str(err.value)
    assert "spkA-utt000" in msg and str(a) in msg and str(b) in msg
    assert not (tmp_path / "ab").exists()


def test_combine_identical_duplicates_are_merged(tmp_path):
    a = make_data_dir(tmp_path / "a", speakers=["spkA"], utts_per_spk=2)
    out = combine([a, a], tmp_path / "aa")
    assert len(out.utterances()) == 2


def test_info_counts_hours_and_labels(data_dir, segmented_dir):
    result = info(data_dir)
    assert result["utterances"] == 9 and result["speakers"] == 3
    assert "hours" not in result
    assert result["labels"]["utt2emo"]["coverage"] == 1.0
    assert sum(result["labels"]["utt2emo"]["classes"].values()) == 9
    assert result["labels"]["spk2gender"]["classes"] == {"f": 1, "m": 2}
    assert info(data_dir, read_audio=True)["hours"] == pytest.approx(9 * 0.5 / 3600, abs=1e-4)
    seg = info(segmented_dir)
    assert seg["hours"] == pytest.approx(2.5 / 3600, abs=1e-4) and seg["duration_source"] == "segments"
