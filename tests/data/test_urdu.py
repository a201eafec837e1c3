"""URDU preparation: a fixture tree in the corpus's layout, speaker-disjoint groups, bad files, and
the real corpus in ../shared/corpora/urdu (skipped when absent)."""
from __future__ import annotations

from collections import Counter

import pytest
from helpers import SHARED, write_tone

from jsertk.data.corpora.urdu import prepare_urdu
from jsertk.data.folds import speaker_groups
from jsertk.data.validate import validate
from jsertk.utils.errors import InputError

URDU = SHARED / "corpora" / "urdu"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "URDU"
    for folder, names in {"Angry": ["SM1_F01_A01", "SM1_F02_A02"], "Happy": ["SF2_F01_H01"],
                          "Neutral": ["SM3_F01_N01", "SM1_F03_N01"], "Sad": ["SF4_F01_S01"]}.items():
        for name in names:
            write_tone(root / folder / f"{name}.wav", 0.3, sr=44100)
    return root


def test_fixture_tree_gives_a_valid_dir_with_speaker_disjoint_folds(tree, tmp_path):
    out = prepare_urdu(tree, tmp_path / "data", num_folds=2)
    assert validate(out.path) == []
    assert out.load("utt2emo")["SF2_F01_H01"] == "happy" and out.load("utt2spk")["SM1_F03_N01"] == "SM1"
    assert out.load("spk2gender") == {"SF2": "f", "SF4": "f", "SM1": "m", "SM3": "m"}
    folds = out.load("spk2fold")
    assert folds["SM1"] == 1 and {folds[s] for s in ("SF2", "SF4", "SM3")} == {2}  # 3 utterances each


def test_groups_balance_utterances_and_never_split_a_speaker():
    utt2spk = {f"{s}_{i}": s for s, n in (("a", 5), ("b", 3), ("c", 2), ("d", 2), ("e", 1)) for i in range(n)}
    groups = speaker_groups(utt2spk, 2)
    sizes = Counter(groups[s] for s in utt2spk.values())
    assert set(groups) == {"a", "b", "c", "d", "e"} and sorted(sizes.values()) == [6, 7]
    with pytest.raises(InputError, match="5 speakers cannot make 6"):
        speaker_groups(utt2spk, 6)


def test_a_file_in_the_wrong_folder_is_named(tree, tmp_path):
    write_tone(tree / "Sad" / "SM1_F09_A09.wav", 0.3)
    with pytest.raises(InputError, match="SM1_F09_A09.wav: emotion letter 'A' in a Sad folder"):
        prepare_urdu(tree, tmp_path / "data")
    assert not (tmp_path / "data").exists()


@pytest.mark.skipif(not (URDU / "Angry").is_dir(), reason=f"the real URDU corpus is not at {URDU}")
def test_the_real_corpus(tmp_path):
    out = prepare_urdu(URDU, tmp_path / "urdu")
    assert validate(out.path) == []
    assert Counter(out.load("utt2emo").values()) == {"angry": 100, "happy": 100, "neutral": 100, "sad": 100}
    assert len(out.spk2utt()) == 29
    folds = out.load("spk2fold")
    assert Counter(folds[s] for s in out.load("utt2spk").values()) == {k: 80 for k in range(1, 6)}
