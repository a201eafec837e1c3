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


def test_pooled_frame_features_and_the_ridge_probe(tmp_path):
    """pool-feats: the mean and std over frames of every dimension; baseline-svm --classifier ridge
    picks alpha on dev and labels the test set."""
    from asr_helpers import make_feats_dir

    from jsertk.features.functionals import pool_features
    from jsertk.features.io import load_scp

    sets = {}
    for name, seed in (("train", 0), ("dev", 1), ("test", 2)):
        d = make_feats_dir(tmp_path / name, n_utts=12, dim=6, seed=seed, speakers=(f"{name}A", f"{name}B"))
        utts = [line.split()[0] for line in (d / "utt2spk").read_text().splitlines()]
        feats = load_scp(d / "feats.scp")
        from jsertk.features.io import ArkScpWriter

        with ArkScpWriter(d / "feats2.ark", d / "feats2.scp") as w:  # class "up" shifted upwards
            for k, u in enumerate(utts):
                w.write(u, feats[u] + (3.0 if k % 2 else 0.0))
        (d / "feats2.scp").replace(d / "feats.scp")
        (d / "utt2emo").write_text("".join(f"{u} {'up' if k % 2 else 'flat'}\n" for k, u in enumerate(utts)))
        res = pool_features(d, tmp_path / f"pooled_{name}", progress=False)
        assert res == {"utterances": 12, "dim": 12}
        sets[name] = tmp_path / f"pooled_{name}"
    x = np.asarray(load_scp(d / "feats.scp")[utts[0]], dtype=np.float64)
    row = load_scp(sets["test"] / "feats.scp")[utts[0]]
    np.testing.assert_allclose(row[0], np.concatenate([x.mean(0), x.std(0)]), rtol=1e-5)
    info = svm_baseline(sets["train"], sets["dev"], sets["test"], tmp_path / "out", classifier="ridge")
    assert info["model"].startswith("ridge") and set(info["dev_UA_by_C"]) == {"1.0", "10.0", "100.0", "1000.0",
                                                                             "10000.0", "100000.0"}
    hyp = dict(line.split() for line in (tmp_path / "out" / "hyp.emo").read_text().splitlines())
    assert sum(hyp[u] == ("up" if k % 2 else "flat") for k, u in enumerate(utts)) >= 11
    with pytest.raises(Exception, match="--classifier 'tree'"):
        svm_baseline(sets["train"], sets["dev"], sets["test"], tmp_path / "out2", classifier="tree")
