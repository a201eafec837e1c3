"""An acoustic-only joint model (asr_weight 0, no lexical view) needs no tokenizer: it trains on a
data dir without transcripts, decodes emotions without a hyp.text, is scored, merged and packed."""
from __future__ import annotations

import json

import pytest
import yaml
from helpers import make_data_dir
from jser_helpers import ACOUSTIC_ONLY, fbank_dir, write_jser_config
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.train import run_training
from jsertk.utils.errors import ConfigError


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_acoustic_only_model_trains_decodes_and_packs_without_tokenizer(tmp_path):
    data = make_data_dir(tmp_path / "data" / "train", speakers=("spkA", "spkB", "spkC"))
    feats = fbank_dir(data, tmp_path / "dump" / "train")
    (feats / "text").unlink()  # a corpus without transcripts
    cfg = write_jser_config(tmp_path / "c.yaml", None, None, **ACOUSTIC_ONLY)
    exp = tmp_path / "exp"
    run_training(cfg, [feats], [feats], exp)
    assert not (exp / "tokenizer").exists()
    assert yaml.safe_load((exp / "config.yaml").read_text())["tokenizer"] == ""
    out = tmp_path / "dec"
    res = _run("decode", feats, "--model-dir", exp, "--outdir", out, "--ref", data)
    assert res.exit_code == 0, res.output
    assert (out / "hyp.emo").is_file() and not (out / "hyp.text").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert "UA" in summary and "wer" not in json.dumps(summary)  # the ref's text is not scored against nothing
    res = _run("pack", exp, "--out", tmp_path / "packed", "--fbank-config", feats / "fbank.yaml")
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "packed" / "tokenizer").exists()


def test_a_model_on_fbank_with_pitch_packs_and_infers_with_its_pitch(tmp_path):
    from helpers import write_tone

    from jsertk.features.fbank import FbankConfig

    data = make_data_dir(tmp_path / "data" / "train", speakers=("spkA", "spkB"))
    feats = fbank_dir(data, tmp_path / "dump" / "train", FbankConfig(num_mel_bins=20, pitch=True))
    exp = tmp_path / "exp"
    run_training(write_jser_config(tmp_path / "c.yaml", None, None, **ACOUSTIC_ONLY), [feats], [feats], exp)
    assert yaml.safe_load((exp / "config.yaml").read_text())["input_dim"] == 24  # 20 mel bins + 4 pitch columns
    # the fbank options of plain features do not fit the model: refused, naming both sizes
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(FbankConfig(num_mel_bins=20).as_dict()))
    res = _run("pack", exp, "--out", tmp_path / "bad", "--fbank-config", plain)
    message = res.output + str(res.exception)
    assert res.exit_code != 0 and "20-dim" in message and "24-dim" in message
    res = _run("pack", exp, "--out", tmp_path / "packed", "--fbank-config", feats / "fbank.yaml")
    assert res.exit_code == 0, res.output
    out = tmp_path / "out.jsonl"
    res = _run("infer", tmp_path / "packed", write_tone(tmp_path / "a.wav"), "--output", out)
    assert res.exit_code == 0, res.output
    assert [json.loads(line)["utt"] for line in out.read_text().splitlines()] == ["a"]


def test_a_model_that_reads_transcripts_still_needs_a_tokenizer(tmp_path):
    data = make_data_dir(tmp_path / "data" / "train", speakers=("spkA", "spkB"))
    feats = fbank_dir(data, tmp_path / "dump" / "train")
    cfg = write_jser_config(tmp_path / "c.yaml", None, None, asr_weight=0.0)  # lexical view on: reads CTC tokens
    with pytest.raises(ConfigError, match="tokenizer"):
        run_training(cfg, [feats], [feats], tmp_path / "exp")
