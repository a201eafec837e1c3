"""A pretrained Whisper as the ASR branch of the lexical view: `jsertk dump-lexical` writes its 1-best
and decoder states beside a feature dir; a joint model with `lexical.source: whisper_states` trains
and decodes on them, refuses states of another Whisper, and `pseudolabel` takes Whisper's 1-best
as the pseudo transcripts. Tiny random Whisper models; the real tiny.en where it is present."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from helpers import make_data_dir
from jser_helpers import fbank_dir, write_jser_config
from typer.testing import CliRunner
from upstream_helpers import WHISPER_TINY, make_upstream, make_whisper_asr

from jsertk.cli.main import app
from jsertk.data.problems import DataDirError
from jsertk.train import run_training
from jsertk.utils.errors import ConfigError

pytest.importorskip("transformers")
kaldiio = pytest.importorskip("kaldiio")

# an acoustic encoder without a tokenizer of its own: the lexical view reads Whisper's states only
WHISPER_LEXICAL = {"asr_weight": 0.0, "heads": {"emotion_acoustic": 0.3, "emotion_lexical": 0.3, "dimensional": 0.0,
                                                "hidden": 16}}


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _table(path):
    return dict((line.split(" ", 1) + [""])[:2] for line in path.read_text().splitlines())


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    return make_whisper_asr(tmp_path_factory.mktemp("whisper") / "tiny")


def _dumped(tmp_path, whisper, name="train", speakers=("spkA", "spkB", "spkC"), seconds=0.5):
    data = make_data_dir(tmp_path / "data" / name, speakers=speakers, seconds=seconds)
    feats = fbank_dir(data, tmp_path / "dump" / name)
    res = _run("dump-lexical", data, feats, "--whisper", whisper, "--max-new-tokens", 4, "--no-progress")
    assert res.exit_code == 0, res.output
    return data, feats


def test_dump_lexical_writes_states_1best_and_confidence(tmp_path, whisper):
    import torch
    from transformers.modeling_outputs import BaseModelOutput

    from jsertk.infer.dump_lexical import LexicalDumpConfig

    data, feats = _dumped(tmp_path, whisper)
    utts = sorted(_table(data / "utt2spk"))
    scp, texts, confs = (_table(feats / n) for n in ("lexical.scp", "lexical_text", "lexical_text_conf"))
    assert sorted(scp) == sorted(texts) == sorted(confs) == utts
    ident = yaml.safe_load((feats / "lexical.yaml").read_text())
    assert ident["dim"] == 32 and ident["method"] == "greedy" and ident["whisper_input"] == "pad"
    for utt in utts:
        states = kaldiio.load_mat(scp[utt])
        words = texts[utt].split()
        assert states.dtype == np.float16 and states.shape == (1 + len(words), 32) and len(words) == 4
    # the confidence is the mean probability generate gave the 1-best tokens (greedy: the top ones)
    ex = LexicalDumpConfig(str(whisper), max_new_tokens=4).extractor()
    import soundfile as sf

    wave, _ = sf.read(_table(data / "wav.scp")[utts[0]], dtype="float32")
    feats_in = ex.mel(wave, sampling_rate=16000, return_tensors="pt")["input_features"]
    with torch.no_grad():
        enc = ex.model.get_encoder()(feats_in).last_hidden_state
        gen = ex.model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=enc), max_new_tokens=4,
                                output_scores=True, return_dict_in_generate=True)
    top = [float(torch.softmax(s[0].float(), -1).max()) for s in gen.scores]
    assert float(confs[utts[0]]) == pytest.approx(np.mean(top), abs=2e-4)


def test_jobs_merged_equal_one_run(tmp_path, whisper):
    data, feats = _dumped(tmp_path, whisper)
    one = {n: (feats / n).read_text() for n in ("lexical_text", "lexical_text_conf")}
    one_states = {u: kaldiio.load_mat(v) for u, v in _table(feats / "lexical.scp").items()}
    assert _run("data", "split", data, 2).exit_code == 0
    for job in (1, 2):
        res = _run("dump-lexical", data, feats, "--whisper", whisper, "--max-new-tokens", 4, "--job", job,
                   "--nj", 2, "--no-progress")
        assert res.exit_code == 0, res.output
    res = _run("dump-lexical", data, feats, "--whisper", whisper, "--nj", 2, "--merge")
    assert res.exit_code == 0, res.output
    assert {n: (feats / n).read_text() for n in one} == one
    for utt, loc in _table(feats / "lexical.scp").items():
        assert "split2" in loc and np.array_equal(kaldiio.load_mat(loc), one_states[utt])


def test_dump_lexical_bad_input_is_named(tmp_path, whisper):
    data = make_data_dir(tmp_path / "data" / "d", speakers=("spkA",), utts_per_spk=2)
    res = _run("dump-lexical", data, tmp_path / "nofeats", "--whisper", whisper)
    assert res.exit_code != 0 and "no feats.scp" in str(res.exception)
    feats = fbank_dir(data, tmp_path / "dump" / "d")
    res = _run("dump-lexical", data, feats, "--whisper", make_upstream(tmp_path / "wavlm", "wavlm"))
    assert res.exit_code != 0 and "is a wavlm model" in str(res.exception)
    res = _run("dump-lexical", data, feats, "--whisper", whisper, "--nj", 2, "--merge")
    assert res.exit_code != 0 and "have not finished" in str(res.exception)
    assert not (feats / "lexical.scp").exists()


def test_whisper_states_model_trains_decodes_and_checks_its_whisper(tmp_path, whisper):
    _, train = _dumped(tmp_path, whisper, "train")
    cfg = write_jser_config(tmp_path / "c.yaml", None, None, **WHISPER_LEXICAL,
                            lexical={"source": "whisper_states", "whisper": str(whisper), "encoder": "cnn",
                                     "pooling": "max", "dim": 16, "widths": [1, 2]})
    exp = tmp_path / "exp"
    run_training(cfg, [train], [train], exp)
    assert yaml.safe_load((exp / "lexical.yaml").read_text())["dim"] == 32
    out = tmp_path / "dec"
    res = _run("decode", train, "--model-dir", exp, "--outdir", out)
    assert res.exit_code == 0, res.output
    assert sorted(_table(out / "hyp_lexical.emo")) == sorted(_table(train / "utt2spk"))
    # decoding in parts carries the states: the parts' posteriors are one job's
    from jsertk.infer.merge import split_for_decoding

    parts = split_for_decoding(train, tmp_path / "split", 2, 60)
    assert len(parts) == 2 and all((p / "lexical.scp").is_file() and (p / "lexical.yaml").is_file() for p in parts)
    lines = []
    for k, part in enumerate(parts):
        res = _run("decode", part, "--model-dir", exp, "--outdir", tmp_path / f"part{k}", "--max-frames-per-batch", 60)
        assert res.exit_code == 0, res.output
        lines += (tmp_path / f"part{k}" / "hyp_lexical.emo").read_text().splitlines()
    res = _run("decode", train, "--model-dir", exp, "--outdir", tmp_path / "dec1", "--max-frames-per-batch", 60)
    assert res.exit_code == 0, res.output
    assert sorted(lines) == (tmp_path / "dec1" / "hyp_lexical.emo").read_text().splitlines()

    # states of another Whisper are refused, naming both
    other = make_whisper_asr(tmp_path / "other", seed=1)
    _, test = _dumped(tmp_path / "t", other, "test", speakers=("spkD",))
    res = _run("decode", test, "--model-dir", exp, "--outdir", tmp_path / "bad")
    assert res.exit_code != 0 and "decoder states are from the Whisper" in str(res.exception)
    assert str(other.resolve()) in str(res.exception)
    with pytest.raises(ConfigError, match="decoder states are from the Whisper"):
        run_training(cfg, [train], [test], tmp_path / "exp_bad")
    # no dumped states: the missing file and the command that writes it are named
    bare = fbank_dir(make_data_dir(tmp_path / "data" / "bare", speakers=("spkE",)), tmp_path / "dump" / "bare")
    with pytest.raises(DataDirError, match="lexical.scp.*jsertk dump-lexical"):
        run_training(cfg, [bare], [bare], tmp_path / "exp_bare")
    bad_cfg = write_jser_config(tmp_path / "c2.yaml", None, None, **WHISPER_LEXICAL,
                                lexical={"source": "whisper_states"})
    with pytest.raises(ConfigError, match="lexical.whisper"):
        run_training(bad_cfg, [train], [train], tmp_path / "exp_nowhisper")


def test_pseudolabel_takes_whisper_1best_as_pseudo_transcripts(tmp_path, whisper):
    _, train = _dumped(tmp_path, whisper, "train")
    data, unlab = _dumped(tmp_path, whisper, "unlab", speakers=("spkD", "spkE"))
    cfg = write_jser_config(tmp_path / "c.yaml", None, None, **WHISPER_LEXICAL,
                            lexical={"source": "whisper_states", "whisper": str(whisper), "encoder": "cnn",
                                     "pooling": "max", "dim": 16, "widths": [1, 2]})
    run_training(cfg, [train], [train], tmp_path / "exp")
    out = tmp_path / "pl"
    res = _run("pseudolabel", "--model", tmp_path / "exp", "--data", unlab, "--labels-from", data, "--out", out,
               "--agreement", "any", "--threshold", 0.0, "--text-threshold", 0.0, "--no-balance")
    assert res.exit_code == 0, res.output
    whisper_text = _table(unlab / "lexical_text")
    assert _table(out / "text") and all(whisper_text[u] == t for u, t in _table(out / "text").items())
    # the pseudo-labelled dir carries the states: a student trains on it
    assert set(_table(out / "lexical.scp")) == set(_table(out / "feats.scp"))
    run_training(cfg, [train, out], [train], tmp_path / "student")


@pytest.mark.slow
@pytest.mark.skipif(not WHISPER_TINY.is_dir(), reason=f"the real Whisper tiny.en is not at {WHISPER_TINY}")
def test_real_whisper_dumps_what_decode_asr_transcribes(tmp_path):
    from jsertk.data.synth import make_options
    from jsertk.data.synth.corpus import generate

    counts = {"train_labeled": 1, "train_unlabeled": 1, "asr_train": 1, "dev": 1, "test": 4}
    generate(tmp_path / "synth", make_options("tiny", seed=7, counts=counts), nj=1, log=lambda _: None)
    test = tmp_path / "synth" / "data" / "test"
    feats = tmp_path / "dump" / "test"
    assert _run("compute-fbank", test, feats, "--no-progress").exit_code == 0
    res = _run("dump-lexical", test, feats, "--whisper", WHISPER_TINY, "--no-progress")
    assert res.exit_code == 0, res.output
    res = _run("decode-asr", test, "--whisper", WHISPER_TINY, "--outdir", tmp_path / "dec")
    assert res.exit_code == 0, res.output
    hyps = _table(tmp_path / "dec" / "hyp.text")
    texts = _table(feats / "lexical_text")
    assert texts == hyps  # the same greedy 1-best as decode-asr --whisper
    for utt, loc in _table(feats / "lexical.scp").items():
        states = kaldiio.load_mat(loc)
        assert states.shape[1] == 384 and len(states) >= 1 + len(texts[utt].split())
    conf = json.dumps(_table(feats / "lexical_text_conf"))
    assert all(0.0 < float(v) <= 1.0 for v in _table(feats / "lexical_text_conf").values()), conf


@pytest.mark.slow
def test_make_lexical_sh_runs_the_jobs_and_merges(tmp_path, whisper):
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "egs" / "TEMPLATE" / "jser1" / "steps" / "make_lexical.sh"
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}
    data = make_data_dir(tmp_path / "data" / "train", speakers=("a", "b"), utts_per_spk=2)
    feats = fbank_dir(data, tmp_path / "dump" / "train")
    proc = subprocess.run(["bash", script, "--nj", "3", "--whisper", whisper, "--lexical-opts", "--max-new-tokens 3",
                           data, feats], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(_table(feats / "lexical.scp")) == sorted(_table(data / "utt2spk"))
    assert all(len(t.split()) == 3 for t in _table(feats / "lexical_text").values())
    assert sorted(p.name for p in (feats / "lexical" / "log").iterdir()) == [f"lexical.{k}.log" for k in (1, 2, 3)]
    proc = subprocess.run(["bash", script, data, feats], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode != 0 and "--whisper DIR is required" in proc.stderr
