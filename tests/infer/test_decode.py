"""Decoding: CTC greedy and prefix beam against exact answers, and all three methods on a trained model."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import torch
from asr_helpers import make_feats_dir, make_tokenizer, write_config
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.infer.ctc_prefix_beam import ctc_prefix_beam_search
from jsertk.models.ctc_greedy import ctc_greedy
from jsertk.train import run_training

pytestmark = pytest.mark.xdist_group("decode")  # the module fixture is built once, in one test worker


def test_ctc_greedy_merges_repeats_drops_blanks_and_padding():
    frames = [[1, 1, 0, 1, 2, 2, 0, 3], [2, 0, 0, 2, 2, 1, 1, 1]]
    lp = torch.nn.functional.one_hot(torch.tensor(frames), 4).float().log()
    assert ctc_greedy(lp, torch.tensor([8, 4])) == [[1, 1, 2, 3], [2, 2]]


def _exact_label_probs(lp: np.ndarray) -> dict[tuple, float]:
    """log p(labels) summed over every alignment (brute force over V^T paths)."""
    probs: dict[tuple, float] = {}
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        labels = tuple(c for k, c in enumerate(path) if c and (k == 0 or c != path[k - 1]))
        probs[labels] = probs.get(labels, 0.0) + math.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return {k: math.log(v) for k, v in probs.items()}


@pytest.mark.parametrize("seed", range(5))
def test_prefix_beam_search_finds_the_most_probable_labelling(seed):
    lp = np.log(np.random.default_rng(seed).dirichlet(np.full(4, 0.5), size=5))
    exact = _exact_label_probs(lp)
    nbest = ctc_prefix_beam_search(lp, beam=64, token_beam=4)
    best = max(exact, key=exact.get)
    assert tuple(nbest[0][0]) == best
    for labels, score in nbest[:5]:
        assert score == pytest.approx(exact[tuple(labels)], abs=1e-9)


def test_prefix_beam_beats_greedy_when_paths_split():
    # greedy picks blank at every frame, yet "1" is more probable summed over its alignments
    lp = np.log(np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]))
    assert ctc_greedy(torch.tensor(lp)[None], torch.tensor([2]))[0] == []
    assert ctc_prefix_beam_search(lp, beam=4)[0][0] == [1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("dec")
    train = make_feats_dir(root / "train", n_utts=24)
    test = make_feats_dir(root / "test", n_utts=6, seed=1)
    cfg = write_config(root / "c.yaml", make_tokenizer(root / "tok"), train / "cmvn.ark", decoder="transformer",
                       decoder_conf={"attention_heads": 2, "linear_units": 64, "num_blocks": 1},
                       model_conf={"ctc_weight": 0.5}, train={"max_epochs": 10, "keep_nbest": 3})
    run_training(cfg, [train], [test], root / "exp")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("method", ["greedy", "ctc_beam", "joint"])
def test_decode_and_score_a_trained_model(trained, method):
    out = trained / f"decode_{method}"
    res = CliRunner().invoke(app, ["decode-asr", str(trained / "test"), "--model-dir", str(trained / "exp"),
                                   "--method", method, "--beam-size", "4", "--outdir", str(out)])
    assert res.exit_code == 0, res.output
    hyps = dict(line.split(" ", 1) for line in (out / "hyp.text").read_text().splitlines())
    assert len(hyps) == 6
    info = json.loads((out / "decode.json").read_text())
    assert info["method"] == method and 0 < info["rtf"] < 10
    res = CliRunner().invoke(app, ["score-wer", str(trained / "test"), str(out),
                                   "--tokenizer", str(trained / "exp" / "tokenizer")])
    assert res.exit_code == 0, res.output
    scores = json.loads((out / "scores.json").read_text())
    assert scores["num_utts"] == 6 and scores["missing_hypotheses"] == 0
    assert scores["wer"] <= 0.5, (method, scores, hyps)  # learnable features: far below chance


def test_joint_search_needs_a_decoder():
    from jsertk.infer.joint_beam import build_joint_beam_search
    from jsertk.models.asr import ASRModel

    model = ASRModel(8, ["<blank>", "<unk>", "a", "<sos/eos>"], encoder="transformer",
                     encoder_conf={"output_size": 16, "attention_heads": 2, "linear_units": 16, "num_blocks": 1})
    with pytest.raises(ValueError, match="no attention decoder"):
        build_joint_beam_search(model, beam=2, ctc_weight=0.3)


@pytest.mark.slow
def test_short_inputs_get_empty_hypotheses(trained, tmp_path):
    from jsertk.features.io import ArkScpWriter

    d = tmp_path / "short"
    with ArkScpWriter(d / "feats.ark", d / "feats.scp") as w:
        w.write("tiny", np.zeros((4, 20), np.float32))
        w.write("ok", np.random.default_rng(0).normal(size=(60, 20)).astype(np.float32))
    res = CliRunner().invoke(app, ["decode-asr", str(d), "--model-dir", str(trained / "exp"), "--outdir",
                                   str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "1 utterances shorter" in res.output
    assert (tmp_path / "out" / "hyp.text").read_text().splitlines()[1] == "tiny"


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ctc_beam", "joint"])
def test_decode_with_a_token_ngram_lm(trained, method, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["train-lm", str(trained / "train"), "--tokenizer", str(trained / "exp" / "tokenizer"),
                              "--order", "4", "--out", str(tmp_path / "lm")])
    assert res.exit_code == 0, res.output
    out = tmp_path / "dec"
    res = runner.invoke(app, ["decode-asr", str(trained / "test"), "--model-dir", str(trained / "exp"), "--method",
                              method, "--beam-size", "4", "--outdir", str(out),
                              "--lm", str(tmp_path / "lm" / "lm.arpa"), "--lm-weight", "0.4"])
    assert res.exit_code == 0, res.output
    info = json.loads((out / "decode.json").read_text())
    assert info["lm"] == str(tmp_path / "lm" / "lm.arpa") and info["lm_weight"] == 0.4
    res = runner.invoke(app, ["score-wer", str(trained / "test"), str(out),
                              "--tokenizer", str(trained / "exp" / "tokenizer")])
    assert json.loads((out / "scores.json").read_text())["wer"] <= 0.5


@pytest.mark.slow
def test_greedy_decoding_refuses_an_lm(trained, tmp_path):
    res = CliRunner().invoke(app, ["decode-asr", str(trained / "test"), "--model-dir", str(trained / "exp"),
                                   "--lm", str(tmp_path / "lm.arpa"), "--outdir", str(tmp_path / "out")])
    assert res.exit_code != 0 and "--lm needs a search" in str(res.exception)
    assert not (tmp_path / "out").exists()
