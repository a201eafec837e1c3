"""Pretrained upstreams (tiny random models of every family, loaded by path): shapes, batches that
give the same per-utterance states as one utterance at a time, Whisper's 30 s chunks, freezing,
the learned layer weights, bad folders; and the real Whisper tiny.en against Hugging Face's encoder."""
from __future__ import annotations

import json

import pytest
import torch
from upstream_helpers import FAMILIES, WHISPER_TINY, make_upstream

from jsertk.models.frontend import UpstreamInput
from jsertk.models.upstream import LayerWeightedSum
from jsertk.tasks.upstream import load_upstream, read_upstream_config, upstream_shape
from jsertk.utils.errors import ConfigError

pytest.importorskip("transformers")

CONF = {"path": "", "layers": None, "layer_norm": True, "freeze": "frozen", "dtype": "float32",
        "whisper_input": "crop"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("upstreams")
    return {f: make_upstream(root / f, f) for f in FAMILIES}


def _waves(seed=0):
    g = torch.Generator().manual_seed(seed)
    lens = torch.tensor([16000, 9000, 12345])
    wave = 0.1 * torch.randn(3, 16000, generator=g)
    return wave * (torch.arange(16000)[None, :] < lens[:, None]), lens


@pytest.mark.parametrize("family,mode", [(f, "crop") for f in FAMILIES] + [("whisper", "pad")])
def test_padded_batch_gives_each_utterance_its_own_states(folders, family, mode):
    up = load_upstream(folders[family], whisper_input=mode).eval()
    wave, lens = _waves()
    with torch.no_grad():
        states, out_lens = up(wave, lens)
        singles = [up(wave[k: k + 1, : int(lens[k])], lens[k: k + 1]) for k in range(3)]
    assert states.shape[2:] == (3, 32)  # embedding output + 2 layers, dim 32
    assert out_lens.tolist() == up.frames_of(lens).tolist()
    assert states.shape[1] == int(out_lens.max())
    for k, (s, n) in enumerate(singles):
        assert int(n[0]) == int(out_lens[k])
        torch.testing.assert_close(states[k, : int(n[0])], s[0], atol=1e-4, rtol=1e-4)
        assert states[k, int(n[0]):].abs().sum() == 0  # padding stays zero


def test_whisper_longer_than_30_s_is_encoded_in_chunks(folders):
    up = load_upstream(folders["whisper"]).eval()
    lens = torch.tensor([31 * 16000 + 555])
    with torch.no_grad():
        states, out_lens = up(0.1 * torch.randn(1, int(lens[0])), lens)
    assert int(out_lens[0]) == (int(lens[0]) // 160 + 1) // 2 == states.shape[1]  # 1500 + the last 1.03 s
    assert torch.isfinite(states).all()


def test_upstream_shape_is_read_from_config_json_alone(folders):
    assert upstream_shape(folders["whisper"]) == (3, 32)
    assert upstream_shape(folders["hubert"]) == (3, 32)


def test_not_a_model_folder_and_unsupported_types_are_named(tmp_path, folders):
    with pytest.raises(ConfigError, match="not a folder"):
        read_upstream_config(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no config.json"):
        read_upstream_config(tmp_path / "empty")
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ConfigError, match="model type 'bert' is not supported; supported: wav2vec2, hubert"):
        read_upstream_config(tmp_path / "bert")
    with pytest.raises(ConfigError, match="whisper_input.*'middle'"):
        load_upstream(folders["whisper"], whisper_input="middle")


def _frontend(folder, **conf):
    shape = upstream_shape(folder)
    return UpstreamInput(1, {**CONF, "path": str(folder), **conf}, None, shape,
                         load_upstream(folder, whisper_input=conf.get("whisper_input", "crop")))


def _grads(front, loss_of=lambda x: x.pow(2).mean()):
    front.train()
    front.zero_grad()
    wave, lens = _waves()
    x, _ = front(wave[..., None], lens)
    loss_of(x).backward()
    return {n: p.grad is not None and bool(p.grad.abs().sum() > 0) for n, p in front.upstream.named_parameters()}


@pytest.mark.parametrize("family", ["wavlm", "whisper"])
def test_freeze_modes_decide_which_upstream_weights_get_gradients(folders, family):
    assert not any(_grads(_frontend(folders[family], freeze="frozen")).values())
    fine = _grads(_frontend(folders[family], freeze="finetune"))
    assert sum(fine.values()) > 0.8 * len(fine)
    top = _grads(_frontend(folders[family], freeze="top:1"))
    layer = "layers.1." if family == "whisper" else "encoder.layers.1."
    assert all(top[n] for n in top if layer in n and "bias" not in n)
    assert not any(top[n] for n in top if "layers.0." in n or "conv" in n or "feature_extractor" in n)
    after = _frontend(folders[family], freeze="after:2")
    assert not any(_grads(after).values())
    after.on_optimizer_step()
    after.on_optimizer_step()
    assert sum(_grads(after).values()) > 0.8 * len(fine)


def test_bad_freeze_values_are_refused(folders):
    for bad in ("some", "top:x", "after", "frozen:3"):
        with pytest.raises(ConfigError, match="frontend.upstream.freeze"):
            _frontend(folders["whisper"], freeze=bad)
    with pytest.raises(ConfigError, match="top:5, but the upstream has 2 layers"):
        _frontend(folders["whisper"], freeze="top:5")


def test_layer_weights_train_and_layer_choices_are_checked():
    states = torch.randn(2, 7, 3, 8)
    mix = LayerWeightedSum(3, None)
    opt = torch.optim.SGD(mix.parameters(), lr=1.0)
    target = torch.nn.functional.layer_norm(states[:, :, 2], (8,))  # only the last state is wanted
    for _ in range(20):
        opt.zero_grad()
        (mix(states) - target).pow(2).mean().backward()
        opt.step()
    w = torch.softmax(mix.weights, 0)
    assert w[2] > 0.6 and w[2] > w[0] and w[2] > w[1]
    single = LayerWeightedSum(3, 1, normalize=False)
    assert single.weights is None and torch.equal(single(states), states[:, :, 1])
    assert LayerWeightedSum(3, [0, 2]).weights.shape == (2,)
    with pytest.raises(ConfigError, match="5 is not a hidden state of this upstream"):
        LayerWeightedSum(3, [0, 5])
    with pytest.raises(ConfigError, match="must be all, a layer index or a list"):
        LayerWeightedSum(3, "last")


def test_dumped_input_of_the_wrong_size_is_refused(folders):
    with pytest.raises(ConfigError, match="dimension 80, but the upstream .* gives 3 hidden states of 32 \\(96"):
        UpstreamInput(80, {**CONF, "path": str(folders["whisper"])}, None, (3, 32), None)
    with pytest.raises(ConfigError, match="cannot be fine-tuned"):
        UpstreamInput(96, {**CONF, "path": str(folders["whisper"]), "freeze": "finetune"}, None, (3, 32), None)


@pytest.mark.skipif(not WHISPER_TINY.is_dir(), reason=f"the real Whisper tiny.en is not at {WHISPER_TINY}")
def test_real_whisper_pad_mode_equals_hugging_face_encoder():
    """With whisper_input pad, the states are those of transformers' WhisperEncoder on the 30 s
    padded log-mel of WhisperFeatureExtractor (the embedding output, 3 layers, the final layer norm)."""
    import numpy as np
    import transformers as tf

    wave = (0.1 * np.sin(np.arange(24000) / 16000 * 2 * np.pi * 220)).astype(np.float32)
    fe = tf.WhisperFeatureExtractor.from_pretrained(str(WHISPER_TINY), local_files_only=True)
    enc = tf.WhisperModel.from_pretrained(str(WHISPER_TINY), dtype=torch.float32,
                                          local_files_only=True).get_encoder().eval()
    up = load_upstream(WHISPER_TINY, whisper_input="pad").eval()
    with torch.no_grad():
        feats = torch.from_numpy(fe(wave, sampling_rate=16000, return_tensors="np")["input_features"])
        ref = enc(feats, output_hidden_states=True).hidden_states
        states, lens = up(torch.from_numpy(wave)[None], torch.tensor([wave.size]))
    n = int(lens[0])
    assert n == 75 and states.shape == (1, 75, 5, 384)
    for i in range(5):
        torch.testing.assert_close(states[0, :, i], ref[i][0, :n], atol=1e-4, rtol=1e-4)


def test_concatenated_states_keep_every_state():
    states = torch.randn(2, 7, 3, 8)
    cat = LayerWeightedSum(3, [0, 2], normalize=False, combine="concat")
    assert cat.weights is None and cat.output_size(8) == 16
    torch.testing.assert_close(cat(states), torch.cat([states[:, :, 0], states[:, :, 2]], dim=-1))
    with pytest.raises(ConfigError, match="combine.*'mean' is not one of weighted_sum, concat"):
        LayerWeightedSum(3, None, combine="mean")
