"""The joint ASR-SER model: every lexical source and fusion type trains, losses are masked by the
labels each utterance has, class lists and data roles are checked, and --init loads an ASR model."""
from __future__ import annotations

import pytest
import torch
from asr_helpers import make_tokenizer, write_config
from jser_helpers import EMOTIONS, make_ser_dir, write_jser_config

from jsertk.data.problems import DataDirError
from jsertk.dataset.feats import FeatsDataset, collate
from jsertk.tasks.base import get_task
from jsertk.tasks.config import load_train_config
from jsertk.train import run_training
from jsertk.utils.config import ConfigError

DECODER = {"decoder": "transformer", "decoder_conf": {"attention_heads": 2, "linear_units": 32, "num_blocks": 1},
           "model_conf": {"ctc_weight": 0.5}}


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jser")
    return {"root": root, "train": make_ser_dir(root / "train"), "valid": make_ser_dir(root / "valid", 6, seed=1),
            "asr_only": make_ser_dir(root / "asr_only", 6, seed=2, emo=False, speakers=("spkC",)),
            "tok": make_tokenizer(root / "tok")}


def _build(dirs, tmp_path, train_dirs=None, **sections):
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = load_train_config(write_jser_config(tmp_path / "c.yaml", dirs["tok"], dirs["train"] / "cmvn.ark",
                                              **sections))
    spec = get_task("jser")
    res = spec.setup(cfg, tmp_path / "exp", training=True)
    data = FeatsDataset(train_dirs or [dirs["train"]], spec.label_parsers(res), label_root=None)
    spec.check_data(cfg, res, data)
    torch.manual_seed(0)
    return spec.build(cfg, res, data.input_dim, training=True), data, res


def _batch(data, idx):
    return collate([data[i] for i in idx], list(data.labels))


@pytest.mark.parametrize("source,fusion", [("ctc_posteriors", "concat"), ("decoder_states", "concat"),
                                           ("hyp_embeddings", "concat"), ("ctc_posteriors", "cross_attention"),
                                           ("hyp_embeddings", "gated"), ("ctc_posteriors+cnn", "gated"),
                                           ("decoder_states+cnn", "cross_attention")])
def test_each_lexical_source_and_fusion_type_trains(dirs, tmp_path, source, fusion):
    source, _, encoder = source.partition("+")
    lexical = {"source": source, **({"encoder": "cnn", "pooling": "max"} if encoder else {})}
    model, data, _ = _build(dirs, tmp_path, lexical=lexical, fusion={"type": fusion},
                            heads={"gender": 0.3, "speaker": 0.3}, aae={"enabled": True}, **DECODER)
    batch = _batch(data, range(6))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for step in range(4):
        out = model(batch)
        opt.zero_grad()
        out["loss"].backward()
        if step == 0:
            for name in ("emotion", "emotion_acoustic", "emotion_lexical", "dimensional", "gender", "speaker"):
                assert f"loss_{name if name != 'dimensional' else 'ccc'}" in out["stats"], name
                assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.heads[name].parameters())
            assert all(p.grad is not None for p in model.lexical.encoder.parameters())
            assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.aae.encoder.parameters())
        opt.step()
        losses.append(float(out["loss"].detach()))
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]
    model.eval()
    pred = model.predict(batch["feats"], batch["feat_lens"])
    assert pred["emotion"].shape == (6, len(EMOTIONS))
    assert torch.allclose(pred["emotion"].sum(-1), torch.ones(6))
    assert pred["dimensional"].shape == (6, 3) and len(pred["tokens"]) == 6


def test_losses_are_masked_by_the_labels_each_utterance_has(dirs, tmp_path):
    model, data, res = _build(dirs, tmp_path, train_dirs=[dirs["train"], dirs["asr_only"]],
                              data_roles=["ser", "asr"], heads={"gender": 0.3, "speaker": 0.3})
    asr_only = [i for i, s in enumerate(data.set_ids) if s == 1]
    out = model(_batch(data, asr_only))
    assert "loss_asr" in out["stats"] and "loss_gender" in out["stats"]
    assert not any(k.startswith(("loss_emotion", "loss_ccc", "recall_")) for k in out["stats"])
    out["loss"].backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.heads["emotion"].parameters())
    # gender joins utt -> speaker -> spk2gender of the utterance's own dir
    batch = _batch(data, asr_only)
    assert batch["utt2spk"].tolist() == [[2.0, 0.0]] * len(asr_only)  # spkC: third speaker, 'm' in its spk2gender
    assert list(res.speaker.index) == ["spkA", "spkB", "spkC"]
    # a batch without any label the model learns from has no loss
    model.asr_weight, model.w = 0.0, {**model.w, "gender": 0.0, "speaker": 0.0}
    assert model(_batch(data, asr_only))["loss"] is None


def test_class_list_is_derived_sorted_saved_and_enforced(dirs, tmp_path):
    _, data, res = _build(dirs, tmp_path)
    assert (tmp_path / "exp" / "classes.txt").read_text().split() == sorted(EMOTIONS)
    assert data.labels["utt2emo"][0] == sorted(EMOTIONS).index(EMOTIONS[0])  # first line of utt2emo
    with pytest.raises(DataDirError) as err:
        _build(dirs, tmp_path / "fixed", classes=["angry", "happy"])
    text = str(err.value.problems[0])
    assert "utt2emo:3:" in text and "'spkA-u004'" in text and "'neutral'" in text
    _, data, res = _build(dirs, tmp_path / "mapped", classes=["angry", "happy"], label_map={"neutral": "happy"})
    assert sorted(set(data.labels["utt2emo"])) == [0, 1]


def test_ser_data_without_utt2emo_is_an_error_unless_marked(dirs, tmp_path):
    with pytest.raises(ConfigError, match="asr_only.*SER training data.*utt2emo"):
        _build(dirs, tmp_path, train_dirs=[dirs["train"], dirs["asr_only"]])
    with pytest.raises(ConfigError, match="data_roles"):
        _build(dirs, tmp_path, train_dirs=[dirs["train"], dirs["asr_only"]], data_roles=["ser", "speech"])


def test_class_weights_are_inverse_frequency(dirs, tmp_path):
    model, _, res = _build(dirs, tmp_path, class_weights=True)
    counts = torch.tensor(res.class_counts, dtype=torch.float32)
    assert torch.allclose(model.class_weights * counts, torch.full_like(counts, counts.sum() / len(counts)))


@pytest.mark.slow
def test_train_mixed_sets_from_an_asr_init_selects_by_dev_ua(dirs):
    root = dirs["root"]
    asr_cfg = write_config(root / "asr.yaml", dirs["tok"], dirs["train"] / "cmvn.ark",
                           encoder_conf=write_jser_config.__globals__["TINY_JSER"]["encoder_conf"],
                           train={"max_epochs": 1, "keep_nbest": 1}, **DECODER)
    run_training(asr_cfg, [dirs["train"]], [dirs["valid"]], root / "asr_exp")
    cfg = write_jser_config(root / "jser.yaml", None, None, init=str(root / "asr_exp"), data_roles=["ser", "asr"],
                            data={"set_weights": [1.0, 0.5]}, train={"max_epochs": 2, "keep_nbest": 1},
                            heads={"gender": 0.2, "speaker": 0.2}, aae={"enabled": True},
                            model_conf=DECODER["model_conf"])
    # the init takes over the ASR experiment's decoder and tokenizer and copies its weights:
    # before any update the ASR branch equals the ASR model
    spec = get_task("jser")
    loaded = load_train_config(cfg, ["classes=[angry, happy, neutral]"])
    res = spec.setup(loaded, root / "peek", training=True)
    model = spec.build(loaded, res, 20, training=True)
    asr_state = torch.load(root / "asr_exp" / "model.pth", weights_only=True)
    for k, v in model.asr.state_dict().items():
        assert torch.equal(v, asr_state[k]), k
    best = run_training(cfg, [dirs["train"], dirs["asr_only"]], [dirs["valid"]], root / "jser_exp")
    hist = (root / "jser_exp" / "history.json").read_text()
    assert '"valid/ua"' in hist and '"valid/wer"' in hist
    assert len(best) == 1 and 0.0 <= best[0][1] <= 1.0
    assert (root / "jser_exp" / "tokenizer" / "tokens.txt").is_file()
    assert (root / "jser_exp" / "classes.txt").read_text().split() == sorted(EMOTIONS)

    # a student of a semi-supervised round can start from that joint model: shared tensors copied,
    # parts the teacher lacks start fresh; a class list that does not fit is an error
    student_cfg = write_jser_config(root / "student.yaml", None, None, init=str(root / "jser_exp"),
                                    heads={"gender": 0.2, "speaker": 0.2}, aae={"enabled": False},
                                    distribution_matching={"weight": 0.1}, model_conf=DECODER["model_conf"])
    loaded = load_train_config(student_cfg, [f"classes=[{', '.join(sorted(EMOTIONS))}]"])
    res = spec.setup(loaded, root / "student", training=True)
    (root / "student" / "speakers.txt").write_text((root / "jser_exp" / "speakers.txt").read_text())
    res.speaker.index = {s: i for i, s in enumerate((root / "jser_exp" / "speakers.txt").read_text().split())}
    student = spec.build(loaded, res, 20, training=True)
    teacher = torch.load(root / "jser_exp" / "model.pth", weights_only=True)
    shared = [k for k in student.state_dict() if k in teacher]
    assert any(k.startswith("lexical.") for k in shared) and any(k.startswith("heads.emotion.") for k in shared)
    for k in shared:
        assert torch.equal(student.state_dict()[k], teacher[k]), k
    bad = load_train_config(student_cfg, ["classes=[angry, happy]"])
    with pytest.raises(ConfigError, match="does not fit this model"):
        spec.build(bad, spec.setup(bad, root / "student_bad", training=True), 20, training=True)


def test_init_with_another_input_normalisation_is_warned(tmp_path, caplog):
    from jsertk.tasks.jser import adopt_asr_architecture

    init = tmp_path / "asr_exp"
    init.mkdir()
    (init / "config.yaml").write_text("model: asr\nfrontend:\n  utterance_mvn: mean_var\n")
    cfg = load_train_config(write_jser_config(tmp_path / "jser.yaml", None, None), ["tokenizer=tok"])
    with caplog.at_level("WARNING", logger="jsertk.train"):
        adopt_asr_architecture(cfg, init)
    assert "frontend.utterance_mvn" in caplog.text and "mean_var" in caplog.text
    caplog.clear()
    cfg["frontend"]["utterance_mvn"] = "mean_var"
    with caplog.at_level("WARNING", logger="jsertk.train"):
        adopt_asr_architecture(cfg, init)
    assert "utterance_mvn" not in caplog.text


def test_mixup_mixes_pooled_vectors_and_labels_in_training_only(dirs, tmp_path):
    heads = {"emotion_acoustic": 0.0, "emotion_lexical": 0.0, "dimensional": 0.0, "dropout": 0.0}
    plain, data, _ = _build(dirs, tmp_path / "plain", lexical={"source": "none"}, asr_weight=0.0, heads=heads)
    mixed, _, _ = _build(dirs, tmp_path / "mixed", lexical={"source": "none"}, asr_weight=0.0, heads=heads,
                         mixup={"alpha": 0.4})
    mixed.load_state_dict(plain.state_dict())
    batch = _batch(data, range(6))
    plain.eval(), mixed.eval()
    # not in evaluation: the same weights give the same loss and posteriors
    assert torch.allclose(plain(batch)["loss"], mixed(batch)["loss"])
    mixed.train()
    for m in mixed.modules():  # no dropout: the hand computation below draws no other random numbers
        if isinstance(m, torch.nn.Dropout):
            m.eval()
    emo_mask = batch["utt2emo_mask"]
    torch.manual_seed(3)
    partner, lam = mixed._mixup_partners(emo_mask)
    assert sorted(partner.tolist()) == list(range(6)) and bool((lam >= 0.5).all()) and bool((lam <= 1).all())
    # by hand: the head on lam x_i + (1 - lam) x_partner, the loss lam CE(y_i) + (1 - lam) CE(y_partner)
    torch.manual_seed(3)
    loss = mixed(batch)["loss"]
    torch.manual_seed(3)
    partner, lam = mixed._mixup_partners(emo_mask)
    rep = mixed.represent(batch["feats"][:, : int(batch["feat_lens"].max())], batch["feat_lens"])
    x = rep["fused"]
    logits = mixed.heads["emotion"](lam[:, None] * x + (1 - lam[:, None]) * x[partner])
    emo = batch["utt2emo"]
    ce = torch.nn.functional.cross_entropy
    want = (lam * ce(logits, emo, reduction="none") + (1 - lam) * ce(logits, emo[partner], reduction="none")).mean()
    assert torch.allclose(loss.detach(), want.detach(), rtol=1e-4), (float(loss), float(want))
    with pytest.raises(ConfigError, match="mixup.alpha"):
        _build(dirs, tmp_path / "bad", lexical={"source": "none"}, asr_weight=0.0, mixup={"alpha": -1})


def test_random_crop_trains_an_emotion_model_and_is_refused_with_an_asr_loss(dirs, tmp_path):
    heads = {"emotion_acoustic": 0.0, "emotion_lexical": 0.0, "dimensional": 0.0}
    model, data, _ = _build(dirs, tmp_path / "crop", lexical={"source": "none"}, asr_weight=0.0, heads=heads,
                            frontend={"random_crop": [5, 8]})
    batch = _batch(data, range(6))
    model.train()
    out = model(batch)
    out["loss"].backward()
    assert torch.isfinite(out["loss"]) and model.asr.frontend.crop == (5, 8)
    with pytest.raises(ConfigError, match="frontend.random_crop.*asr_weight"):
        _build(dirs, tmp_path / "asr", frontend={"random_crop": 20})


def test_label_smoothing_softens_the_emotion_targets_in_training_only(dirs, tmp_path):
    heads = {"emotion_acoustic": 0.0, "emotion_lexical": 0.0, "dimensional": 0.0, "dropout": 0.0}
    plain, data, _ = _build(dirs, tmp_path / "plain", lexical={"source": "none"}, asr_weight=0.0, heads=heads)
    smooth, _, _ = _build(dirs, tmp_path / "smooth", lexical={"source": "none"}, asr_weight=0.0,
                          heads={**heads, "label_smoothing": 0.2})
    smooth.load_state_dict(plain.state_dict())
    batch = _batch(data, range(6))
    plain.eval(), smooth.eval()
    assert torch.allclose(plain(batch)["loss"], smooth(batch)["loss"])  # validation: the plain loss
    for m in (plain, smooth):  # training losses, without the dropout and SpecAugment of the submodules
        m.training = True
    # by hand, with the class weights: sum_k w_k q_k (-log p_k), q = 0.8 one-hot + 0.2 / K
    rep = smooth.represent(batch["feats"][:, : int(batch["feat_lens"].max())], batch["feat_lens"])
    logits = smooth.heads["emotion"](rep["fused"])
    emo, w = batch["utt2emo"], smooth.class_weights
    q = 0.8 * torch.nn.functional.one_hot(emo, logits.size(-1)) + 0.2 / logits.size(-1)
    per_utt = -(q * w * torch.log_softmax(logits, -1)).sum(-1)
    # reduction="none" in the model: each utterance's loss, not divided by the weights
    want = per_utt.mean()
    assert torch.allclose(smooth(batch)["loss"], want, rtol=1e-4), (float(smooth(batch)["loss"]), float(want))
    assert not torch.allclose(plain(batch)["loss"], want, rtol=1e-3)
    with pytest.raises(ConfigError, match="label_smoothing"):
        _build(dirs, tmp_path / "bad", lexical={"source": "none"}, asr_weight=0.0,
               heads={**heads, "label_smoothing": 1.5})
