"""Token n-gram LM: Kneser-Ney estimates against hand-computed values, ARPA round trip, normalisation,
file errors, and shallow fusion flipping near ties in ESPnet's beam search and the CTC prefix beam."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from asr_helpers import make_feats_dir, make_tokenizer
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.lm import ArpaError, TokenNgramLM, read_arpa, train_kneser_ney, write_arpa

TOKENS = ["<blank>", "<unk>", "a", "b", "c", "k", "t", "<sos/eos>"]
EOS_ID = len(TOKENS) - 1


def lm_from(sentences, order, tmp_path, vocab=("<unk>", "a", "b", "c", "k", "t")) -> TokenNgramLM:
    write_arpa(train_kneser_ney([s.split() for s in sentences], vocab, order), tmp_path / "lm.arpa")
    return TokenNgramLM(tmp_path / "lm.arpa", TOKENS)


def test_bigram_probabilities_match_the_hand_computed_kneser_ney(tmp_path):
    # <s> a b </s>, <s> a </s>; one discount per order (too few counts for three): D2 = 3/5, D1 = 1/2.
    # unigram continuation counts a:1 b:1 </s>:2 over 4 tokens, gamma = 1.5/4, uniform 1/4 over <unk> a b </s>
    lm = lm_from(["a b", "a"], 2, tmp_path, vocab=("<unk>", "a", "b"))
    tok = {t: i for i, t in enumerate(TOKENS)}
    p_uni = {"a": 0.21875, "b": 0.21875, "</s>": 0.46875, "<unk>": 0.09375}
    p_after_a = {"b": 0.2 + 0.6 * 0.21875, "</s>": 0.2 + 0.6 * 0.46875, "a": 0.6 * 0.21875, "<unk>": 0.6 * 0.09375}
    for word, p in p_after_a.items():
        assert math.exp(lm.next_logprobs([tok["a"]])[tok.get(word, EOS_ID)]) == pytest.approx(p, rel=1e-6)
    assert math.exp(lm.next_logprobs([EOS_ID])[tok["a"]]) == pytest.approx(0.7 + 0.3 * 0.21875, rel=1e-6)
    assert math.exp(lm.next_logprobs([EOS_ID])[tok["b"]]) == pytest.approx(0.3 * p_uni["b"], rel=1e-6)
    assert math.exp(lm.logprobs(())[EOS_ID]) == pytest.approx(p_uni["</s>"], rel=1e-6)
    p_eos_after_b = 0.4 + 0.6 * p_uni["</s>"]
    assert lm.sentence_logprob([tok["a"], tok["b"]]) == pytest.approx(
        math.log(0.765625 * p_after_a["b"] * p_eos_after_b), rel=1e-6)


@pytest.mark.parametrize("order", [1, 3, 5])
def test_arpa_round_trip_is_normalised_over_vocabulary_and_eos(tmp_path, order):
    sentences = ["c a t", "a c t", "t a c k", "c a c a", "k a t a b", "b a t", "c a t"]
    model = train_kneser_ney([s.split() for s in sentences], TOKENS[1:-1], order)
    write_arpa(model, tmp_path / "lm.arpa")
    lm = TokenNgramLM(tmp_path / "lm.arpa", TOKENS)
    arpa = read_arpa(tmp_path / "lm.arpa")
    assert arpa.order == order
    for gram, logp in model.logprobs[-1].items():  # stored values survive the log10 text round trip
        assert arpa.logprobs[gram] == pytest.approx(logp, rel=1e-6, abs=1e-6)
    contexts = [[EOS_ID], [EOS_ID, 4], [4, 2, 6], [2, 2, 2, 2], [6, 5, 3, 1], [EOS_ID, 3, 3]]
    for history in contexts:
        probs = np.exp(lm.next_logprobs(history))
        assert probs[1:].sum() == pytest.approx(1.0, abs=1e-5), history
        assert probs[0] < 1e-90  # <blank> is never predicted
    assert (tmp_path / "lm.arpa").read_text().startswith("\n\\data\\\nngram 1=8\n")  # <s> </s> and 6 tokens


def test_train_lm_cli_writes_arpa_json_and_perplexity(tmp_path):
    train = make_feats_dir(tmp_path / "train", n_utts=20)
    dev = make_feats_dir(tmp_path / "dev", n_utts=6, seed=1)
    tok = make_tokenizer(tmp_path / "tok")
    res = CliRunner().invoke(app, ["train-lm", str(train), "--tokenizer", str(tok), "--order", "4",
                                   "--out", str(tmp_path / "lm"), "--valid", str(dev)])
    assert res.exit_code == 0, res.output
    info = json.loads((tmp_path / "lm" / "lm.json").read_text())
    assert info["order"] == 4 and info["training"]["sentences"] == 20 and info["training"]["unknown_tokens"] == 0
    assert info["method"] == "interpolated modified Kneser-Ney"
    # six words, seen in training: far below the perplexity of a uniform choice among the tokens
    assert 1.0 < info["valid"]["perplexity"] < 4.0
    from jsertk.text import Tokenizer

    tokenizer = Tokenizer(tok)
    lm = TokenNgramLM(tmp_path / "lm" / "lm.arpa", tokenizer.tokens)
    seen = lm.sentence_logprob(tokenizer.encode("red cat"))
    assert seen > lm.sentence_logprob(tokenizer.encode("rde cta")) + 5.0


def test_unknown_characters_are_counted_and_reported(tmp_path):
    train = make_feats_dir(tmp_path / "train", n_utts=4)
    utts = [line.split()[0] for line in (train / "text").read_text().splitlines()]
    (train / "text").write_text("".join(f"{u} red cät öne\n" for u in utts))
    tok = make_tokenizer(tmp_path / "tok")
    res = CliRunner().invoke(app, ["train-lm", str(train), "--tokenizer", str(tok), "--order", "3",
                                   "--out", str(tmp_path / "lm")])
    assert res.exit_code == 0, res.output
    unknown = json.loads((tmp_path / "lm" / "lm.json").read_text())["training"]["unknown_tokens"]
    assert unknown == 2 * len(utts) and "8 tokens missing from the vocabulary" in res.output


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("\\end\\\n", ""), r"lm.arpa:\d+: the file ends without \\end\\"),
    (lambda s: s.replace("ngram 2=", "ngram 2=1"), r"lm.arpa:\d+: the header announces 1\d+ 2-grams"),
    (lambda s: s.replace("\ta b", "\ta b c d e", 1), r"lm.arpa:\d+: a 2-gram line needs"),
    (lambda s: s.replace("\tc a", "\tc z", 1), r"lm.arpa:\d+: token 'z' is not in the vocabulary"),
    (lambda s: s.replace("\\data\\", "data"), r"lm.arpa:\d+: no \\data\\ line"),
])
def test_malformed_arpa_files_name_file_and_line(tmp_path, edit, message):
    lm_from(["c a t", "a b c a", "t a c"], 2, tmp_path)
    path = tmp_path / "lm.arpa"
    path.write_text(edit(path.read_text()))
    with pytest.raises(ArpaError, match=message):
        TokenNgramLM(path, TOKENS)
    # unseen token line: the unigram section must carry 'z' for the vocabulary check to fire
    text = path.read_text()
    if "token 'z'" in message:
        line = int(str(pytest.raises(ArpaError, TokenNgramLM, path, TOKENS).value).split(":")[1])
        assert "z" in text.splitlines()[line - 1].split()


def test_non_numeric_probability_is_an_error(tmp_path):
    lm_from(["c a t"], 2, tmp_path)
    path = tmp_path / "lm.arpa"
    lines = path.read_text().splitlines()
    k = next(i for i, line in enumerate(lines) if line.endswith("\tc a"))
    lines[k] = "minus-one\tc a"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ArpaError, match=f"lm.arpa:{k + 1}: not a number"):
        read_arpa(path)


class _FixedScorer:
    """An 'acoustic' full scorer: the scores of step i are row i of a table (the last row after that)."""

    def __init__(self, table):
        self.table = torch.tensor(table, dtype=torch.float32)

    def init_state(self, x):
        return None

    def select_state(self, state, i, new_id=None):
        return None

    def final_score(self, state):
        return 0.0

    def batch_init_state(self, x):
        return None

    def batch_score(self, ys, states, xs):
        row = self.table[min(ys.shape[1] - 1, len(self.table) - 1)]
        return row.expand(ys.shape[0], -1).clone(), [None] * ys.shape[0]

    def score(self, y, state, x):
        return self.table[min(len(y) - 1, len(self.table) - 1)].clone(), None


def _tie_table() -> list[list[float]]:
    """Step 0: 'k' just ahead of 'c'; then 'a', 't', end. The acoustics alone say "kat"."""
    low = -20.0
    rows = []
    for best in ({"k": -0.65, "c": -0.75}, {"a": -0.05}, {"t": -0.05}, {"<sos/eos>": -0.05}):
        row = [low] * len(TOKENS)
        for t, s in best.items():
            row[TOKENS.index(t)] = s
        rows.append(row)
    return rows


@pytest.mark.parametrize("batch", [True, False])
@pytest.mark.parametrize("with_lm, expected", [(False, "k a t"), (True, "c a t")])
def test_lm_flips_a_near_tie_in_espnet_beam_search(tmp_path, with_lm, expected, batch):
    from espnet.nets.batch_beam_search import BatchBeamSearch
    from espnet.nets.beam_search import BeamSearch
    from espnet.nets.scorer_interface import BatchScorerInterface

    from jsertk.lm.espnet_scorer import NgramScorer

    class Fixed(_FixedScorer, BatchScorerInterface):
        """The fixed table as a batch scorer, for BatchBeamSearch."""

    scorers = {"am": Fixed(_tie_table())}
    weights = {"am": 1.0}
    if with_lm:
        scorers["lm"] = NgramScorer(lm_from(["c a t", "c a t a", "t a c", "a c t"], 3, tmp_path))
        weights["lm"] = 0.5
    search = (BatchBeamSearch if batch else BeamSearch)(scorers=scorers, weights=weights, beam_size=3,
                                                        vocab_size=len(TOKENS), sos=EOS_ID, eos=EOS_ID,
                                                        token_list=TOKENS, pre_beam_score_key="full")
    best = search(x=torch.zeros(8, 2), maxlenratio=0.0)[0]
    assert " ".join(TOKENS[i] for i in best.yseq.tolist()[1:-1]) == expected


@pytest.mark.parametrize("weight, expected", [(0.0, "k a t"), (0.5, "c a t")])
def test_lm_flips_a_near_tie_in_ctc_prefix_beam_search(tmp_path, weight, expected):
    from jsertk.infer.ctc_prefix_beam import ctc_prefix_beam_search

    # one frame per token, CTC posteriors from the acoustic table (blank and <sos/eos> unlikely)
    lp = np.array([row[:-1] for row in _tie_table()[:3]]).clip(min=math.log(1e-4))
    lp = lp - np.logaddexp.reduce(lp, axis=1, keepdims=True)
    lm = lm_from(["c a t", "c a t a", "t a c", "a c t"], 3, tmp_path)
    nbest = ctc_prefix_beam_search(np.hstack([lp, np.full((3, 1), -30.0)]), beam=4, lm=lm, lm_weight=weight)
    assert " ".join(TOKENS[i] for i in nbest[0][0]) == expected
