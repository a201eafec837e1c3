"""Tokenizer: id layout, round trips for every model type, <unk> counting, normalisation, errors."""
from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.text import (
    BLANK_ID,
    UNK_ID,
    TextNormalizer,
    Tokenizer,
    TokenizerError,
    UnknownCounter,
    train_tokenizer,
)

TEXTS = ["the quick brown fox", "jumps over the lazy dog", "hello world number one", "a dog and a fox"] * 3


@pytest.mark.parametrize("model_type,vocab", [("bpe", 60), ("unigram", 40), ("char", 0)])
def test_ids_layout_and_round_trip(tmp_path, model_type, vocab):
    tok = train_tokenizer(TEXTS, tmp_path / "tok", model_type=model_type, vocab_size=vocab)
    lines = (tmp_path / "tok" / "tokens.txt").read_text().splitlines()
    assert lines[0] == "<blank>" and lines[1] == "<unk>" and lines[-1] == "<sos/eos>"
    assert tok.vocab_size == len(lines) and tok.sos_eos_id == len(lines) - 1
    meta = yaml.safe_load((tmp_path / "tok" / "tokenizer.yaml").read_text())
    assert meta["ids"] == {"<blank>": 0, "<unk>": 1, "<sos/eos>": len(lines) - 1}
    ids = tok.encode("The quick, brown FOX!")
    assert BLANK_ID not in ids and UNK_ID not in ids and tok.sos_eos_id not in ids
    assert tok.decode(ids) == "the quick brown fox"
    assert tok.decode([BLANK_ID, *ids, tok.sos_eos_id]) == "the quick brown fox"
    # a reloaded tokenizer gives the same ids
    assert Tokenizer(tmp_path / "tok").encode("lazy dog") == tok.encode("lazy dog")


def test_char_tokens_are_characters(tmp_path):
    tok = train_tokenizer(TEXTS, tmp_path / "tok", model_type="char")
    pieces = [tok.tokens[i] for i in tok.encode("dog")]
    assert pieces == ["▁", "d", "o", "g"] or pieces == ["▁d", "o", "g"]


def test_unknown_characters_map_to_unk_and_are_counted(tmp_path):
    tok = train_tokenizer(TEXTS, tmp_path / "tok", model_type="char")
    counter = UnknownCounter()
    ids = tok.encode("dog 77", counter, "utt1")  # the training text has no digits
    tok.encode("fox", counter, "utt2")
    assert ids.count(UNK_ID) == counter.tokens >= 1
    assert tok.decode(ids).startswith("dog ")
    assert counter.utterances == ["utt1"]
    assert "mapped to <unk> in 1 utterances (utt1)" in counter.summary("text")


def test_normalizer_keeps_inner_apostrophes():
    norm = TextNormalizer()
    assert norm("  Don't   STOP -- now!\t") == "don't stop now"
    assert norm("'quoted'") == "quoted"
    assert TextNormalizer(lowercase=False, remove_punct=False)("A, b") == "A, b"


def test_normalisation_options_are_stored_and_applied(tmp_path):
    tok = train_tokenizer(["Hello, World", "HELLO there"], tmp_path / "tok", model_type="char",
                          normalizer=TextNormalizer(lowercase=False))
    assert tok.normalize.lowercase is False
    assert "H" in tok.tokens and "h" in tok.tokens


def test_vocab_smaller_than_alphabet_is_a_clear_error(tmp_path):
    with pytest.raises(TokenizerError, match="--vocab-size 2[0-9] or more"):
        train_tokenizer(TEXTS, tmp_path / "tok", model_type="bpe", vocab_size=10)
    assert not (tmp_path / "tok").exists()


def test_tokens_txt_not_matching_the_model_is_reported(tmp_path):
    train_tokenizer(TEXTS, tmp_path / "tok", model_type="char")
    (tmp_path / "tok" / "tokens.txt").write_text("<blank>\n<unk>\nx\n")
    with pytest.raises(TokenizerError, match="does not match"):
        Tokenizer(tmp_path / "tok")


def test_cli_trains_from_data_dirs(tmp_path, data_dir):
    out = tmp_path / "bpe30"
    res = CliRunner().invoke(app, ["train-tokenizer", str(data_dir), "--outdir", str(out), "--vocab-size", "30"])
    assert res.exit_code == 0, res.output
    assert "<blank>=0, <unk>=1" in res.output
    tok = Tokenizer(out)
    assert tok.decode(tok.encode("hello world number 2")) == "hello world number 2"
