"""Pseudo-labelling: the selection rules on hand-made scores, the summary's reference scores, and
`jsertk pseudolabel` end to end with a tiny trained jser model (output dir, --nj, resume, errors)."""
from __future__ import annotations

import json
import shutil

import pytest
from jser_helpers import make_ser_dir, write_jser_config
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data import validate
from jsertk.infer.pseudolabel import SelectOptions, select, summarize
from jsertk.infer.pseudolabel_score import PseudoLabelError, UttScores

pytestmark = pytest.mark.xdist_group("pseudolabel")  # the module fixture is built once, in one test worker

CLASSES = ["angry", "happy", "sad"]


def _s(utt, fused, acoustic=None, lexical=None, text="a b", text_conf=0.9):
    views = {"emotion": fused}
    if acoustic is not None:
        views["emotion_acoustic"] = acoustic
    if lexical is not None:
        views["emotion_lexical"] = lexical
    return UttScores(utt, views, text, text_conf)


A, H, S = [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]


def _p(k, conf):
    """Posteriors with `conf` on class k."""
    rest = (1 - conf) / 2
    return [conf if i == k else rest for i in range(3)]


def test_threshold_keeps_labels_at_or_above_it():
    scores = [_s("u1", _p(0, 0.5), A, A), _s("u2", _p(1, 0.7), H, H), _s("u3", _p(2, 0.9), S, S)]
    sel = select(scores, CLASSES, SelectOptions(threshold=0.7, agreement="any"))
    assert sel.emotion == {"u2": ("happy", 0.7), "u3": ("sad", 0.9)}
    assert sel.stages == {"scored": 3, "threshold": 2, "agreement": 2, "caps": 2}
    assert set(sel.all_emotion) == {"u1", "u2", "u3"}


def test_each_agreement_mode():
    scores = [_s("both", A, A, A), _s("acoustic", A, A, H), _s("lexical", A, S, A), _s("none", A, H, S)]
    kept = {mode: set(select(scores, CLASSES, SelectOptions(agreement=mode)).emotion)
            for mode in ("any", "fused-with-either", "all")}
    assert kept["any"] == {"both", "acoustic", "lexical", "none"}
    assert kept["fused-with-either"] == {"both", "acoustic", "lexical"}
    assert kept["all"] == {"both"}


def test_agreement_without_single_view_heads_names_the_missing_head():
    scores = [_s("u1", A), _s("u2", H)]
    assert set(select(scores, CLASSES, SelectOptions(agreement="any")).emotion) == {"u1", "u2"}
    for mode in ("fused-with-either", "all"):
        with pytest.raises(PseudoLabelError, match="emotion_acoustic"):
            select(scores, CLASSES, SelectOptions(agreement=mode))
    with pytest.raises(PseudoLabelError, match="--agreement"):
        select(scores, CLASSES, SelectOptions(agreement="most"))


def test_max_per_class_keeps_the_most_confident():
    scores = [_s(f"a{i}", _p(0, c)) for i, c in enumerate((0.5, 0.9, 0.7, 0.6))] + [_s("h0", _p(1, 0.4))]
    sel = select(scores, CLASSES, SelectOptions(agreement="any", max_per_class=2))
    assert set(sel.emotion) == {"a1", "a2", "h0"}
    assert sel.cap == 2


def test_balance_caps_at_the_rarest_class_that_kept_any():
    scores = ([_s(f"a{i}", _p(0, 0.4 + 0.1 * i)) for i in range(4)]
              + [_s(f"h{i}", _p(1, 0.5 + 0.1 * i)) for i in range(2)])
    sel = select(scores, CLASSES, SelectOptions(agreement="any", balance=True))  # sad kept none: not the rarest
    assert set(sel.emotion) == {"a3", "a2", "h0", "h1"}
    sel = select(scores, CLASSES, SelectOptions(agreement="any", balance=True, max_per_class=1))
    assert set(sel.emotion) == {"a3", "h1"}
    # balance applies after the threshold: only a2, a3 and h1 pass 0.6
    sel = select(scores, CLASSES, SelectOptions(threshold=0.6, agreement="any", balance=True))
    assert set(sel.emotion) == {"a3", "h1"}


def test_transcripts_are_selected_independently_and_never_empty():
    scores = [_s("u1", _p(0, 0.3), text="one two", text_conf=0.8), _s("u2", _p(1, 0.9), text="", text_conf=0.0),
              _s("u3", _p(2, 0.9), text="red", text_conf=0.4)]
    sel = select(scores, CLASSES, SelectOptions(threshold=0.5, agreement="any", text_threshold=0.5))
    assert sel.text == {"u1": ("one two", 0.8)}
    assert set(sel.emotion) == {"u2", "u3"}
    assert set(select(scores, CLASSES, SelectOptions(agreement="any")).text) == {"u1", "u3"}


def test_summary_scores_against_the_reference(tmp_path):
    ref = tmp_path / ".ref"
    ref.mkdir()
    (ref / "utt2emo").write_text("u1 angry\nu2 happy\nu3 angry\nu4 sad\n")
    (ref / "text").write_text("u1 one two\nu2 red blue cat\nu3 dog\nu4 cat\n")
    scores = [_s("u1", _p(0, 0.9), text="one two", text_conf=0.9),  # right, kept
              _s("u2", _p(1, 0.8), text="red cat", text_conf=0.9),  # right, kept; one deletion
              _s("u3", _p(1, 0.7), text="dog", text_conf=0.2),  # wrong (happy), kept; transcript dropped
              _s("u4", _p(1, 0.4), text="hat", text_conf=0.9)]  # wrong, dropped by the threshold
    opts = SelectOptions(threshold=0.5, agreement="any", text_threshold=0.5)
    sel = select(scores, CLASSES, opts)
    summary = summarize(sel, CLASSES, opts, [], ref)
    kept, every = summary["reference_emotion"]["kept"], summary["reference_emotion"]["all"]
    assert (kept["labels"], kept["correct"], kept["accuracy"]) == (3, 2, round(2 / 3, 4))
    assert (every["labels"], every["correct"], every["accuracy"]) == (4, 2, 0.5)
    assert kept["per_class"]["happy"] == {"labels": 2, "correct": 1, "accuracy": 0.5}
    assert kept["per_class"]["angry"] == {"labels": 1, "correct": 1, "accuracy": 1.0}
    assert kept["per_class"]["sad"]["accuracy"] is None
    text = summary["reference_text"]
    assert text["kept"]["utterances"] == 3 and text["kept"]["wer"] == round(2 / 6, 4)  # u1, u2, u4: 1 del + 1 sub
    assert text["all"]["wer"] == round(2 / 7, 4)
    assert summary["counts"]["kept_emotion_per_class"] == {"angry": 1, "happy": 2, "sad": 0}
    assert summary["mean_confidence"]["emotion_per_class"]["happy"] == 0.75


# End to end with a tiny trained model ------------------------------------------------------------

@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    """exp/jser (trained 1 epoch), dump/fbank/unlab (features only) and data/unlab (utterance files,
    true labels hidden in .ref/)."""
    from asr_helpers import make_tokenizer

    from jsertk.train import run_training

    root = tmp_path_factory.mktemp("pl")
    train = make_ser_dir(root / "train")
    tok = make_tokenizer(root / "tok")
    # enough epochs for the CTC 1-best to spell words (after one, it is all blank)
    cfg = write_jser_config(root / "c.yaml", tok, None, train={"max_epochs": 6, "keep_nbest": 1}, optim={"lr": 0.006})
    run_training(cfg, [train], [train], root / "exp" / "jser", overrides=["train.best_metric=train/loss",
                                                                          "train.best_mode=min"])
    src = make_ser_dir(root / "src", n_utts=10, seed=3, speakers=("spkC", "spkD"))
    feats = root / "dump" / "fbank" / "unlab"
    feats.mkdir(parents=True)
    for name in ("feats.scp", "utt2num_frames"):
        shutil.copy(src / name, feats / name)
    shutil.copy(src / "feats.ark", feats / "feats.ark")
    (feats / "feats.scp").write_text((feats / "feats.scp").read_text().replace(str(src), str(feats)))
    data = root / "data" / "unlab"
    (data / ".ref").mkdir(parents=True)
    for name in ("utt2spk", "spk2utt", "spk2gender"):
        shutil.copy(src / name, data / name)
    for name in ("utt2emo", "text"):
        shutil.copy(src / name, data / ".ref" / name)
    (data / "wav.scp").write_text("".join(f"{u} /corpus/{u}.wav\n" for u in sorted(_table(src / "utt2spk"))))
    return root


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _pl(exp, out, *extra):
    return _run("pseudolabel", "--model", exp / "exp" / "jser", "--data", exp / "dump" / "fbank" / "unlab",
                "--out", out, "--agreement", "any", "--max-frames-per-batch", 1, *extra)


def _table(path):
    return dict(line.split(" ", 1) if " " in line else (line, "") for line in path.read_text().splitlines())


@pytest.mark.slow
def test_writes_a_valid_training_dir_with_the_summary(exp, monkeypatch):
    monkeypatch.chdir(exp)  # --labels-from defaults to data/<name of --data> (the dump dir has no utt2spk)
    out = exp / "data" / "unlab_pl"
    res = _pl(exp, out)
    assert res.exit_code == 0, res.output
    assert validate(out, check_audio=False) == []
    assert not (out / ".ref").exists()
    for name in ("utt2spk", "spk2utt", "spk2gender", "feats.scp", "utt2num_frames", "utt2emo", "utt2emo_conf",
                 "text", "utt2text_conf", "pseudolabel.json"):
        assert (out / name).is_file(), name
    feats = _table(exp / "dump" / "fbank" / "unlab" / "feats.scp")
    written = _table(out / "feats.scp")
    assert written == {u: feats[u] for u in written}
    assert set(written) == set(_table(out / "utt2emo")) | set(_table(out / "text"))
    classes = (exp / "exp" / "jser" / "classes.txt").read_text().split()
    conf = _table(out / "utt2emo_conf")
    assert all(v in classes for v in _table(out / "utt2emo").values())
    assert all(len(c.split(".")[1]) == 4 and 0 <= float(c) <= 1 for c in conf.values())
    summary = json.loads((out / "pseudolabel.json").read_text())
    assert summary["counts"]["scored"] == 10
    assert summary["counts"]["kept_emotion"] == len(conf)  # threshold 0, agreement any: every label kept
    assert sum(summary["counts"]["kept_emotion_per_class"].values()) == len(conf)
    ref = _table(exp / "data" / "unlab" / ".ref" / "utt2emo")
    hyp = _table(out / "utt2emo")
    right = sum(hyp[u] == ref[u] for u in hyp)
    assert summary["reference_emotion"]["kept"]["correct"] == right
    assert summary["reference_emotion"]["kept"]["accuracy"] == round(right / len(hyp), 4)
    assert summary["reference_text"]["all"]["wer"] is not None
    assert "accuracy (kept)" in res.output


@pytest.mark.slow
def test_nj2_matches_nj1_and_a_rerun_reuses_finished_parts(exp):
    labels = ["--labels-from", exp / "data" / "unlab"]
    one, two = exp / "pl_nj1", exp / "pl_nj2"
    assert _pl(exp, one, *labels, "--threshold", 0.4).exit_code == 0
    res = _pl(exp, two, *labels, "--threshold", 0.4, "--nj", 2)
    assert res.exit_code == 0, res.output
    for name in sorted(p.name for p in one.iterdir()):
        if name not in ("pseudolabel.json", "provenance.json"):
            assert (one / name).read_text() == (two / name).read_text(), name
    s1, s2 = (json.loads((d / "pseudolabel.json").read_text()) for d in (one, two))
    assert {k: v for k, v in s1.items() if k != "nj"} == {k: v for k, v in s2.items() if k != "nj"}
    work = exp / "pl_nj2.work"
    assert (work / "log" / "score.1.log").is_file() and (work / "log" / "score.2.log").is_file()
    parts = [work / "scores.1.jsonl", work / "scores.2.jsonl"]
    stamps = [p.stat().st_mtime_ns for p in parts]
    parts[1].unlink()
    res = _pl(exp, two, *labels, "--nj", 2)  # other selection options: the scores are reused
    assert res.exit_code == 0, res.output
    assert "reusing 1 of 2" in res.output
    assert parts[0].stat().st_mtime_ns == stamps[0] and parts[1].is_file()


@pytest.mark.slow
def test_empty_selection_fails_and_keeps_the_old_output(exp):
    out = exp / "pl_keep"
    assert _pl(exp, out, "--labels-from", exp / "data" / "unlab").exit_code == 0
    before = {p.name: p.read_text() for p in out.iterdir()}
    res = _pl(exp, out, "--labels-from", exp / "data" / "unlab", "--threshold", 1.0, "--text-threshold", 1.0)
    assert res.exit_code != 0
    assert "keeps no utterance" in str(res.exception)
    assert {p.name: p.read_text() for p in out.iterdir()} == before
    res = _pl(exp, exp / "pl_none", "--labels-from", exp / "data" / "unlab", "--threshold", 1.0,
              "--text-threshold", 1.0)
    assert res.exit_code != 0 and not (exp / "pl_none").exists()


@pytest.mark.slow
def test_missing_features_or_class_list_is_a_clear_error(exp, tmp_path):
    res = _run("pseudolabel", "--model", exp / "exp" / "jser", "--data", exp / "data" / "unlab", "--out",
               tmp_path / "o")
    assert res.exit_code != 0 and "no features yet" in str(res.exception)
    assert "feats.scp" in str(res.exception)
    model = tmp_path / "model"
    shutil.copytree(exp / "exp" / "jser", model)
    (model / "classes.txt").unlink()
    res = _run("pseudolabel", "--model", model, "--data", exp / "dump" / "fbank" / "unlab", "--labels-from",
               exp / "data" / "unlab", "--out", tmp_path / "o")
    assert res.exit_code != 0 and "classes.txt" in str(res.exception)
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_model_without_single_view_heads_supports_only_agreement_any(exp, tmp_path):
    from asr_helpers import make_tokenizer

    from jsertk.train import run_training

    train = make_ser_dir(tmp_path / "train")
    cfg = write_jser_config(tmp_path / "c.yaml", make_tokenizer(tmp_path / "tok"), None,
                            heads={"emotion_acoustic": 0, "emotion_lexical": 0})
    run_training(cfg, [train], [train], tmp_path / "fused_only")
    args = ["pseudolabel", "--model", tmp_path / "fused_only", "--data", exp / "dump" / "fbank" / "unlab",
            "--labels-from", exp / "data" / "unlab", "--out", tmp_path / "o"]
    for mode in ("fused-with-either", "all"):
        res = _run(*args, "--agreement", mode)
        assert res.exit_code != 0 and "'emotion_acoustic' / 'emotion_lexical' head" in str(res.exception)
        assert not (tmp_path / "o").exists()
    res = _run(*args, "--agreement", "any")
    assert res.exit_code == 0, res.output
    assert len(_table(tmp_path / "o" / "utt2emo")) == 10  # every scored utterance, no selection asked
    assert validate(tmp_path / "o", check_audio=False) == []


@pytest.mark.slow
def test_nj4_with_a_job_killed_resumes_to_the_one_job_output(exp):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    labels = ["--labels-from", exp / "data" / "unlab"]
    one, four = exp / "pl_kill_nj1", exp / "pl_kill_nj4"
    assert _pl(exp, one, *labels, "--threshold", 0.4).exit_code == 0
    cmd = [sys.executable, "-m", "jsertk.cli.main", "pseudolabel", "--model", exp / "exp" / "jser", "--data",
           exp / "dump" / "fbank" / "unlab", "--out", four, "--agreement", "any", "--max-frames-per-batch", 1,
           *labels, "--threshold", 0.4, "--nj", 4]
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    target, victim, deadline = "scores.3.jsonl", None, time.time() + 120
    while victim is None and proc.poll() is None and time.time() < deadline:
        for p in Path("/proc").iterdir():
            try:
                args = (p / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"pseudolabel-score" in args and any(a.endswith(target.encode()) for a in args):
                victim = int(p.name)
                break
        time.sleep(0.01)
    assert victim is not None, "job 3 was not seen running"
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "score.3.log" in err, err
    assert not (four / "utt2emo").exists()
    res = _pl(exp, four, *labels, "--threshold", 0.4, "--nj", 4)
    assert res.exit_code == 0, res.output
    assert "reusing 3 of 4" in res.output
    for name in sorted(p.name for p in one.iterdir()):
        if name not in ("pseudolabel.json", "provenance.json"):
            assert (one / name).read_text() == (four / name).read_text(), name
