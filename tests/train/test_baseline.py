"""The classical baseline: openSMILE functionals as a feature dir, and a linear SVM whose C is chosen
on dev that labels the test set (as a decode dir that score-ser reads)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from helpers import write_tone
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data.datadir import DataDir, write_data_dir
from jsertk.features.audio import AudioError
from jsertk.features.functionals import compute_functionals
from jsertk.features.io import read_scp
from jsertk.train.baseline import svm_baseline

pytest.importorskip("opensmile", reason="openSMILE is not installed (pip install opensmile)")
pytest.importorskip("sklearn", reason="scikit-learn is not installed")


def tone_set(root, speakers, n=6):
    """Two 'emotions' that differ in pitch and loudness: low/quiet vs high/loud tones."""
    wav, spk, emo = {}, {}, {}
    for s in speakers:
        for i in range(n):
            cls = ("calm", "loud")[i % 2]
            path = write_tone(root / "wav" / f"{s}_{i}.wav", 0.6, freq=(140 if cls == "calm" else 320) + 5 * i)
            if cls == "loud":  # louder
                import soundfile as sf
                x, sr = sf.read(path)
                sf.write(path, np.clip(2.5 * x, -1, 1), sr, subtype="PCM_16")
            utt = f"{s}_{i}"
            wav[utt], spk[utt], emo[utt] = str(path), s, cls
    return write_data_dir(root / "data", {"wav.scp": wav, "utt2spk": spk, "utt2emo": emo})


def test_functionals_are_one_row_per_utterance_with_the_labels_beside(tmp_path):
    data = tone_set(tmp_path / "a", ["s1", "s2"])
    res = compute_functionals(data.path, tmp_path / "f", "egemaps", progress=False)
    assert res["utterances"] == 12 and res["dim"] == 88
    rows = dict(read_scp(tmp_path / "f" / "feats.scp"))
    assert all(m.shape == (1, 88) and np.isfinite(m).all() for m in rows.values())
    assert DataDir(tmp_path / "f").load("utt2emo") == data.load("utt2emo")
    assert yaml.safe_load((tmp_path / "f" / "functionals.yaml").read_text())["feature_set"] == "egemaps"


def test_a_bad_file_is_named_or_skipped(tmp_path):
    data = tone_set(tmp_path / "a", ["s1"], n=2)
    (tmp_path / "a" / "wav" / "s1_1.wav").write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="s1_1"):
        compute_functionals(data.path, tmp_path / "f", "egemaps", progress=False)
    assert not (tmp_path / "f" / "feats.scp").exists()
    res = compute_functionals(data.path, tmp_path / "f", "egemaps", skip_bad=True, progress=False)
    assert res["utterances"] == 1 and "s1_1" in res["failed"]


def test_svm_separates_the_classes_of_held_out_speakers(tmp_path):
    dirs = {}
    for part, spks in (("train", ["s1", "s2", "s3"]), ("dev", ["s4"]), ("test", ["s5", "s6"])):
        data = tone_set(tmp_path / part, spks)
        dirs[part] = tmp_path / part / "f"
        compute_functionals(data.path, dirs[part], "egemaps", progress=False)
    for norm in (False, True):
        out = tmp_path / f"dec{norm}"
        info = svm_baseline(dirs["train"], dirs["dev"], dirs["test"], out, speaker_norm=norm)
        assert set(info["dev_UA_by_C"]) and info["speaker_norm"] is norm
        res = CliRunner().invoke(app, ["score-ser", str(dirs["test"]), str(out)])
        assert res.exit_code == 0, res.output
        assert json.loads((out / "scores.json").read_text())["UA"] >= 0.9
        assert json.loads((out / "decode.json").read_text())["data"] == str(dirs["test"])
