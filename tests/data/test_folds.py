"""Fold data dirs (`jsertk data folds`): speaker-disjoint train/dev/test, dev from training speakers,
official splits, schemes made on the fly, clear errors and nothing half-written."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data.datadir import DataDir, write_data_dir
from jsertk.data.folds import fold_names, plan_folds, speaker_groups, write_folds
from jsertk.data.validate import validate
from jsertk.utils.errors import InputError


def corpus(path, n_spk=6, per_spk=4, spk2fold=None, utt2fold=None):
    utt2spk = {f"s{s}_u{u}": f"s{s}" for s in range(n_spk) for u in range(per_spk)}
    tables = {"wav.scp": {u: f"/audio/{u}.wav" for u in utt2spk}, "utt2spk": utt2spk,
              "utt2emo": {u: ("ang", "neu")[i % 2] for i, u in enumerate(sorted(utt2spk))},
              "spk2gender": {f"s{s}": "mf"[s % 2] for s in range(n_spk)}}
    if spk2fold is not None:
        tables["spk2fold"] = spk2fold
    if utt2fold is not None:
        tables["utt2fold"] = utt2fold
    return write_data_dir(path, tables)


def speakers(d):
    return set(DataDir(d).spk2utt())


def test_each_fold_tests_its_speakers_on_a_model_of_the_others_with_dev_from_the_next_fold(tmp_path):
    src = corpus(tmp_path / "c", spk2fold={f"s{s}": s // 2 + 1 for s in range(6)})  # 3 folds of 2 speakers
    summary = write_folds(src.path, tmp_path / "c" / "folds")
    assert fold_names(tmp_path / "c" / "folds") == ["fold1", "fold2", "fold3"]
    for k, name in enumerate(["fold1", "fold2", "fold3"]):
        d = tmp_path / "c" / "folds" / name
        assert speakers(d / "test") == {f"s{2 * k}", f"s{2 * k + 1}"}
        nxt = (k + 1) % 3
        assert speakers(d / "dev") == {f"s{2 * nxt}", f"s{2 * nxt + 1}"}
        assert speakers(d / "train") == {f"s{s}" for s in range(6)} - speakers(d / "test") - speakers(d / "dev")
        for part in ("train", "dev", "test"):
            assert validate(d / part, check_audio=False) == []
            assert set(DataDir(d / part).load("utt2emo")) == set(DataDir(d / part).utt2spk())
        assert summary["folds"][name]["test"] == {"utterances": 8, "speakers": 2, "classes": {"ang": 4, "neu": 4}}
    # every utterance is tested exactly once
    tested = [u for n in ("fold1", "fold2", "fold3") for u in DataDir(tmp_path / "c/folds" / n / "test").utt2spk()]
    assert sorted(tested) == sorted(src.utt2spk())


def test_ten_folds_sort_in_number_order_and_dev_speakers_n_come_from_training_speakers(tmp_path):
    src = corpus(tmp_path / "c", n_spk=10)
    write_folds(src.path, tmp_path / "f", scheme="loso", dev="speakers:2")
    names = fold_names(tmp_path / "f")
    assert names == [f"fold{k}" for k in range(1, 11)]
    for name in names:
        d = tmp_path / "f" / name
        dev, test, train = speakers(d / "dev"), speakers(d / "test"), speakers(d / "train")
        assert len(test) == 1 and len(dev) == 2 and len(train) == 7 and not (dev & test) and not (dev & train)
        genders = DataDir(d / "dev").load("spk2gender")
        assert sorted(genders.values()) == ["f", "m"]  # alternating genders


def test_groups_scheme_and_reuse(tmp_path):
    src = corpus(tmp_path / "c", n_spk=9)
    first = write_folds(src.path, tmp_path / "f", scheme="groups:3")
    mtime = (tmp_path / "f" / "folds.json").stat().st_mtime_ns
    assert write_folds(src.path, tmp_path / "f", scheme="groups:3") == first
    assert (tmp_path / "f" / "folds.json").stat().st_mtime_ns == mtime  # reused, not rewritten
    write_folds(src.path, tmp_path / "f", scheme="groups:3", dev="speakers:1")
    assert json.loads((tmp_path / "f" / "folds.json").read_text())["stamp"]["dev"] == "speakers:1"
    assert sorted(speaker_groups(src.utt2spk(), 3).values()) == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_an_official_split_is_one_fold_and_shared_speakers_need_a_flag(tmp_path):
    utts = sorted(f"s{s}_u{u}" for s in range(6) for u in range(4))
    split = {u: ("train", "train", "dev", "test", "train", "train")[int(u[1])] for u in utts}
    src = corpus(tmp_path / "c", utt2fold=split)
    write_folds(src.path, tmp_path / "f")
    assert fold_names(tmp_path / "f") == ["fold1"]
    assert speakers(tmp_path / "f/fold1/dev") == {"s2"} and speakers(tmp_path / "f/fold1/test") == {"s3"}
    shared = dict(split, s0_u0="test")  # s0 in train and test
    src = corpus(tmp_path / "c2", utt2fold=shared)
    with pytest.raises(InputError, match="speaker 's0' is in both train and test"):
        write_folds(src.path, tmp_path / "f2")
    assert not (tmp_path / "f2").exists()
    summary = write_folds(src.path, tmp_path / "f2", allow_shared_speakers=True)
    assert summary["folds"]["fold1"]["test_speakers_in_train"] == 1


@pytest.mark.parametrize("kw, message", [
    ({}, "no spk2fold or utt2fold"),
    ({"spk2fold": {"s0": 1, "s1": 2, "s2": 3}}, "no fold for speaker 's3' and 2 more"),
    ({"spk2fold": {f"s{s}": 1 + s % 2 for s in range(6)}}, "2 folds leave no training speakers"),
    ({"utt2fold": {f"s{s}_u{u}": "train" if s else "eval" for s in range(6) for u in range(4)}},
     "utterance .s0_u0.: split .eval. is not one of train, dev, test"),
])
def test_bad_fold_files_are_named_and_nothing_is_written(tmp_path, kw, message):
    src = corpus(tmp_path / "c", **kw)
    with pytest.raises(InputError, match=message):
        plan_folds(DataDir(src.path)) if "utt2fold" not in kw else write_folds(src.path, tmp_path / "f")
    assert not (tmp_path / "f").exists()


def test_cli_prints_each_fold_and_fails_cleanly(tmp_path):
    src = corpus(tmp_path / "c", spk2fold={f"s{s}": s // 2 + 1 for s in range(6)})
    res = CliRunner().invoke(app, ["data", "folds", str(src.path)])
    assert res.exit_code == 0, res.output
    assert "fold1: train 8 utts / 2 spk, dev 8 utts / 2 spk, test 8 utts / 2 spk" in res.output
    res = CliRunner().invoke(app, ["data", "folds", str(src.path), "--dev", "speakers:x"])
    assert res.exit_code != 0 and "speakers:N needs a positive number" in str(res.exception)


def test_auto_scheme_uses_the_file_else_loso_for_few_speakers_else_five_groups(tmp_path):
    few = corpus(tmp_path / "few", n_spk=6)
    assert len(write_folds(few.path, tmp_path / "f1", scheme="auto")["folds"]) == 6
    many = corpus(tmp_path / "many", n_spk=15, per_spk=2)
    assert len(write_folds(many.path, tmp_path / "f2", scheme="auto")["folds"]) == 5
    filed = corpus(tmp_path / "filed", spk2fold={f"s{s}": s // 2 + 1 for s in range(6)})
    assert len(write_folds(filed.path, tmp_path / "f3", scheme="auto")["folds"]) == 3


def test_map_classes_maps_drops_and_keeps(tmp_path):
    from jsertk.data.classes import map_classes

    src = corpus(tmp_path / "c", n_spk=2)  # ang/neu alternating
    (tmp_path / "map.yaml").write_text("ang: angry\nneu: null\n")
    counts = map_classes(src.path, tmp_path / "m", tmp_path / "map.yaml")
    assert counts == {"<dropped>": 4, "angry": 4}
    out = DataDir(tmp_path / "m")
    assert set(out.load("utt2emo").values()) == {"angry"} and len(out.utt2spk()) == 4
    assert validate(out.path, check_audio=False) == []
    map_classes(src.path, tmp_path / "k", tmp_path / "map.yaml", keep_unmapped=True)
    assert len(DataDir(tmp_path / "k").utt2spk()) == 8 and len(DataDir(tmp_path / "k").load("utt2emo")) == 4
    (tmp_path / "none.yaml").write_text("xyz: angry\n")
    with pytest.raises(InputError, match="no label is in the class map"):
        map_classes(src.path, tmp_path / "n", tmp_path / "none.yaml")


def test_class_map_keys_are_read_as_written(tmp_path):
    from jsertk.data.classes import load_class_map

    (tmp_path / "m.yaml").write_text("01: neutral\n08: surprised\nyes: happy\n02: null\n03: ~\n")
    assert load_class_map(tmp_path / "m.yaml", {}) == {"01": "neutral", "08": "surprised", "yes": "happy",
                                                       "02": None, "03": None}
    (tmp_path / "bad.yaml").write_text("01: [a, b]\n")
    with pytest.raises(InputError, match="label '01': class must be one word or null"):
        load_class_map(tmp_path / "bad.yaml", {})


def test_map_classes_makes_feature_locations_absolute_for_use_from_elsewhere(tmp_path, monkeypatch):
    from jsertk.data.classes import map_classes

    recipe = tmp_path / "other_recipe"
    src = corpus(recipe / "dump" / "c", n_spk=1, per_spk=2)
    (recipe / "dump" / "c" / "feats.ark").write_bytes(b"x")
    (recipe / "dump" / "c" / "feats.scp").write_text("s0_u0 dump/c/feats.ark:10\ns0_u1 dump/c/feats.ark:20\n")
    (tmp_path / "map.yaml").write_text("ang: angry\nneu: neutral\n")
    monkeypatch.chdir(tmp_path)  # not the recipe the relative paths start from
    map_classes(src.path, tmp_path / "m", tmp_path / "map.yaml")
    ark = (recipe / "dump" / "c" / "feats.ark").resolve()
    assert DataDir(tmp_path / "m").raw("feats.scp") == {"s0_u0": f"{ark}:10", "s0_u1": f"{ark}:20"}
