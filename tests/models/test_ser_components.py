"""Lexical branch, fusion, heads and the adversarial autoencoder: shapes, masking and learning."""
from __future__ import annotations

import pytest
import torch

from jsertk.models.aae import AdversarialAutoencoder
from jsertk.models.fusion import FUSION_TYPES, Fusion
from jsertk.models.heads import ccc_loss, masked_cross_entropy
from jsertk.models.lexical import LEXICAL_SOURCES, LexicalBranch, collapse_ctc_spikes
from jsertk.models.pooling import AttentiveStatsPooling, MaxPooling, masked_mean


def one_hot_frames(labels, vocab=5):
    return torch.nn.functional.one_hot(torch.tensor(labels), vocab).float()


def test_collapse_ctc_spikes_one_vector_per_emitted_token():
    # frames: blank a a blank b b b blank a  -> tokens a, b, a (a repeated after blank is a new token)
    post = one_hot_frames([0, 1, 1, 0, 2, 2, 2, 0, 1])
    silent = one_hot_frames([0] * 9)
    vecs, lens, toks = collapse_ctc_spikes(torch.stack([post, silent]), torch.tensor([9, 4]))
    assert toks == [[1, 2, 1], []]
    assert lens.tolist() == [3, 1]
    assert torch.equal(vecs[0, 1], one_hot_frames([2])[0])
    assert torch.equal(vecs[1, 0], one_hot_frames([0])[0])  # nothing said: the mean over frames


def test_collapse_respects_lengths_and_is_differentiable():
    logits = torch.randn(1, 12, 6, requires_grad=True)
    vecs, lens, _ = collapse_ctc_spikes(torch.softmax(logits, -1), torch.tensor([7]))
    # a weighted sum: the plain sum of posteriors is constant (each frame sums to 1), its gradient 0
    (vecs * torch.arange(1.0, 7.0)).sum().backward()
    assert logits.grad[0, 7:].abs().sum() == 0 and logits.grad[0, :7].abs().sum() > 0


@pytest.mark.parametrize("source", LEXICAL_SOURCES)
def test_lexical_branch_sources(source):
    branch = LexicalBranch(source, vocab_size=11, decoder_dim=24, dim=32, num_layers=1, heads=2, external_dim=20)
    inputs = {"ctc_posteriors": torch.softmax(torch.randn(3, 5, 11), -1), "decoder_states": torch.randn(3, 5, 24),
              "hyp_embeddings": torch.randint(0, 11, (3, 5)), "whisper_states": torch.randn(3, 5, 20)}[source]
    out = branch(inputs, torch.tensor([5, 3, 1]))
    assert out.shape == (3, 5, 32) and torch.isfinite(out).all()


def test_whisper_states_without_their_dimension_is_an_error():
    with pytest.raises(ValueError, match="Whisper decoder's dimension"):
        LexicalBranch("whisper_states", vocab_size=11)


def test_decoder_states_without_decoder_is_an_error():
    with pytest.raises(ValueError, match="needs an attention decoder"):
        LexicalBranch("decoder_states", vocab_size=11)


def test_pooling_ignores_padding():
    x = torch.randn(2, 6, 4)
    lens = torch.tensor([6, 3])
    padded = x.clone()
    padded[1, 3:] = 1e4
    assert torch.allclose(masked_mean(x, lens)[1], x[1, :3].mean(0))
    pool = AttentiveStatsPooling(4)
    assert torch.allclose(pool(x, lens)[1], pool(padded, lens)[1])


@pytest.mark.parametrize("kind", FUSION_TYPES)
def test_fusion_types_shapes_and_padding(kind):
    torch.manual_seed(0)
    fusion = Fusion(kind, acoustic_dim=16, lexical_dim=8, dim=32, heads=2).eval()
    a, lx = torch.randn(2, 10, 16), torch.randn(2, 4, 8)
    a_lens, lx_lens = torch.tensor([10, 6]), torch.tensor([4, 2])
    out = fusion(a, a_lens, lx, lx_lens)
    assert out.shape == (2, 32)
    a2, lx2 = a.clone(), lx.clone()
    a2[1, 6:], lx2[1, 2:] = 99.0, 99.0
    assert torch.allclose(fusion(a2, a_lens, lx2, lx_lens)[1], out[1], atol=1e-5)


def test_masked_losses():
    logits = torch.randn(4, 3, requires_grad=True)
    targets = torch.tensor([0, 1, 2, 0])
    mask = torch.tensor([True, False, True, False])
    loss, n = masked_cross_entropy(logits, targets, mask)
    expected = torch.nn.functional.cross_entropy(logits[[0, 2]], targets[[0, 2]], reduction="sum")
    assert n == 2 and torch.allclose(loss, expected)
    zero, n0 = masked_cross_entropy(logits, targets, torch.zeros(4, dtype=torch.bool))
    assert n0 == 0 and zero.item() == 0.0 and zero.requires_grad
    y = torch.randn(6, 3)
    perfect, n = ccc_loss(y, y, torch.ones(6, dtype=torch.bool))
    assert n == 6 and perfect.item() == pytest.approx(0.0, abs=1e-5)
    worse, _ = ccc_loss(y + 1.0, y, torch.ones(6, dtype=torch.bool))
    assert worse.item() > 0.5


@pytest.mark.slow
def test_aae_learns_to_reconstruct_and_classify():
    torch.manual_seed(0)
    classes = 3
    centers = torch.randn(classes, 12) * 3
    labels = torch.randint(0, classes, (256,))
    x = centers[labels] + 0.3 * torch.randn(256, 12)
    aae = AdversarialAutoencoder(12, classes, z_dim=4, hidden=64)
    opt = torch.optim.Adam(aae.parameters(), lr=3e-3)
    first = None
    labelled = torch.arange(256) < 32  # only an eighth carries labels
    for step in range(300):
        out = aae(x)
        ce, n = masked_cross_entropy(out["logits"], labels, labelled)
        loss = (out["recon"] + 0.1 * (out["disc"] + out["gen"])) / 256 + ce / n
        if first is None:
            first = out["recon"].item() / 256
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = aae(x)
    assert out["recon"].item() / 256 < 0.5 * first
    accuracy = (out["logits"].argmax(-1) == labels)[~labelled].float().mean().item()
    assert accuracy > 0.9


def test_aae_adversarial_gradients_reach_only_their_side():
    aae = AdversarialAutoencoder(8, 2, z_dim=3, hidden=16)
    out = aae(torch.randn(5, 8))
    out["gen"].backward(retain_graph=True)
    assert all(p.grad is None for p in aae.disc_z.parameters())
    assert any(p.grad is not None for p in aae.encoder.parameters())
    aae.zero_grad()
    out["disc"].backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in aae.encoder.parameters())
    assert any(p.grad is not None for p in aae.disc_y.parameters())


def test_cnn_lexical_encoder_ignores_padding_and_max_pooling_finds_a_keyword():
    torch.manual_seed(0)
    branch = LexicalBranch("ctc_posteriors", vocab_size=11, dim=8, encoder="cnn", widths=(3, 4)).eval()
    x = torch.rand(2, 7, 11)
    lens = torch.tensor([7, 4])
    out = branch(x, lens)
    assert out.shape == (2, 7, 16) and bool((out[1, 4:] == 0).all())
    x2 = x.clone()
    x2[1, 4:] = 50.0  # padding content must not reach the real positions' pooled value
    pool = MaxPooling(16)
    assert torch.allclose(pool(branch(x2, lens), lens)[1], pool(out, lens)[1])
    seq = torch.zeros(1, 5, 3)
    seq[0, 3, 2] = 4.0  # the "keyword" sits at position 3 of 5
    assert pool(seq, torch.tensor([5])).tolist() == [[0.0, 0.0, 4.0]]
    with pytest.raises(ValueError, match="lexical encoder"):
        LexicalBranch("ctc_posteriors", vocab_size=11, encoder="lstm")


def test_fusion_rejects_an_unknown_lexical_pooling():
    with pytest.raises(ValueError, match="lexical pooling"):
        Fusion("concat", acoustic_dim=16, lexical_dim=8, lexical_pooling="median")


def test_mean_std_pooling_and_a_linear_head():
    from jsertk.models.heads import ClassifierHead
    from jsertk.models.pooling import StatsPooling, acoustic_pooling

    x = torch.randn(2, 6, 3)
    lens = torch.tensor([6, 4])
    pooled = StatsPooling(3)(x, lens)
    torch.testing.assert_close(pooled[1, :3], x[1, :4].mean(0))
    torch.testing.assert_close(pooled[1, 3:], x[1, :4].std(0, unbiased=False))
    assert isinstance(acoustic_pooling("mean_std", 3), StatsPooling)
    with pytest.raises(ValueError, match="heads.pooling 'max'"):
        acoustic_pooling("max", 3)
    head = ClassifierHead(6, 4, hidden=0)
    assert [type(m).__name__ for m in head.net] == ["Dropout", "Linear"]


def test_tdnn_encoder_keeps_frames_and_ignores_padding_in_eval():
    from jsertk.models.tdnn import TdnnEncoder

    torch.manual_seed(0)
    enc = TdnnEncoder(20, output_size=24, channels=16, dilations=(2, 3), se_bottleneck=8).eval()
    x = torch.randn(2, 50, 20)
    lens = torch.tensor([50, 31])
    y, out_lens, _ = enc(x, lens)
    assert y.shape == (2, 50, 24) and out_lens.tolist() == [50, 31] and enc.output_size() == 24
    alone, _, _ = enc(x[1:, :31], lens[1:])
    assert torch.allclose(y[1, :31], alone[0], atol=1e-5)  # the padding of the batch changed nothing
    assert torch.all(y[1, 31:] == 0)
    with pytest.raises(ValueError, match="dilations"):
        TdnnEncoder(20, dilations=(0,))


def test_cnn2d_encoder_strides_time_as_asked_and_ignores_padding_in_eval():
    from jsertk.models.cnn2d import Cnn2dEncoder

    torch.manual_seed(0)
    x = torch.randn(2, 51, 20)
    lens = torch.tensor([51, 31])
    for stride, frames in ((1, [51, 31]), (2, [26, 16])):
        enc = Cnn2dEncoder(20, output_size=24, channels=(4, 8, 8), time_stride=stride).eval()
        y, out_lens, _ = enc(x, lens)
        assert y.shape == (2, frames[0], 24) and out_lens.tolist() == frames and enc.output_size() == 24
        alone, _, _ = enc(x[1:, :31], lens[1:])
        assert torch.allclose(y[1, :frames[1]], alone[0], atol=1e-5)  # the padding of the batch changed nothing
        assert torch.all(y[1, frames[1]:] == 0)
    # 80 bins: 40 after the stem, then 20 and 10; odd sizes round up
    assert Cnn2dEncoder(80, channels=(2, 3, 5)).project[0].in_channels == 5 * 10
    assert Cnn2dEncoder(83, channels=(2, 3, 5)).project[0].in_channels == 5 * 11
    with pytest.raises(ValueError, match="channels"):
        Cnn2dEncoder(20, channels=())
    with pytest.raises(ValueError, match="time_stride"):
        Cnn2dEncoder(20, time_stride=3)


@pytest.mark.parametrize("encoder, encoder_conf, typo", [
    ("tdnn", {"output_size": 32, "channels": 16, "dilations": [2, 3]}, ("dilatons", "dilations")),
    ("cnn2d", {"output_size": 32, "channels": [4, 8], "time_stride": 2}, ("time_strid", "time_stride"))])
def test_small_data_encoders_from_the_config_train_an_acoustic_only_model(tmp_path, encoder, encoder_conf, typo):

    import yaml
    from helpers import make_data_dir
    from jser_helpers import ACOUSTIC_ONLY, fbank_dir, write_jser_config

    from jsertk.train import run_training
    from jsertk.utils.errors import ConfigError

    def config(path, encoder_conf):
        write_jser_config(path, None, None, **ACOUSTIC_ONLY)
        cfg = yaml.safe_load(path.read_text())
        cfg.update(encoder=encoder, encoder_conf=encoder_conf)  # replaces the tiny conformer's options
        path.write_text(yaml.safe_dump(cfg))
        return path

    feats = fbank_dir(make_data_dir(tmp_path / "data", speakers=("a", "b")), tmp_path / "dump")
    # the conformer options of the task's defaults (attention_heads, ...) are not passed on
    run_training(config(tmp_path / "c.yaml", encoder_conf), [feats], [feats], tmp_path / "exp")
    assert (tmp_path / "exp" / "model.pth").is_file()
    bad = config(tmp_path / "b.yaml", {**encoder_conf, typo[0]: 2})
    with pytest.raises(ConfigError, match=f"{typo[0]}.*did you mean '{typo[1]}'"):
        run_training(bad, [feats], [feats], tmp_path / "exp_bad")
