"""Joint ASR-SER decoding, scoring, packing and inference on a model trained on real fbank features."""
from __future__ import annotations

import json

import kaldiio
import numpy as np
import pytest
from asr_helpers import make_tokenizer
from helpers import make_data_dir, write_tone
from jser_helpers import fbank_dir, write_jser_config
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data.datadir import DataDir
from jsertk.train import run_training


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    root = tmp_path_factory.mktemp("serdec")
    data = make_data_dir(root / "data" / "train", speakers=("spkA", "spkB", "spkC", "spkD"))
    feats = fbank_dir(data, root / "dump" / "train")
    texts = [line.split(" ", 1)[1] for line in (data / "text").read_text().splitlines()]
    tok = make_tokenizer(root / "tok", texts=texts)
    cfg = write_jser_config(root / "c.yaml", tok, None, heads={"gender": 0.2})
    run_training(cfg, [feats], [feats], root / "exp")
    return root


def _run(*args):
    res = CliRunner().invoke(app, [str(a) for a in args])
    return res


def test_decode_writes_every_output_and_score_ser_reads_them(exp):
    out = exp / "decode"
    res = _run("decode", exp / "dump" / "train", "--model-dir", exp / "exp", "--outdir", out)
    assert res.exit_code == 0, res.output
    utts = sorted(DataDir(exp / "data" / "train").load("wav.scp"))
    classes = (exp / "exp" / "classes.txt").read_text().split()
    for name in ("hyp.emo", "hyp_acoustic.emo", "hyp_lexical.emo", "hyp.dim", "hyp.text"):
        lines = (out / name).read_text().splitlines()
        assert [line.split()[0] for line in lines] == utts, name
    assert all(line.split()[1] in classes for line in (out / "hyp.emo").read_text().splitlines())
    assert all(len(line.split()) == 4 for line in (out / "hyp.dim").read_text().splitlines())
    post = dict(kaldiio.load_scp(str(out / "emo_post.scp")))
    assert sorted(post) == utts
    hyp = dict(line.split() for line in (out / "hyp.emo").read_text().splitlines())
    for utt, p in post.items():
        assert p.shape == (len(classes),) and np.isclose(p.sum(), 1.0, atol=1e-5)
        assert classes[int(p.argmax())] == hyp[utt]
    res = _run("score-ser", exp / "data" / "train", out, "--classes", out / "classes.txt")
    assert res.exit_code == 0, res.output
    scores = json.loads((out / "scores.json").read_text())
    # the scores are those of the hypotheses written: UA is the mean per-class recall of hyp.emo
    ref = dict(line.split() for line in (exp / "data" / "train" / "utt2emo").read_text().splitlines())
    recalls = [sum(hyp[u] == c for u in ref if ref[u] == c) / sum(v == c for v in ref.values())
               for c in sorted(set(ref.values()))]
    assert scores["UA"] == pytest.approx(sum(recalls) / len(recalls))
    assert scores["WA"] == pytest.approx(sum(hyp[u] == ref[u] for u in ref) / len(ref))
    assert "dimensional" in scores and (out / "confusion.png").is_file()


def test_pack_and_infer_json_lines_skipping_unreadable_audio(exp, tmp_path):
    packed = exp / "packed"
    res = _run("pack", exp / "exp", "--out", packed, "--fbank-config", exp / "dump" / "train" / "fbank.yaml")
    assert res.exit_code == 0, res.output
    listed = [line.split("  ")[1] for line in (packed / "checksums.sha256").read_text().splitlines()]
    assert {"config.yaml", "model.pth", "classes.txt", "fbank.yaml", "tokenizer/spm.model"} <= set(listed)
    good = [write_tone(tmp_path / "a.wav", 0.6), write_tone(tmp_path / "b.wav", 0.8, sr=8000, freq=300.0)]
    bad = tmp_path / "broken.wav"
    bad.write_text("not audio")
    out = tmp_path / "out.jsonl"
    res = _run("infer", packed, good[0], bad, good[1], "--output", out, "--batch-size", "2")
    assert res.exit_code == 1
    assert "broken.wav" in res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["utt"] for r in rows] == ["a", "b"]
    classes = (packed / "classes.txt").read_text().split()
    for r in rows:
        assert set(r) >= {"utt", "transcript", "emotion", "posteriors", "arousal", "valence", "dominance"}
        assert r["emotion"] in classes and sorted(r["posteriors"]) == sorted(classes)
        assert abs(sum(r["posteriors"].values()) - 1.0) < 1e-4
    # the Python API gives the same answer as the CLI
    from jsertk.infer import Recognizer

    rec = Recognizer.from_dir(packed)
    api = list(rec.recognize_files([str(p) for p in good], batch_size=2))
    for a, r in zip(api, rows):
        assert a["emotion"] == r["emotion"] and a["transcript"] == r["transcript"]
        assert a["posteriors"] == pytest.approx(r["posteriors"], abs=1e-5)


def test_a_damaged_packed_model_is_refused(exp, tmp_path):
    packed = tmp_path / "p"
    assert _run("pack", exp / "exp", "--out", packed, "--fbank-config",
                exp / "dump" / "train" / "fbank.yaml").exit_code == 0
    with open(packed / "classes.txt", "a") as f:
        f.write("extra\n")
    res = _run("infer", packed, write_tone(tmp_path / "a.wav"))
    assert res.exit_code != 0
    assert "classes.txt" in str(res.exception) + res.output


@pytest.mark.parametrize("damage", ["tampered", "truncated", "extra file"])
def test_a_tampered_truncated_or_extended_pack_is_refused_naming_the_file(exp, tmp_path, damage):
    from jsertk.infer.recognizer import Recognizer
    from jsertk.utils.errors import JsertkError

    packed = tmp_path / "p"
    assert _run("pack", exp / "exp", "--out", packed, "--fbank-config",
                exp / "dump" / "train" / "fbank.yaml").exit_code == 0
    weights = packed / "model.pth"
    data = weights.read_bytes()
    if damage == "tampered":  # same size, one byte changed in the tensors' data
        weights.write_bytes(data[:-200] + bytes([data[-200] ^ 0xFF]) + data[-199:])
        named, why = weights, "checksum differs"
    elif damage == "truncated":
        weights.write_bytes(data[: len(data) // 2])
        named, why = weights, "checksum differs"
    else:
        (packed / "tokenizer" / "evil.pkl").write_bytes(b"x")
        named, why = packed / "tokenizer" / "evil.pkl", "not part of the packed model"
    res = _run("infer", packed, write_tone(tmp_path / "a.wav"))
    assert res.exit_code != 0 and str(named) in str(res.exception) and why in str(res.exception)
    if damage == "truncated":  # even unchecked, the truncated weights are refused by the loader, named
        with pytest.raises(JsertkError, match="model.pth: cannot be read.*corrupt or truncated"):
            Recognizer.from_dir(packed, check=False)


def test_pack_refuses_fbank_options_that_do_not_fit(exp, tmp_path):
    res = _run("pack", exp / "exp", "--out", tmp_path / "p")  # default 80 mel bins, model takes 20
    assert res.exit_code != 0
    assert "80-dim features but the model takes 20-dim" in str(res.exception)
