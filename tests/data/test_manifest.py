"""`jsertk prepare manifest`: any corpus from a CSV/TSV/JSON-lines table, with configurable columns,
segments, dimensions, folds, class maps and row-numbered errors."""
from __future__ import annotations

import json

import pytest
from helpers import write_tone
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data.corpora.manifest import prepare_manifest
from jsertk.data.folds import write_folds
from jsertk.data.validate import validate
from jsertk.utils.errors import InputError


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    for spk in ("anna", "ben", "cleo"):
        for i in range(2):
            write_tone(root / "audio" / spk / f"{spk}{i}.wav", 0.3)
    return root


def write_csv(path, rows, header="path,emotion,speaker,gender,text,fold"):
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows))
    return path


def test_csv_with_relative_paths_genders_text_and_folds(corpus, tmp_path):
    rows = [(f"audio/{s}/{s}{i}.wav", ("happy", "sad")[i], s, ("F", "male", "female")[k], f"hello {s}", str(k + 1))
            for k, s in enumerate(("anna", "ben", "cleo")) for i in range(2)]
    d = prepare_manifest(write_csv(corpus / "meta.csv", rows), tmp_path / "data").data
    assert validate(d.path) == []
    assert d.load("utt2emo") == {"anna_anna0": "happy", "anna_anna1": "sad", "ben_ben0": "happy", "ben_ben1": "sad",
                                 "cleo_cleo0": "happy", "cleo_cleo1": "sad"}
    assert d.load("spk2gender") == {"anna": "f", "ben": "m", "cleo": "f"}
    assert d.load("spk2fold") == {"anna": 1, "ben": 2, "cleo": 3}
    assert d.raw("wav.scp")["ben_ben1"] == str((corpus / "audio/ben/ben1.wav").resolve())
    assert sorted(write_folds(d.path, tmp_path / "folds")["folds"]) == ["fold1", "fold2", "fold3"]


def test_jsonl_with_renamed_columns_segments_dimensions_and_split(corpus, tmp_path):
    lines = []
    for k, s in enumerate(("anna", "ben", "cleo")):
        for start in (0.0, 0.15):
            lines.append({"file": f"audio/{s}/{s}0.wav", "label": "neu", "who": s, "begin": start, "stop": start + 0.1,
                          "A": 0.5, "V": -0.2, "D": 0.1, "part": ("train", "valid", "test")[k], "lang": "en"})
    manifest = corpus / "meta.jsonl"
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines))
    cols = {"path": "file", "emotion": "label", "speaker": "who", "start": "begin", "end": "stop", "arousal": "A",
            "valence": "V", "dominance": "D", "split": "part", "language": "lang"}
    d = prepare_manifest(manifest, tmp_path / "data", columns=cols).data
    assert validate(d.path) == []
    seg = d.raw("segments")
    assert seg["ben_ben0_0000150"] == "ben0 0.150 0.250" and len(d.raw("wav.scp")) == 3
    assert d.load("utt2dim")["anna_anna0_0000000"] == (0.5, -0.2, 0.1)
    assert set(d.raw("utt2fold").values()) == {"train", "dev", "test"}
    assert d.raw("utt2lang")["cleo_cleo0_0000000"] == "en"


def test_class_map_and_unlabelled_rows(corpus, tmp_path):
    rows = [("audio/anna/anna0.wav", "hap", "anna"), ("audio/anna/anna1.wav", "", "anna"),
            ("audio/ben/ben0.wav", "fru", "ben")]
    (tmp_path / "map.yaml").write_text("hap: happy\nfru: null\n")
    res = prepare_manifest(write_csv(corpus / "m.csv", rows, "path,emotion,speaker"), tmp_path / "data",
                           class_map=tmp_path / "map.yaml")
    assert res.data.load("utt2emo") == {"anna_anna0": "happy"} and res.dropped == {"fru": 1}
    assert sorted(res.data.utt2spk()) == ["anna_anna0", "anna_anna1"]  # the empty label: unlabelled speech


@pytest.mark.parametrize("header, row, message", [
    ("file,emotion,speaker", ("audio/anna/anna0.wav", "x", "anna"), r"no column 'path' \(path\); its columns are "
                                                                    r"emotion, file, speaker"),
    ("path,emotion,speaker", ("audio/anna/anna0.wav", "x", ""), r"row 2: empty 'speaker'"),
    ("path,emotion,speaker", ("audio/anna/nope.wav", "x", "anna"), r"row 2: audio not found: .*nope.wav"),
    ("path,emotion,speaker,gender", ("audio/anna/anna0.wav", "x", "anna", "x"), "row 2: gender 'x' is not"),
    ("path,emotion,speaker,fold", ("audio/anna/anna0.wav", "x", "anna", "2"), "row 2: speaker 'anna' is in fold 2 "
                                                                             "here and fold 1 in row 1"),
    ("path,emotion,speaker,arousal", ("audio/anna/anna0.wav", "x", "anna", "1"), "has only arousal"),
])
def test_bad_rows_are_named_and_nothing_is_written(corpus, tmp_path, header, row, message):
    first = ("audio/anna/anna1.wav", "x", "anna", *(("1",) if "fold" in header or "arousal" in header else ()),
             *(("f",) if "gender" in header else ()))
    manifest = write_csv(corpus / "m.csv", [first, row], header)
    with pytest.raises(InputError, match=message):
        prepare_manifest(manifest, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_skip_missing_and_the_cli(corpus, tmp_path):
    rows = [("audio/anna/anna0.wav", "hap", "anna"), ("audio/gone.wav", "sad", "anna")]
    manifest = write_csv(corpus / "m.tsv", [], "x")
    manifest.write_text("wav\temo\tspk\n" + "".join("\t".join(r) + "\n" for r in rows))
    res = CliRunner().invoke(app, ["prepare", "manifest", str(manifest), "--out", str(tmp_path / "d"),
                                   "--column", "path=wav", "--column", "emotion=emo", "--column", "speaker=spk",
                                   "--skip-missing"])
    assert res.exit_code == 0, res.output
    assert "skipped: " in res.output and "gone.wav" in res.output and "1 utterances" in res.output
    bad = CliRunner().invoke(app, ["prepare", "manifest", str(manifest), "--out", str(tmp_path / "e"),
                                   "--column", "path"])
    assert bad.exit_code != 0 and "expected KEY=HEADER" in str(bad.exception)
