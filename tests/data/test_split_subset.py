"""`split` and `subset`: deterministic, filtered copies of every file, no overlap."""
from __future__ import annotations

import pytest
from helpers import make_data_dir

from jsertk.data import DataDir, DataDirError, split, subset, validate


def test_split_by_speaker_keeps_speakers_whole(tmp_path):
    d = make_data_dir(tmp_path / "d", speakers=[f"s{i}" for i in range(5)], utts_per_spk=2)
    parts = split(d, 3)
    assert [p.name for p in parts] == ["1", "2", "3"] and parts[0].parent.name == "split3"
    seen = {}
    for p in parts:
        assert validate(p) == []
        for spk in DataDir(p).spk2utt():
            assert spk not in seen
            seen[spk] = p
        assert (p / "utt2emo").is_file() and (p / "spk2gender").is_file()
    assert len(seen) == 5
    sizes = [len(DataDir(p).utterances()) for p in parts]
    assert sum(sizes) == 10 and max(sizes) - min(sizes) <= 2


def test_split_by_utterance_and_determinism(data_dir):
    parts = split(data_dir, 4, by="utterance")
    assert parts[0].parent.name == "split4utt"
    first = [DataDir(p).utterances() for p in parts]
    assert sorted(len(u) for u in first) == [2, 2, 2, 3]
    assert sum(first, []) == DataDir(data_dir).utterances()
    import shutil

    shutil.rmtree(parts[0].parent)
    assert [DataDir(p).utterances() for p in split(data_dir, 4, by="utterance")] == first


def test_split_is_reused_when_up_to_date_and_redone_when_source_changes(data_dir):
    parts = split(data_dir, 2)
    marker = parts[0] / "marker"
    marker.write_text("x")
    split(data_dir, 2)
    assert marker.exists()
    text = (data_dir / "text").read_text().replace("hello world number 0", "changed", 1)
    (data_dir / "text").write_text(text)
    parts = split(data_dir, 2)
    assert not marker.exists()
    assert "changed" in (parts[0] / "text").read_text()


def test_split_more_parts_than_speakers_is_an_error(data_dir):
    with pytest.raises(DataDirError, match="cannot split 3 speakers into 4 parts"):
        split(data_dir, 4)


def test_subset_first_random_and_lists(data_dir, tmp_path):
    assert DataDir(subset(data_dir, tmp_path / "f", first=2).path).utterances() == ["spkA-utt000", "spkA-utt001"]
    r1 = subset(data_dir, tmp_path / "r1", random=4, seed=3).utterances()
    r2 = subset(data_dir, tmp_path / "r2", random=4, seed=3).utterances()
    assert r1 == r2 and len(r1) == 4
    spk = subset(data_dir, tmp_path / "s", first=2, unit="speaker")
    assert sorted(spk.spk2utt()) == ["spkA", "spkB"] and len(spk.utterances()) == 6
    (tmp_path / "list").write_text("spkC\nspkA\n")
    by_list = subset(data_dir, tmp_path / "l", spk_list=tmp_path / "list")
    assert sorted(by_list.spk2utt()) == ["spkA", "spkC"]
    assert validate(by_list.path) == []


def test_subset_list_with_unknown_id_names_the_line(data_dir, tmp_path):
    (tmp_path / "list").write_text("spkA-utt000\nnobody\n")
    with pytest.raises(DataDirError) as err:
        subset(data_dir, tmp_path / "x", utt_list=tmp_path / "list")
    assert f"{tmp_path / 'list'}:2: 'nobody' is not in" in str(err.value)
    assert not (tmp_path / "x").exists()
