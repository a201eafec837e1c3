"""EmoDB preparation: a fixture tree in the corpus's layout, bad file names, and the real corpus
in ../shared/corpora/emodb (skipped when absent)."""
from __future__ import annotations

from collections import Counter

import pytest
from helpers import SHARED, write_tone
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data.corpora.emodb import prepare_emodb
from jsertk.data.datadir import DataDir
from jsertk.data.validate import validate
from jsertk.utils.errors import InputError

EMODB = SHARED / "corpora" / "emodb"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "emodb"
    for name in ("03a01Wa", "03b10Nc", "08a02Tb", "16b03Fa"):
        write_tone(root / "wav" / f"{name}.wav", 0.3)
    return root


def test_fixture_tree_gives_a_valid_dir_with_readable_labels_and_folds(tree, tmp_path):
    out = prepare_emodb(tree, tmp_path / "data")
    assert validate(out.path) == []
    assert out.load("utt2emo") == {"03a01Wa": "anger", "03b10Nc": "neutral", "08a02Tb": "sadness",
                                   "16b03Fa": "happiness"}
    assert out.load("text")["08a02Tb"] == "Das will sie am Mittwoch abgeben."
    assert out.load("spk2gender") == {"03": "m", "08": "f", "16": "f"}
    assert out.load("spk2fold") == {"03": 1, "08": 2, "16": 3}  # leave one speaker out


@pytest.mark.parametrize("name, reason", [("03a01Xa.wav", "unknown emotion letter 'X'"),
                                          ("99a01Wa.wav", "unknown speaker '99'"),
                                          ("03a01Wa_copy.wav", "not an EmoDB file name")])
def test_a_bad_file_is_named_and_nothing_is_written(tree, tmp_path, name, reason):
    write_tone(tree / "wav" / name, 0.3)
    with pytest.raises(InputError, match=reason) as e:
        prepare_emodb(tree, tmp_path / "data")
    assert name in str(e.value) and not (tmp_path / "data").exists()


def test_a_root_without_wav_is_refused_through_the_cli(tmp_path):
    res = CliRunner().invoke(app, ["prepare", "emodb", "--corpus-root", str(tmp_path), "--out", str(tmp_path / "d")])
    assert res.exit_code != 0 and "wav" in str(res.exception)


@pytest.mark.skipif(not (EMODB / "wav").is_dir(), reason=f"the real EmoDB is not at {EMODB}")
def test_the_real_corpus(tmp_path):
    out = prepare_emodb(EMODB, tmp_path / "emodb")
    assert validate(out.path) == []
    emo = out.load("utt2emo")
    assert len(emo) == 535 and len(out.spk2utt()) == 10
    assert Counter(emo.values()) == {"anger": 127, "boredom": 81, "neutral": 79, "happiness": 71, "fear": 69,
                                     "sadness": 62, "disgust": 46}
    folds = DataDir(out.path).load("spk2fold")
    assert sorted(folds.values()) == list(range(1, 11))
