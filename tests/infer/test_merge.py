"""Parallel decoding: batch-aligned splits of a feature dir, and the merge of the parts' decode dirs
into what one job writes (jsertk.infer.merge, `jsertk merge-decode`)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from asr_helpers import make_feats_dir

from jsertk.dataset.feats import FeatsDataset
from jsertk.dataset.sampler import BucketBatchSampler
from jsertk.infer.merge import MergeError, merge_decode_dirs, plan_parts, score_merged, split_for_decoding
from jsertk.infer.ser import SerResult, write_ser_outputs
from jsertk.utils.errors import InputError

CLASSES = ["angry", "happy", "neutral"]


def _batches(data: Path, max_frames: int) -> list[list[str]]:
    ds = FeatsDataset([data], {}, label_root=None)
    return [[ds.utts[i] for i in b] for b in BucketBatchSampler(ds.lengths, max_frames, shuffle=False).all_batches(0)]


@pytest.mark.parametrize("nj", [2, 3, 5])
def test_every_part_forms_the_batches_one_job_forms(tmp_path, nj):
    data = make_feats_dir(tmp_path / "feats", n_utts=12)
    whole = _batches(data, 200)
    assert len(whole) >= 5  # several batches to cut
    parts = split_for_decoding(data, tmp_path / "split", nj, 200)
    assert parts == [tmp_path / "split" / str(k) for k in range(1, nj + 1)]
    source = (data / "feats.scp").read_text().splitlines()
    seen = []
    for part in parts:
        lines = (part / "feats.scp").read_text().splitlines()
        assert lines == [line for line in source if line in set(lines)]  # DATA's lines, in DATA's order
        mine = _batches(part, 200)
        assert all(batch in whole for batch in mine)
        seen += mine
    assert sorted(seen) == sorted(whole)  # every batch once
    stamp = json.loads((tmp_path / "split" / "split.json").read_text())
    assert stamp["nj"] == nj and sum(stamp["utterances"]) == 12


def test_fewer_parts_than_jobs_when_there_are_few_batches(tmp_path):
    data = make_feats_dir(tmp_path / "feats", n_utts=6)
    assert len(plan_parts(data, 50, 200)) == len(_batches(data, 200))
    (tmp_path / "split").mkdir()
    assert split_for_decoding(data, tmp_path / "split", 4, 100000) == [data]  # one batch: the dir itself
    assert not (tmp_path / "split").exists()
    with pytest.raises(InputError, match="feats.scp"):
        split_for_decoding(tmp_path / "nothing", tmp_path / "split", 2)


# --- merging -----------------------------------------------------------------------------------

def _results(utts: list[str], seed: int = 0) -> list[SerResult]:
    rng = np.random.default_rng(seed)
    out = []
    for utt in utts:
        post = rng.dirichlet(np.ones(len(CLASSES))).astype(np.float32)
        views = {"emotion_acoustic": rng.dirichlet(np.ones(3)), "emotion_lexical": rng.dirichlet(np.ones(3))}
        out.append(SerResult(utt, CLASSES[int(post.argmax())], post, views, tuple(rng.normal(size=3)),
                             "" if utt.endswith("3") else f"words of {utt}", 0.5))
    return out


def _info(n: int, too_short: int = 0, **over) -> dict:
    info = {"model_dir": "exp/jser", "checkpoint": "model.pth", "data": "dump/test", "utterances": n,
            "too_short": too_short, "audio_seconds": 2.5 * n, "decode_seconds": 0.25 * n, "rtf": 0.1, "threads": 2}
    return {**info, **over}


UTTS = [f"spk{s}-u{i}" for s in "BA" for i in range(4)]  # not in C order: the merge sorts


def _jser_decode(tmp_path: Path, groups: list[list[int]]) -> tuple[Path, list[Path]]:
    results = _results(UTTS)
    whole = tmp_path / "whole"
    ordered = sorted(results, key=lambda r: r.utt.encode())
    write_ser_outputs(ordered, CLASSES, whole, _info(len(results)))
    parts = []
    for k, idx in enumerate(groups, 1):
        part = tmp_path / "split" / str(k)
        write_ser_outputs(sorted([results[i] for i in idx], key=lambda r: r.utt.encode()), CLASSES, part,
                          _info(len(idx), data=f"split/{k}"))
        parts.append(part)
    return whole, parts


def test_merged_jser_parts_are_one_jobs_outputs(tmp_path):
    whole, parts = _jser_decode(tmp_path, [[0, 5, 2], [1, 3, 4, 6, 7]])
    out = tmp_path / "merged"
    summary = merge_decode_dirs(out, parts)
    for name in ("hyp.emo", "hyp_acoustic.emo", "hyp_lexical.emo", "hyp.dim", "hyp.text", "classes.txt"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    scp = [line.split() for line in (out / "emo_post.scp").read_text().splitlines()]
    assert [u for u, _ in scp] == sorted(UTTS, key=str.encode)
    assert all("/split/" in loc for _, loc in scp)
    import kaldiio

    one = dict(kaldiio.load_scp(str(whole / "emo_post.scp")))
    for utt, post in kaldiio.load_scp_sequential(str(out / "emo_post.scp")):
        assert np.array_equal(post, one[utt])
    info = json.loads((out / "decode.json").read_text())
    assert info == summary and info["utterances"] == 8 and info["audio_seconds"] == 20.0
    assert info["decode_seconds"] == 2.0 and info["rtf"] == 0.1 and info["parts"] == [str(p) for p in parts]


def test_merged_asr_parts_are_sorted_and_summed(tmp_path):
    parts = []
    for k, utts in enumerate((["b-2", "b-1"], ["a-1"]), 1):
        part = tmp_path / str(k)
        part.mkdir()
        (part / "hyp.text").write_text("".join(f"{u} text of {u}\n" if u != "a-1" else f"{u}\n" for u in sorted(utts)))
        (part / "hyp.score").write_text("".join(f"{u} -1.5000\n" for u in sorted(utts)))
        (part / "decode.json").write_text(json.dumps(_info(len(utts), too_short=int(k == 2), method="joint", lm=None)))
        parts.append(part)
    feats = tmp_path / "feats"
    feats.mkdir()
    (feats / "feats.scp").write_text("a-1 x.ark:1\nb-1 x.ark:2\nb-2 x.ark:3\n")
    summary = merge_decode_dirs(tmp_path / "out", parts, data=feats)
    assert (tmp_path / "out" / "hyp.text").read_text() == "a-1\nb-1 text of b-1\nb-2 text of b-2\n"
    assert (tmp_path / "out" / "hyp.score").read_text().count("\n") == 3
    assert summary["utterances"] == 3 and summary["too_short"] == 1 and summary["data"] == str(feats)
    assert summary["method"] == "joint"


def _assert_nothing_written(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("damage, message", [
    (lambda parts: parts.append(parts[0].parent / "9"), r"split/9: decode part not found"),
    (lambda parts: (parts[1] / "hyp.emo").unlink(), r"split/2/hyp.emo: not found"),
    (lambda parts: (parts[0] / "decode.json").unlink(), r"split/1/decode.json: not found"),
    (lambda parts: (parts[1] / "decode.json").write_text(json.dumps(_info(5, checkpoint="epoch3.pth"))),
     r"split/2/decode.json: checkpoint is 'epoch3.pth', but .*split/1/decode.json has 'model.pth'"),
    (lambda parts: (parts[1] / "decode.json").write_text(json.dumps(_info(5, model_dir="exp/other"))),
     r"split/2/decode.json: model_dir is 'exp/other'"),
    (lambda parts: (parts[1] / "classes.txt").write_text("a\nb\nc\n"), r"split/2/classes.txt differs"),
    (lambda parts: (parts[1] / "emo_post.ark").unlink(), r"split/2/emo_post.scp points into .*emo_post.ark"),
])
def test_broken_parts_are_clear_errors_and_write_nothing(tmp_path, damage, message):
    _, parts = _jser_decode(tmp_path, [[0, 5, 2], [1, 3, 4, 6, 7]])
    damage(parts)
    with pytest.raises(MergeError, match=message):
        merge_decode_dirs(tmp_path / "merged", parts)
    _assert_nothing_written(tmp_path / "merged")


def test_an_utterance_in_two_parts_is_an_error(tmp_path):
    _, parts = _jser_decode(tmp_path, [[0, 5, 2], [2, 3, 4, 6, 7, 1]])
    with pytest.raises(MergeError, match=r"utterance 'spkB-u2' is in two parts: .*split/1/.* and .*split/2/"):
        merge_decode_dirs(tmp_path / "merged", parts)
    _assert_nothing_written(tmp_path / "merged")


def test_a_part_with_different_utterances_in_its_files_is_an_error(tmp_path):
    _, parts = _jser_decode(tmp_path, [[0, 5, 2], [1, 3, 4, 6, 7]])
    text = (parts[1] / "hyp.dim").read_text().splitlines(keepends=True)
    (parts[1] / "hyp.dim").write_text("".join(text[1:]))
    with pytest.raises(MergeError, match=r"split/2/hyp.dim: its utterances differ from those of .*split/2/hyp.emo"):
        merge_decode_dirs(tmp_path / "merged", parts)


def test_utterances_of_the_feature_dir_in_no_part_are_an_error(tmp_path):
    _, parts = _jser_decode(tmp_path, [[0, 5, 2], [1, 3, 4, 6, 7]])
    feats = tmp_path / "feats"
    feats.mkdir()
    (feats / "feats.scp").write_text("".join(f"{u} x.ark:1\n" for u in sorted(UTTS + ["spkC-u0"])))
    with pytest.raises(MergeError, match=r"1 utterances of .*feats.scp are in no part \(e.g. 'spkC-u0'\)"):
        merge_decode_dirs(tmp_path / "merged", parts, data=feats)
    _assert_nothing_written(tmp_path / "merged")


def test_merge_decode_cli_fails_naming_the_file_and_scores_like_one_job(tmp_path):
    whole, parts = _jser_decode(tmp_path, [[0, 5, 2], [1, 3, 4, 6, 7]])
    ref = tmp_path / "ref"
    ref.mkdir()
    rng = np.random.default_rng(1)
    (ref / "utt2emo").write_text("".join(f"{u} {CLASSES[rng.integers(3)]}\n" for u in sorted(UTTS, key=str.encode)))
    (ref / "text").write_text("".join(f"{u} words of {u}\n" for u in sorted(UTTS, key=str.encode)))
    cmd = [sys.executable, "-m", "jsertk.cli.main", "merge-decode"]
    bad = subprocess.run(cmd + [str(tmp_path / "merged"), str(parts[0]), str(tmp_path / "missing")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and f"error: {tmp_path / 'missing'}: decode part not found" in bad.stderr
    good = subprocess.run(cmd + [str(tmp_path / "merged"), *map(str, parts), "--ref", str(ref)],
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "8 utterances from 2 parts" in good.stdout and "UA " in good.stdout and "WER " in good.stdout
    score_merged(whole, ref)  # what `jsertk decode --ref` computes in one job
    for name in ("scores.json", "summary.json", "acoustic/scores.json", "lexical/scores.json", "wer/scores.json"):
        assert (tmp_path / "merged" / name).read_bytes() == (whole / name).read_bytes(), name
