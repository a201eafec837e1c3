"""WER/CER scoring: counts, missing hypotheses, alignments, written reports, CLI."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.metrics.wer import edit_distance, score, write_report


def test_counts_match_a_hand_alignment():
    r = score({"u1": "a b c", "u2": "d e"}, {"u1": "a x c", "u2": "d e f"})
    assert (r.words.sub, r.words.dele, r.words.ins, r.words.ref_len) == (1, 0, 1, 5)
    assert r.words.rate == pytest.approx(2 / 5)
    # characters incl. spaces: "a b c" vs "a x c" = 1 sub; "d e" vs "d e f" = 2 insertions (" f")
    assert (r.chars.sub, r.chars.ins, r.chars.ref_len) == (1, 2, 8)
    assert r.sentence_error_rate == 1.0


def test_missing_hypothesis_counts_as_deletions_and_extra_ones_are_ignored():
    r = score({"u1": "a b", "u2": "c"}, {"u1": "a b", "zz": "x y"})
    assert r.missing_hypotheses == ["u2"] and r.extra_hypotheses == 1
    assert (r.words.dele, r.words.ref_len) == (1, 3)


def test_normaliser_applies_to_both_sides():
    r = score({"u": "Hello, World"}, {"u": "hello world"}, normalize=lambda s: s.lower().replace(",", ""))
    assert r.words.errors == 0


def test_report_files(tmp_path):
    r = score({"u1": "the cat sat", "u2": "on mat"}, {"u1": "the bat sat down", "u2": "on"})
    write_report(r, tmp_path, "test")
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["wer"] == pytest.approx(3 / 5) and scores["words"]["ins"] == 1 and scores["num_utts"] == 2
    result = (tmp_path / "result.txt").read_text()
    assert "| test | 2 | 5 | 60.00 |" in result
    assert "REF:  the cat sat ****\nHYP:  the bat sat down\nEVAL:     S       I" in result
    assert "REF:  on mat\nHYP:  on ***\nEVAL:    D" in result
    assert (tmp_path / "utt_scores.tsv").read_text().splitlines()[0].startswith("utt\t")


def test_edit_distance_on_token_lists():
    assert edit_distance([1, 2, 3], [1, 3]) == 1 and edit_distance("kitten", "sitting") == 3


def test_cli(tmp_path, data_dir):
    hyp = tmp_path / "dec" / "hyp.text"
    hyp.parent.mkdir()
    lines = (data_dir / "text").read_text().splitlines()
    hyp.write_text("\n".join(lines[:-1]).replace("hello", "yellow", 1) + "\n")
    res = CliRunner().invoke(app, ["score-wer", str(data_dir), str(hyp.parent), "--name", "dev"])
    assert res.exit_code == 0, res.output
    scores = json.loads((hyp.parent / "scores.json").read_text())
    assert scores["words"]["sub"] == 1 and scores["missing_hypotheses"] == 1
    assert "| dev |" in res.output
