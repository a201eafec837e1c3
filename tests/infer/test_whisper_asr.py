"""`jsertk decode-asr --whisper DIR`: the real Whisper tiny.en transcribes synthetic-corpus test
speech (skipped when ../shared/models/whisper-tiny.en is absent); text normalisation; bad input."""
from __future__ import annotations

import json

import pytest
from helpers import make_data_dir
from typer.testing import CliRunner
from upstream_helpers import WHISPER_TINY, make_upstream

from jsertk.cli.main import app
from jsertk.infer.whisper_asr import normalize_text

pytest.importorskip("transformers")


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_normalize_text_for_scoring():
    assert normalize_text("  Hello, World! It's 'quoted' -- ok.") == "hello world it's quoted ok"


def test_whisper_decoding_needs_audio_and_a_whisper(tmp_path):
    data = make_data_dir(tmp_path / "data", speakers=("spkA",), utts_per_spk=1)
    res = _run("decode-asr", tmp_path / "data" / "nowhere", "--whisper", tmp_path, "--outdir", tmp_path / "o")
    assert res.exit_code != 0 and "no wav.scp" in str(res.exception)
    wavlm = make_upstream(tmp_path / "wavlm", "wavlm")
    res = _run("decode-asr", data, "--whisper", wavlm, "--outdir", tmp_path / "o")
    assert res.exit_code != 0 and "is a wavlm model; transcribing needs a Whisper" in str(res.exception)
    res = _run("decode-asr", data, "--whisper", wavlm, "--method", "joint", "--outdir", tmp_path / "o")
    assert res.exit_code != 0 and "greedy or beam" in str(res.exception)


@pytest.mark.slow
@pytest.mark.skipif(not WHISPER_TINY.is_dir(), reason=f"the real Whisper tiny.en is not at {WHISPER_TINY}")
def test_real_whisper_transcribes_synthetic_test_speech(tmp_path):
    from jsertk.data.synth import make_options
    from jsertk.data.synth.corpus import generate

    counts = {"train_labeled": 2, "train_unlabeled": 1, "asr_train": 1, "dev": 1, "test": 8}
    generate(tmp_path / "synth", make_options("tiny", seed=7, counts=counts), nj=1, log=lambda _: None)
    test = tmp_path / "synth" / "data" / "test"
    res = _run("decode-asr", test, "--whisper", WHISPER_TINY, "--outdir", tmp_path / "dec")
    assert res.exit_code == 0, res.output
    hyps = (tmp_path / "dec" / "hyp.text").read_text().splitlines()
    assert len(hyps) == 8 and all(h.partition(" ")[2] == normalize_text(h.partition(" ")[2]) for h in hyps)
    assert json.loads((tmp_path / "dec" / "decode.json").read_text())["method"] == "greedy"
    res = _run("score-wer", test, tmp_path / "dec" / "hyp.text")
    assert res.exit_code == 0, res.output
    wer = json.loads((tmp_path / "dec" / "scores.json").read_text())
    # measured: 56.8% WER on 16 utterances of this corpus (espeak-ng voices, unlike Whisper's training speech)
    assert wer["wer"] < 0.75, wer
