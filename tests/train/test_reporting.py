"""loss_curves.png: which history keys go to which panel, and that a PNG is written for ASR and joint runs."""
from __future__ import annotations

import math
import struct

import pytest

from jsertk.train.reporting import _log_scale, curve_panels, plot_curves

ASR_KEYS = ["epoch", "lr", "updates", "train/acc", "train/audio_seconds_per_second", "train/epoch_time_s",
            "train/loss", "train/loss_att", "train/loss_ctc", "valid/acc", "valid/cer", "valid/loss",
            "valid/loss_att", "valid/loss_ctc", "valid/wer"]
# the stats JointModel.forward() and the trainer write, with semi-supervised training and both aux heads
_JOINT_STATS = ["acc", "acc_gender", "acc_speaker", "loss", "loss_aae_adv", "loss_aae_class", "loss_aae_recon",
                "loss_asr", "loss_att", "loss_ccc", "loss_ctc", "loss_emotion", "loss_emotion_acoustic",
                "loss_emotion_lexical", "loss_gender", "loss_speaker", "recall_0", "recall_1", "recall_2", "ua", "wa"]
JOINT_KEYS = (["epoch", "lr", "updates", "train/audio_seconds_per_second", "train/epoch_time_s", "valid/cer",
               "valid/wer", "train/loss_dm", "train/loss_asr_pseudo", "train/loss_emotion_pseudo",
               "train/loss_emotion_acoustic_pseudo", "train/loss_emotion_lexical_pseudo",
               "train/loss_aae_class_pseudo"]
              + [f"{split}/{s}" for split in ("train", "valid") for s in _JOINT_STATS])


def _panels(keys, metric=None) -> dict[str, list[str]]:
    return {title: ks for title, _, ks in curve_panels(keys, metric)}


def test_asr_history_has_total_asr_and_metric_panels_only():
    panels = _panels(ASR_KEYS)
    assert list(panels) == ["total loss", "ASR", "ASR metrics"]
    assert panels["total loss"] == ["train/loss", "valid/loss"]
    assert panels["ASR"] == ["train/loss_ctc", "valid/loss_ctc", "train/loss_att", "valid/loss_att"]
    assert panels["ASR metrics"] == ["train/acc", "valid/acc", "valid/cer", "valid/wer"]


def test_joint_history_keys_go_to_their_group():
    panels = _panels(JOINT_KEYS)
    assert list(panels) == ["total loss", "ASR", "emotion", "auxiliary", "semi-supervised", "ASR metrics",
                            "emotion / auxiliary metrics"]
    assert panels["ASR"] == ["train/loss_ctc", "valid/loss_ctc", "train/loss_att", "valid/loss_att",
                             "train/loss_asr", "valid/loss_asr", "train/loss_asr_pseudo"]
    assert set(panels["emotion"]) == {f"{s}/loss_{n}" for s in ("train", "valid")
                                      for n in ("emotion", "emotion_acoustic", "emotion_lexical", "ccc")} | {
        "train/loss_emotion_pseudo", "train/loss_emotion_acoustic_pseudo", "train/loss_emotion_lexical_pseudo"}
    assert panels["emotion"][:3] == ["train/loss_emotion", "valid/loss_emotion", "train/loss_emotion_pseudo"]
    assert panels["auxiliary"] == ["train/loss_gender", "valid/loss_gender", "train/loss_speaker",
                                   "valid/loss_speaker"]
    assert set(panels["semi-supervised"]) == {"train/loss_dm", "train/loss_aae_class_pseudo"} | {
        f"{s}/loss_aae_{n}" for s in ("train", "valid") for n in ("recon", "adv", "class")}
    assert set(panels["emotion / auxiliary metrics"]) == {f"{s}/{n}" for s in ("train", "valid")
                                                          for n in ("ua", "wa", "acc_gender", "acc_speaker")}
    drawn = [k for ks in panels.values() for k in ks]
    assert len(drawn) == len(set(drawn))  # each curve in one panel
    assert not [k for k in drawn if "recall_" in k or "epoch_time" in k or "audio_seconds" in k]
    assert "lr" not in drawn and "epoch" not in drawn


def test_panels_only_for_stats_the_history_has_and_unknown_losses_are_kept():
    panels = _panels(["epoch", "train/loss", "train/loss_ctc", "train/loss_gender", "train/loss_new_thing"])
    assert panels == {"total loss": ["train/loss"], "ASR": ["train/loss_ctc"], "auxiliary": ["train/loss_gender"],
                      "other losses": ["train/loss_new_thing"]}
    assert curve_panels(["epoch", "lr"]) == []


def test_best_metric_outside_every_panel_gets_its_own():
    assert _panels(ASR_KEYS, "valid/cer") == _panels(ASR_KEYS)
    panels = _panels(JOINT_KEYS, "valid/recall_1")
    assert panels["best_metric valid/recall_1"] == ["valid/recall_1"]


def test_log_scale_only_beyond_two_orders_of_magnitude():
    assert _log_scale([150.0, 20.0, 0.3])
    assert not _log_scale([150.0, 20.0, 4.0])
    assert not _log_scale([1.0, 0.0, 200.0])  # zero (a CER of 0) cannot go on a log axis
    assert not _log_scale([math.nan])


def _history(keys, epochs):
    return [{k: (e if k == "epoch" else 100.0 / (e * (1 + i % 5))) for i, k in enumerate(keys)}
            for e in range(1, epochs + 1)]


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("keys,metric", [(ASR_KEYS, "valid/cer"), (JOINT_KEYS, "valid/ua")], ids=["asr", "joint"])
def test_png_is_written_atomically_and_grows_with_the_panels(tmp_path, keys, metric):
    path = tmp_path / "exp" / "loss_curves.png"
    plot_curves(_history(keys, 4), path, metric)
    width, height = _png_size(path)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    n_panels = len(curve_panels(keys, metric))
    assert 180 * n_panels < height < 330 * n_panels + 120
    assert width > height / n_panels
    # a second epoch's plot replaces the file; a history of one epoch is drawn too
    plot_curves(_history(keys, 1), path, metric)
    assert _png_size(path)[1] < 330 * n_panels + 120


def test_a_history_without_curves_still_gives_a_png(tmp_path):
    plot_curves([{"epoch": 1, "lr": 0.1}], tmp_path / "c.png")
    assert _png_size(tmp_path / "c.png")[0] > 0
