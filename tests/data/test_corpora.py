"""Preparation of RAVDESS, CREMA-D, IEMOCAP, MELD and LibriSpeech from fixture trees in their exact
layouts: labels, genders, texts and folds as data, and clear errors on anything else."""
from __future__ import annotations

import pytest
from corpora_fixtures import cremad_tree, iemocap_tree, librispeech_tree, meld_tree, ravdess_tree
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data.corpora.cremad import prepare_cremad
from jsertk.data.corpora.iemocap import prepare_iemocap
from jsertk.data.corpora.librispeech import prepare_librispeech
from jsertk.data.corpora.meld import prepare_meld
from jsertk.data.corpora.ravdess import prepare_ravdess
from jsertk.data.folds import write_folds
from jsertk.data.validate import validate
from jsertk.utils.errors import InputError


def test_ravdess(tmp_path):
    res = prepare_ravdess(ravdess_tree(tmp_path / "ravdess"), tmp_path / "data")
    d = res.data
    assert validate(d.path) == []
    emo = d.load("utt2emo")
    assert emo["actor02_03-01-05-01-01-01-02"] == "angry" and emo["actor01_03-01-02-01-01-01-01"] == "calm"
    assert d.load("text")["actor01_03-01-01-01-01-01-01"] == "Kids are talking by the door"
    assert d.load("spk2gender")["actor01"] == "m" and d.load("spk2gender")["actor02"] == "f"
    assert d.load("spk2fold") == {f"actor{a:02d}": 1 if a <= 4 else 2 for a in range(1, 9)}  # 4 consecutive actors


def test_ravdess_class_map_drops_or_keeps_unmapped(tmp_path):
    tree = ravdess_tree(tmp_path / "ravdess")
    (tmp_path / "map.yaml").write_text("'01': neutral\n'02': null\n'03': happy\n'04': sad\n'05': angry\n")
    res = prepare_ravdess(tree, tmp_path / "data", class_map=tmp_path / "map.yaml")
    assert "calm" not in res.data.load("utt2emo").values() and res.dropped == {"02": 8}
    kept = prepare_ravdess(tree, tmp_path / "data2", class_map=tmp_path / "map.yaml", keep_unmapped=True)
    assert len(kept.data.utt2spk()) == len(res.data.utt2spk()) + 8  # calm kept as unlabelled speech


@pytest.mark.parametrize("name, message", [
    ("03-01-09-01-01-01-01.wav", "unknown emotion '09'"),
    ("01-01-01-01-01-01-01.wav", "not an audio-only speech file"),
    ("03-01-01-01-01-01-02.wav", "actor 02 in the folder of actor 01"),
    ("03-01-01-01-01.wav", "not a RAVDESS file name"),
])
def test_ravdess_bad_names(tmp_path, name, message):
    tree = ravdess_tree(tmp_path / "ravdess", actors=(1, 2))
    (tree / "Actor_01" / name).write_bytes(b"RIFF")
    with pytest.raises(InputError, match=message):
        prepare_ravdess(tree, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_a_wrong_root_says_what_was_expected_and_found(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "readme.txt").write_text("x")
    with pytest.raises(InputError, match=r"Actor_01 \.\.\. Actor_24.*found: readme.txt"):
        prepare_ravdess(tmp_path / "stuff", tmp_path / "data")
    with pytest.raises(InputError, match=r"no Session1, Session2, Session3 \.\.\..*found: readme.txt"):
        prepare_iemocap(tmp_path / "stuff", tmp_path / "data")


def test_cremad(tmp_path):
    tree = cremad_tree(tmp_path / "cremad")
    res = prepare_cremad(tree, tmp_path / "data")
    d = res.data
    assert validate(d.path) == []
    assert d.load("utt2emo")["1001_IEO_ANG_HI"] == "angry"
    assert d.load("text")["1003_DFA_SAD_XX"] == "Don't forget a jacket"
    assert d.load("spk2gender")["1001"] == "f" and d.load("spk2gender")["1002"] == "m"
    folds = d.load("spk2fold")
    assert sorted(folds.values()) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # 5 speaker-disjoint groups


def test_cremad_empty_clip_and_unknown_actor(tmp_path):
    tree = cremad_tree(tmp_path / "cremad")
    (tree / "AudioWAV" / "1004_MTI_SAD_XX.wav").write_bytes(b"")
    with pytest.raises(InputError, match="1004_MTI_SAD_XX.wav: no audio samples"):
        prepare_cremad(tree, tmp_path / "data")
    res = prepare_cremad(tree, tmp_path / "data", skip_missing=True)
    assert len(res.skipped) == 1 and "1004_MTI_SAD_XX" not in res.data.utt2spk()
    (tree / "AudioWAV" / "1004_MTI_SAD_XX.wav").unlink()
    (tree / "AudioWAV" / "1099_IEO_ANG_HI.wav").write_bytes(b"x" * 100)
    with pytest.raises(InputError, match="actor 1099 is not in .*VideoDemographics.csv"):
        prepare_cremad(tree, tmp_path / "data2")


def test_iemocap_four_classes_merge_excited_into_happy(tmp_path):
    tree = iemocap_tree(tmp_path / "IEMOCAP_full_release")
    res = prepare_iemocap(tree, tmp_path / "data")
    d = res.data
    assert validate(d.path) == []
    emo = d.load("utt2emo")
    assert len(emo) == 25 and res.dropped == {"fru": 5}  # 5 of 6 codes per session kept
    assert emo["Ses01F-Ses01F_impro01_F002"] == "happy"  # exc
    assert emo["Ses01M-Ses01F_impro01_M001"] == "happy"
    assert d.load("utt2spk")["Ses01M-Ses01F_impro01_M001"] == "Ses01M"
    assert d.load("text")["Ses01F-Ses01F_impro01_F000"] == "Hello there number 0."
    assert d.load("utt2dim")["Ses01F-Ses01F_impro01_F000"] == (3.0, 2.5, 2.0)  # arousal valence dominance
    assert d.load("spk2fold") == {f"Ses0{s}{g}": s for s in range(1, 6) for g in "FM"}  # leave one session out
    assert d.load("spk2gender")["Ses03M"] == "m"
    six = prepare_iemocap(tree, tmp_path / "data6", classes="6").data.load("utt2emo")
    assert len(six) == 30 and six["Ses01F-Ses01F_impro01_F002"] == "excited"


def test_iemocap_folds_are_sessions(tmp_path):
    d = prepare_iemocap(iemocap_tree(tmp_path / "IEMOCAP_full_release"), tmp_path / "data").data
    summary = write_folds(d.path, tmp_path / "folds")
    assert list(summary["folds"]) == [f"fold{k}" for k in range(1, 6)]
    assert summary["folds"]["fold2"]["test"]["speakers"] == 2 and summary["folds"]["fold2"]["dev"]["speakers"] == 2


def test_iemocap_bad_label_line_and_missing_audio(tmp_path):
    tree = iemocap_tree(tmp_path / "IEMOCAP_full_release")
    label = tree / "Session2" / "dialog" / "EmoEvaluation" / "Ses02F_impro01.txt"
    label.write_text(label.read_text().replace("\tsad\t", "\tsadd\t"))
    with pytest.raises(InputError, match=r"Ses02F_impro01.txt:\d+: unknown emotion code 'sadd'"):
        prepare_iemocap(tree, tmp_path / "data")
    label.write_text(label.read_text().replace("\tsadd\t", "\tsad\t"))
    (tree / "Session3/sentences/wav/Ses03F_impro01/Ses03F_impro01_M001.wav").unlink()
    with pytest.raises(InputError, match="audio of 'Ses03F_impro01_M001' not found"):
        prepare_iemocap(tree, tmp_path / "data")
    res = prepare_iemocap(tree, tmp_path / "data", skip_missing=True)
    assert len(res.skipped) == 1 and len(res.data.load("utt2emo")) == 24


def test_meld_official_split_as_utt2fold(tmp_path):
    tree = meld_tree(tmp_path / "MELD.Raw")
    res = prepare_meld(tree, tmp_path / "data", check_ffmpeg=False)
    d = res.data
    assert validate(d.path, check_audio=False) == []
    split = d.raw("utt2fold")
    assert sorted(set(split.values())) == ["dev", "test", "train"] and len(split) == 18
    utt = "Mr__Geller-train_dia0_utt2"
    assert d.load("utt2spk")[utt] == "Mr__Geller" and d.load("text")[utt] == "Line 0 2, said."
    assert d.raw("wav.scp")[utt].startswith("ffmpeg ") and d.raw("wav.scp")[utt].endswith(" |")
    with pytest.raises(InputError, match="is in both train and test"):
        write_folds(d.path, tmp_path / "folds")
    summary = write_folds(d.path, tmp_path / "folds", allow_shared_speakers=True)
    assert summary["folds"]["fold1"]["test"]["utterances"] == 6


def test_meld_missing_clip_and_layout(tmp_path):
    tree = meld_tree(tmp_path / "MELD.Raw")
    (tree / "dev_splits_complete" / "dia1_utt2.mp4").unlink()
    with pytest.raises(InputError, match=r"dev_sent_emo.csv: row 6: clip not found"):
        prepare_meld(tree, tmp_path / "data", check_ffmpeg=False)
    assert len(prepare_meld(tree, tmp_path / "data", skip_missing=True, check_ffmpeg=False).skipped) == 1
    (tree / "test_sent_emo.csv").unlink()
    with pytest.raises(InputError, match="no test_sent_emo.csv under it"):
        prepare_meld(tree, tmp_path / "data2", check_ffmpeg=False)


def test_librispeech_subsets(tmp_path):
    tree = librispeech_tree(tmp_path / "LibriSpeech")
    results = prepare_librispeech(tree, tmp_path / "data", ["train-clean-100", "dev-clean"])
    train, dev = (r.data for r in results)
    assert train.path.name == "train_clean_100" and validate(train.path) == []
    assert train.load("text")["103-1240-0001"] == "CHAPTER ONE WORD 1"
    assert train.load("spk2gender") == {"103": "f", "1034": "m"} and len(dev.utt2spk()) == 3
    with pytest.raises(InputError, match="no train-other-500"):
        prepare_librispeech(tree, tmp_path / "d2", ["train-other-500"])


def test_cli_lists_what_was_skipped(tmp_path):
    tree = cremad_tree(tmp_path / "cremad")
    (tree / "AudioWAV" / "1004_MTI_SAD_XX.wav").write_bytes(b"")
    res = CliRunner().invoke(app, ["prepare", "cremad", "--corpus-root", str(tree), "--out", str(tmp_path / "d"),
                                   "--skip-missing"])
    assert res.exit_code == 0, res.output
    assert "skipped: " in res.output and "1 utterances skipped" in res.output and "40 utterances" in res.output
