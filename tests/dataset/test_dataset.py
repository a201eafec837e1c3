"""Dataset over feature dirs: label lookup, partial labels, length filtering, collate, bad input."""
from __future__ import annotations

import shutil

import pytest
import torch
from asr_helpers import make_feats_dir

from jsertk.data.problems import DataDirError
from jsertk.dataset.feats import FeatsDataset, collate


def _emotion(utt: str, value: str) -> int:
    classes = {"happy": 0, "sad": 1}
    if value not in classes:
        raise ValueError(f"unknown emotion '{value}'")
    return classes[value]


def _parsers():
    return {"text": lambda utt, v: [len(w) for w in v.split()], "utt2emo": _emotion}


def test_labels_partial_and_from_the_label_root(tmp_path):
    feats = make_feats_dir(tmp_path / "dump" / "train", n_utts=6)
    labels = tmp_path / "data" / "train"
    labels.mkdir(parents=True)
    shutil.move(feats / "text", labels / "text")  # not beside the features: found under label_root
    utts = sorted(ln.split()[0] for ln in (feats / "feats.scp").read_text().splitlines())
    (labels / "utt2emo").write_text(f"{utts[0]} happy\n{utts[3]} sad\n")
    ds = FeatsDataset([feats], _parsers(), label_root=tmp_path / "data")
    assert len(ds) == 6 and ds.input_dim == 20
    assert all(v is not None for v in ds.labels["text"])
    assert sum(v is not None for v in ds.labels["utt2emo"]) == 2
    assert "4 without utt2emo" in ds.describe()
    batch = collate([ds[i] for i in range(4)], ["text", "utt2emo"])
    assert batch["feats"].shape[0] == 4 and batch["feats"].shape[1] == int(batch["feat_lens"].max())
    labelled = {utts[0]: 0, utts[3]: 1}
    assert batch["utt2emo_mask"].tolist() == [u in labelled for u in batch["utts"]]
    assert batch["utt2emo"].tolist() == [labelled.get(u, -1) for u in batch["utts"]]
    assert (batch["text"][batch["text"] >= 0] > 0).all() and batch["text_lens"].min() >= 2
    k = int(batch["feat_lens"].argmin())
    assert torch.all(batch["feats"][k, batch["feat_lens"][k]:] == 0)


def test_length_filtering_is_counted(tmp_path):
    feats = make_feats_dir(tmp_path / "f", n_utts=8)
    lengths = [int(ln.split()[1]) for ln in (feats / "utt2num_frames").read_text().splitlines()]
    lo, hi = min(lengths) + 1, max(lengths) - 1
    short, long_ = sum(n < lo for n in lengths), sum(n > hi for n in lengths)
    ds = FeatsDataset([feats], {}, min_frames=lo, max_frames=hi)
    assert len(ds) == 8 - short - long_ and short >= 1 and long_ >= 1
    assert all(lo <= n <= hi for n in ds.lengths)
    assert f"filtered {short} too short and {long_} too long" in ds.describe()
    with pytest.raises(ValueError, match="no utterances left"):
        FeatsDataset([feats], {}, min_frames=10**6)


def test_utterances_too_short_for_the_encoder_are_dropped_with_their_labels(tmp_path):
    feats = make_feats_dir(tmp_path / "f", n_utts=8)
    ds = FeatsDataset([feats], _parsers(), label_root=None)
    limit = sorted(ds.lengths)[2]
    removed = ds.drop_shorter_than(limit)
    assert removed >= 2 and len(ds) == 8 - removed and min(ds.lengths) >= limit
    assert len(ds.labels["text"]) == len(ds.utts) == len(ds.locations)
    assert ds[0]["utt"] == ds.utts[0] and f"filtered {removed} too short" in ds.describe()


def test_bad_label_line_names_file_line_and_utterance(tmp_path):
    feats = make_feats_dir(tmp_path / "f", n_utts=3)
    utt = (feats / "feats.scp").read_text().split()[0]
    (feats / "utt2emo").write_text(f"{utt} angry\n")
    with pytest.raises(DataDirError) as e:
        FeatsDataset([feats], _parsers(), label_root=None)
    assert f"utt2emo:1: '{utt}'" in str(e.value)


def test_same_utterance_in_two_dirs_is_an_error(tmp_path):
    a = make_feats_dir(tmp_path / "a", n_utts=3)
    b = make_feats_dir(tmp_path / "b", n_utts=3)
    with pytest.raises(DataDirError, match="also in"):
        FeatsDataset([a, b], {})


def test_missing_feats_scp(tmp_path):
    with pytest.raises(DataDirError, match="feats.scp: file not found"):
        FeatsDataset([tmp_path], {})
