"""Semi-supervised losses of the joint model: data roles (pseudo, unlab), pseudo-label weights and
confidences, cross-modal distribution matching, and the AAE on unlabelled speech."""
from __future__ import annotations

import shutil

import pytest
import torch
from asr_helpers import make_tokenizer
from jser_helpers import make_ser_dir, write_jser_config

from jsertk.dataset.feats import FeatsDataset, collate
from jsertk.models.semi_supervised import (
    attention_per_utterance,
    ctc_per_utterance,
    symmetric_kl,
)
from jsertk.tasks.base import get_task
from jsertk.tasks.config import load_train_config
from jsertk.utils.config import ConfigError

DECODER = {"decoder": "transformer", "decoder_conf": {"attention_heads": 2, "linear_units": 32, "num_blocks": 1},
           "model_conf": {"ctc_weight": 0.5}}
ONLY_FUSED = {"emotion_acoustic": 0.0, "emotion_lexical": 0.0, "dimensional": 0.0, "dropout": 0.0}


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jser_ssl")
    unlab = make_ser_dir(root / "unlab", 6, seed=4, speakers=("spkE",))
    # labels an unlab dir holds are never read: not even a class outside the fixed list is an error
    (unlab / "utt2emo").write_text((unlab / "utt2emo").read_text().replace("angry", "bored"))
    pseudo = make_ser_dir(root / "pseudo", 6, seed=3, speakers=("spkD",))
    # emotion pseudo labels on every other utterance, transcripts on all, each with a confidence
    lines = (pseudo / "utt2emo").read_text().splitlines()
    (pseudo / "utt2emo").write_text("".join(f"{line}\n" for line in lines[::2]))
    (pseudo / "utt2emo_conf").write_text("".join(f"{line.split()[0]} {0.2 + 0.1 * k:.1f}\n"
                                                 for k, line in enumerate(lines[::2])))
    (pseudo / "utt2text_conf").write_text("".join(f"{line.split()[0]} 0.9\n" for line in lines))
    return {"train": make_ser_dir(root / "train"), "pseudo": pseudo, "unlab": unlab,
            "asr_only": make_ser_dir(root / "asr_only", 6, seed=2, emo=False, speakers=("spkC",)),
            "tok": make_tokenizer(root / "tok")}


def _build(dirs, tmp_path, names=("train",), **sections):
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = load_train_config(write_jser_config(tmp_path / "c.yaml", dirs["tok"], dirs["train"] / "cmvn.ark",
                                              **sections))
    spec = get_task("jser")
    res = spec.setup(cfg, tmp_path / "exp", training=True)
    data = FeatsDataset([dirs[n] for n in names], spec.label_parsers(res), label_root=None,
                        **spec.train_data_options(cfg, len(names)))
    spec.check_data(cfg, res, data)
    torch.manual_seed(0)
    return spec.build(cfg, res, data.input_dim, training=True), data


def _batch(data, idx):
    return collate([data[i] for i in idx], list(data.labels))


def _of_set(data, set_id):
    return [i for i, s in enumerate(data.set_ids) if s == set_id]


def test_role_errors_name_the_dir_and_the_roles(dirs, tmp_path):
    with pytest.raises(ConfigError, match="'speech' is not one of ser, asr, aux, pseudo, unlab"):
        _build(dirs, tmp_path, ("train", "pseudo"), data_roles=["ser", "speech"])
    bare = make_ser_dir(tmp_path / "bare", 4, seed=7, emo=False, speakers=("spkF",))
    (bare / "text").unlink()
    with pytest.raises(ConfigError, match="bare: given as PSEUDO training data.*no utt2emo or text"):
        _build({**dirs, "bare": bare}, tmp_path, ("train", "bare"), data_roles=["ser", "pseudo"])
    with pytest.raises(ConfigError, match="'data_roles' has 1 roles for 2"):
        _build(dirs, tmp_path, ("train", "pseudo"), data_roles=["ser"])


def test_unlab_dirs_are_read_without_labels_and_batches_flag_pseudo_labels(dirs, tmp_path):
    model, data = _build(dirs, tmp_path, ("train", "pseudo", "unlab"), data_roles=["ser", "pseudo", "unlab"])
    unlab = _of_set(data, 2)
    assert all(data.labels[n][i] is None for n in data.labels for i in unlab)
    assert "bored" not in model.classes
    batch = _batch(data, [0, _of_set(data, 1)[0], unlab[0]])
    assert batch["pseudo"].tolist() == [False, True, False]
    # validation data (no roles) has no pseudo flags: its labels are true labels
    assert "pseudo" not in collate([FeatsDataset([dirs["pseudo"]], {}, label_root=None)[0]], [])


def test_per_utterance_asr_losses_match_the_batch_losses(dirs, tmp_path):
    model, data = _build(dirs, tmp_path, **DECODER)
    model.eval()
    b = _batch(data, range(5))
    enc, enc_lens = model.asr.encode(b["feats"], b["feat_lens"])
    ys = b["text"][:, : int(b["text_lens"].max())]
    per_ctc = ctc_per_utterance(model.asr.ctc, enc, enc_lens, ys, b["text_lens"])
    # the model's CTC is built with reduce=False; ESPnet's batch average (reduce=True) with the same weights
    from espnet2.asr.ctc import CTC

    batch_ctc = CTC(model.asr.vocab_size, enc.size(-1), reduce=True)
    batch_ctc.load_state_dict(model.asr.ctc.state_dict())
    assert per_ctc.shape == (5,)
    assert torch.allclose(per_ctc.mean(), batch_ctc(enc, enc_lens, ys, b["text_lens"]), rtol=1e-5)
    assert torch.allclose(per_ctc.mean(), model.asr.ctc(enc, enc_lens, ys, b["text_lens"]).sum(), rtol=1e-5)
    per_att, correct, total = attention_per_utterance(model.asr, enc, enc_lens, ys, b["text_lens"])
    assert torch.allclose(per_att.mean(), model.asr._attention_loss(enc, enc_lens, ys, b["text_lens"])[0], rtol=1e-5)


def test_pseudo_weights_scale_the_emotion_and_asr_losses(dirs, tmp_path):
    model, data = _build(dirs, tmp_path, heads=ONLY_FUSED, asr_weight=1.0,
                         pseudo={"emotion_weight": 0.5, "asr_weight": 0.25})
    model.eval()
    batch = _batch(data, range(6))
    as_true = model({**batch, "pseudo": torch.zeros(6, dtype=torch.bool)})
    as_pseudo = model({**batch, "pseudo": torch.ones(6, dtype=torch.bool)})
    emo, n = as_true["stats"]["loss_emotion"]
    asr = as_true["stats"]["loss_asr"][0]
    assert as_pseudo["stats"]["loss_emotion_pseudo"] == pytest.approx((emo, n), rel=1e-5)
    assert "loss_emotion" not in as_pseudo["stats"] and "recall_0" not in as_pseudo["stats"]
    assert float(as_true["loss"].detach()) == pytest.approx(emo / 6 + asr / 6, rel=1e-5)
    assert float(as_pseudo["loss"].detach()) == pytest.approx(0.5 * emo / 6 + 0.25 * asr / 6, rel=1e-5)
    # one pseudo utterance among true ones counts with its weight in a mean over all six
    role = torch.tensor([True] + [False] * 5)
    mixed = model({**batch, "pseudo": role})["stats"]
    first, _ = mixed["loss_emotion_pseudo"]
    assert mixed["loss_emotion"][1] == 5
    with_weight = model({**batch, "pseudo": role})["loss"]
    expected = (emo - 0.5 * first) / 6 + (asr - 0.75 * mixed["loss_asr_pseudo"][0]) / 6
    assert float(with_weight.detach()) == pytest.approx(expected, rel=1e-5)


def test_confidence_weighting_reads_the_confidences_and_scales_each_utterance(dirs, tmp_path):
    model, data = _build(dirs, tmp_path, ("pseudo",), data_roles=["pseudo"], heads=ONLY_FUSED, asr_weight=0.0,
                         pseudo={"emotion_weight": 0.5, "confidence_weighting": True})
    model.eval()
    batch = _batch(data, [i for i, v in enumerate(data.labels["utt2emo"]) if v is not None])
    conf = batch["utt2emo_conf"]
    assert conf.tolist() == pytest.approx([0.2, 0.3, 0.4])
    out = model(batch)
    batch_plain = {**batch, "utt2emo_conf": torch.ones_like(conf)}
    plain = model(batch_plain)
    assert batch["utt2text_conf"].tolist() == pytest.approx([0.9] * 3)
    with torch.no_grad():
        per_utt = torch.nn.functional.cross_entropy(
            model.heads["emotion"](model.head_inputs(model.represent(batch["feats"], batch["feat_lens"]))["emotion"]),
            batch["utt2emo"], reduction="none")
    assert float(out["loss"].detach()) == pytest.approx(float((0.5 * conf * per_utt).mean()), rel=1e-4)
    assert float(plain["loss"].detach()) == pytest.approx(float((0.5 * per_utt).mean()), rel=1e-4)
    # a pseudo label without its confidence is an error naming the utterance
    partial = shutil.copytree(dirs["pseudo"], tmp_path / "partial")
    conf_lines = (partial / "utt2emo_conf").read_text().splitlines()
    (partial / "utt2emo_conf").write_text("".join(f"{line}\n" for line in conf_lines[1:]))
    missing = conf_lines[0].split()[0]
    with pytest.raises(ConfigError, match=rf"partial: utterance '{missing}' has a pseudo label in 'utt2emo' but no "
                                          r"confidence in 'utt2emo_conf'"):
        _build({**dirs, "partial": partial}, tmp_path / "b", ("train", "partial"), data_roles=["ser", "pseudo"],
               pseudo={"confidence_weighting": True})


DM = {"heads": {"emotion_acoustic": 0.3, "emotion_lexical": 0.3, "dropout": 0.0}, "asr_weight": 0.0}


def test_distribution_matching_is_a_symmetric_kl_with_gradients_in_both_heads(dirs, tmp_path):
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    assert torch.allclose(symmetric_kl(a, a), torch.zeros(4), atol=1e-6)
    assert (symmetric_kl(a, b) > 0).all() and torch.allclose(symmetric_kl(a, b), symmetric_kl(b, a))
    model, data = _build(dirs, tmp_path, ("train", "asr_only"), data_roles=["ser", "asr"],
                         distribution_matching={"weight": 2.0}, **DM)
    model.eval()
    unlabelled = _batch(data, _of_set(data, 1))  # no emotion label: only distribution matching is left
    out = model(unlabelled)
    assert set(k for k in out["stats"] if k.startswith("loss_")) == {"loss_dm"}
    kl, n = out["stats"]["loss_dm"]
    assert n == 6 and kl > 0 and float(out["loss"].detach()) == pytest.approx(2.0 * kl / 6, rel=1e-5)
    out["loss"].backward()
    for head in ("emotion_acoustic", "emotion_lexical"):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.heads[head].parameters()), head
    # utterances with a true emotion label are left out (apply_to: unlabelled) ...
    assert "loss_dm" not in model(_batch(data, _of_set(data, 0)[:4]))["stats"]
    # ... and the loss is zero when both views give the same posteriors
    with torch.no_grad():
        for head in ("emotion_acoustic", "emotion_lexical"):
            last = model.heads[head].net[-1]
            last.weight.zero_()
            last.bias.copy_(torch.tensor([0.5, -1.0, 2.0]))
    assert model(unlabelled)["stats"]["loss_dm"][0] == pytest.approx(0.0, abs=1e-6)


def test_distribution_matching_on_all_utterances(dirs, tmp_path):
    model, data = _build(dirs, tmp_path, distribution_matching={"weight": 1.0, "apply_to": "all"}, **DM)
    assert model(_batch(data, range(4)))["stats"]["loss_dm"][1] == 4


def test_distribution_matching_ramps_up_and_counts_updates_in_the_state_dict(dirs, tmp_path):
    DM_ASR = {**DM, "classes": ["angry", "happy", "neutral"]}
    model, data = _build(dirs, tmp_path, ("asr_only",), data_roles=["asr"],
                         distribution_matching={"weight": 1.0, "warmup_steps": 4}, **DM_ASR)
    model.eval()
    batch = _batch(data, range(6))
    assert model.dm_weight() == 0.0 and model(batch)["loss"] is None
    for _ in range(2):
        model.on_optimizer_step()
    half = float(model(batch)["loss"].detach())
    for _ in range(5):
        model.on_optimizer_step()
    assert model.dm_weight() == 1.0 and float(model(batch)["loss"].detach()) == pytest.approx(2 * half, rel=1e-5)
    state = model.state_dict()
    assert int(state["dm_updates"]) == 7
    fresh, _ = _build(dirs, tmp_path / "fresh", ("asr_only",), data_roles=["asr"],
                      distribution_matching={"weight": 1.0, "warmup_steps": 4}, **DM_ASR)
    fresh.load_state_dict(state)
    assert fresh.dm_weight() == 1.0 and int(fresh.dm_updates) == 7
    # without distribution matching the model has no counter, so models trained before load as they did
    plain, _ = _build(dirs, tmp_path / "plain")
    assert "dm_updates" not in plain.state_dict()


def test_a_student_initialised_from_a_joint_model_restarts_the_ramp(dirs, tmp_path):
    from jsertk.tasks.jser import load_joint_init
    from jsertk.train import checkpoint as ckpt

    opts = dict(data_roles=["asr"], distribution_matching={"weight": 1.0, "warmup_steps": 4}, **DM,
                classes=["angry", "happy", "neutral"])
    teacher, _ = _build(dirs, tmp_path / "teacher", ("asr_only",), **opts)
    for _ in range(7):
        teacher.on_optimizer_step()
    ckpt.save(teacher.state_dict(), tmp_path / "teacher" / "model.pth")
    student, _ = _build(dirs, tmp_path / "student", ("asr_only",), **opts)
    load_joint_init(student, tmp_path / "teacher")
    assert int(student.dm_updates) == 0 and student.dm_weight() == 0.0
    assert torch.equal(student.heads["emotion"].net[0].weight, teacher.heads["emotion"].net[0].weight)


def test_distribution_matching_needs_both_single_view_heads(dirs, tmp_path):
    with pytest.raises(ConfigError, match=r"'distribution_matching.weight' is 0.5.*'heads.emotion_acoustic' and "
                                          r"'heads.emotion_lexical'.*0.3 and 0.0"):
        _build(dirs, tmp_path, distribution_matching={"weight": 0.5}, heads={"emotion_lexical": 0.0})
    with pytest.raises(ConfigError, match="'distribution_matching.apply_to' must be unlabelled or all"):
        _build(dirs, tmp_path, distribution_matching={"apply_to": "some"})


@pytest.mark.parametrize("unlabelled", [True, False])
def test_aae_reconstruction_covers_unlabelled_speech_unless_disabled(dirs, tmp_path, unlabelled):
    model, data = _build(dirs, tmp_path, ("train", "unlab"), data_roles=["ser", "unlab"],
                         aae={"enabled": True, "unlabelled": unlabelled}, asr_weight=0.0)
    labelled, unlab = _of_set(data, 0)[:3], _of_set(data, 1)[:3]
    stats = model(_batch(data, labelled + unlab))["stats"]
    n = 6 if unlabelled else 3
    assert stats["loss_aae_recon"][1] == n and stats["loss_aae_adv"][1] == n
    assert stats["loss_aae_class"][1] == 3  # the class loss only where an emotion label exists
    only_unlab = model(_batch(data, unlab))
    if unlabelled:
        assert set(k for k in only_unlab["stats"] if k.startswith("loss_")) == {"loss_aae_recon", "loss_aae_adv"}
        only_unlab["loss"].backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.aae.encoder.parameters())
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.asr.encoder.parameters())
    else:
        assert only_unlab["loss"] is None


def test_aae_class_loss_on_pseudo_labels_is_weighted(dirs, tmp_path):
    model, data = _build(dirs, tmp_path, heads={**ONLY_FUSED, "emotion": 0.0}, asr_weight=0.0,
                         aae={"enabled": True, "recon_weight": 0.0, "adversarial_weight": 0.0, "class_weight": 1.0},
                         pseudo={"emotion_weight": 0.25})
    model.eval()
    batch = _batch(data, range(6))
    torch.manual_seed(1)
    true = model({**batch, "pseudo": torch.zeros(6, dtype=torch.bool)})
    torch.manual_seed(1)
    pseudo = model({**batch, "pseudo": torch.ones(6, dtype=torch.bool)})
    assert pseudo["stats"]["loss_aae_class_pseudo"] == pytest.approx(true["stats"]["loss_aae_class"], rel=1e-5)
    assert float(pseudo["loss"].detach()) == pytest.approx(0.25 * float(true["loss"].detach()), rel=1e-5)


@pytest.mark.parametrize("name", ["train_jser", "train_jser_ssl"])
def test_recipe_configs_load(name):
    from pathlib import Path

    from jsertk.tasks.jser import check_semi_supervised_config

    cfg = load_train_config(Path(__file__).parents[2] / "egs" / "synth_emo" / "jser1" / "conf" / f"{name}.yaml")
    check_semi_supervised_config(cfg)
    if name == "train_jser_ssl":
        assert cfg["data_roles"] == ["ser", "asr", "pseudo"] and len(cfg["data"]["set_weights"]) == 3
        assert cfg["distribution_matching"]["weight"] > 0 and cfg["aae"]["enabled"]
