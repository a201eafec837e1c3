"""ASR model pieces: Kaldi CMVN stats, SpecAugment only in training, config errors, losses and masking."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from jsertk.models.asr import ASRModel
from jsertk.models.frontend import Frontend
from jsertk.utils.config import ConfigError

TOKENS = ["<blank>", "<unk>", "▁", "a", "b", "c", "<sos/eos>"]
ENC = {"output_size": 32, "attention_heads": 2, "linear_units": 64, "num_blocks": 1, "cnn_module_kernel": 5}


def test_frontend_normalises_and_augments_only_in_training():
    mean, std = np.full(8, 2.0, np.float32), np.full(8, 4.0, np.float32)
    fe = Frontend(8, (mean, std), specaug={"apply_time_warp": False, "freq_mask_width_range": [4, 5],
                                           "num_freq_mask": 1, "apply_time_mask": False})
    x, lens = torch.full((2, 50, 8), 6.0), torch.tensor([50, 30])
    fe.eval()
    y, _ = fe(x, lens)
    assert torch.allclose(y[0], torch.ones(50, 8)) and torch.all(y[1, 30:] == 0)
    fe.train()
    y, _ = fe(x, lens)
    assert (y[0] == 0).all(dim=0).sum() == 4  # four whole frequency channels masked


def test_utterance_mvn_removes_per_utterance_offsets_and_ignores_padding():
    x = torch.randn(2, 40, 8) * 3 + torch.tensor([5.0, -2.0])[:, None, None]
    lens = torch.tensor([40, 25])
    x[1, 25:] = 100.0  # padding must not count
    for mode in ("mean", "mean_var"):
        y, _ = Frontend(8, utterance_mvn=mode).eval()(x, lens)
        for k, n in enumerate(lens.tolist()):
            assert torch.allclose(y[k, :n].mean(0), torch.zeros(8), atol=1e-5)
            if mode == "mean_var":
                assert torch.allclose(y[k, :n].std(0, unbiased=False), torch.ones(8), atol=1e-3)
        assert torch.all(y[1, 25:] == 0)
    with pytest.raises(ConfigError, match="frontend.utterance_mvn"):
        Frontend(8, utterance_mvn="speaker")


def test_utterance_mvn_of_an_utterance_does_not_depend_on_its_batch():
    """Why frontend.utterance_mvn is not ESPnet's: both agree on an unpadded utterance, but ESPnet's
    counts the padding of a batch in the variance and leaves padded frames at -mean."""
    from espnet2.layers.utterance_mvn import utterance_mvn as espnet_utterance_mvn

    from jsertk.models.frontend import utterance_mvn

    torch.manual_seed(0)
    x = torch.randn(1, 30, 8) * 3 + 5
    batch = torch.zeros(2, 60, 8)
    batch[0, :30], batch[1] = x[0], torch.randn(60, 8)
    lens = torch.tensor([30, 60])
    for norm_vars in (False, True):
        alone = utterance_mvn(x, torch.tensor([30]), norm_vars)
        padded = utterance_mvn(batch, lens, norm_vars)
        assert torch.allclose(padded[0, :30], alone[0], atol=1e-6) and torch.all(padded[0, 30:] == 0)
        espnet_alone, _ = espnet_utterance_mvn(x.clone(), torch.tensor([30]), norm_vars=norm_vars, eps=1e-5)
        assert torch.allclose(alone, espnet_alone, atol=1e-5)
    espnet_padded, _ = espnet_utterance_mvn(batch.clone(), lens, norm_vars=True, eps=1e-5)
    assert not torch.allclose(espnet_padded[0, :30], alone[0], atol=1e-2)


def test_frequency_warp_moves_energy_along_bins_in_training_only():
    x = torch.zeros(64, 5, 20)
    x[:, :, 10] = 1.0
    fe = Frontend(20, freq_warp=0.2)
    fe.eval()
    assert torch.equal(fe(x, torch.full((64,), 5))[0], x)
    fe.train()
    torch.manual_seed(0)
    y, _ = fe(x, torch.full((64,), 5))
    centre = (y[:, 0] * torch.arange(20.0)).sum(1) / y[:, 0].sum(1)
    assert 8.0 <= centre.min() < 9.9 and 10.1 < centre.max() <= 12.5  # 10 / 1.2 .. 10 / 0.8
    with pytest.raises(ConfigError, match="frontend.freq_warp"):
        Frontend(20, freq_warp=0.7)


def test_random_crop_cuts_contiguous_segments_in_training_only():
    # frame t of utterance b holds the value t in every channel: a crop must be a run t0, t0+1, ...
    x = torch.arange(40.0)[None, :, None].expand(64, 40, 3).clone()
    lens = torch.tensor([40, 12] * 32)
    x[1::2, 12:] = 0.0
    fe = Frontend(3, random_crop=[15, 25])
    fe.eval()
    y, out_lens = fe(x, lens)
    assert torch.equal(y, x) and torch.equal(out_lens, lens)  # decoding sees the whole utterance
    fe.train()
    torch.manual_seed(0)
    y, out_lens = fe(x, lens)
    assert y.size(1) == int(out_lens.max()) <= 25
    assert torch.all(out_lens[1::2] == 12)  # shorter than the shortest crop: kept whole
    assert 15 <= int(out_lens[0::2].min()) < int(out_lens[0::2].max()) <= 25
    starts = []
    for seg, n, full in zip(y, out_lens.tolist(), lens.tolist()):
        t0 = int(seg[0, 0])
        assert torch.equal(seg[:n, 0], torch.arange(t0, t0 + n, dtype=torch.float32)) and t0 + n <= full
        assert torch.all(seg[n:] == 0)
        starts.append(t0)
    assert len(set(starts[0::2])) > 5  # the start is drawn, not always 0
    for bad in (-5, [30, 20], [10], "long", True):
        with pytest.raises(ConfigError, match="frontend.random_crop"):
            Frontend(3, random_crop=bad)


def test_unknown_specaug_and_encoder_keys_name_their_path():
    with pytest.raises(ConfigError, match="frontend.specaug"):
        Frontend(8, specaug={"no_such_option": 1})
    with pytest.raises(ConfigError, match="encoder_conf.num_layers.*ConformerEncoder"):
        ASRModel(8, TOKENS, encoder_conf={"num_layers": 2})
    with pytest.raises(ConfigError, match="'decoder': 'rnn'"):
        ASRModel(8, TOKENS, encoder_conf=ENC, decoder="rnn", ctc_weight=0.5)
    with pytest.raises(ConfigError, match="model_conf.ctc_weight"):
        ASRModel(8, TOKENS, encoder_conf=ENC, ctc_weight=0.5)  # no decoder: CTC must carry all the weight


def _batch(mask):
    torch.manual_seed(0)
    n = len(mask)
    text = torch.tensor([[3, 4, 5], [4, 4, -1], [5, -1, -1]][:n])
    return {"feats": torch.randn(n, 60, 8), "feat_lens": torch.tensor([60, 50, 40][:n]), "text": text,
            "text_lens": (text >= 0).sum(1), "text_mask": torch.tensor(mask)}


@pytest.mark.parametrize("decoder", ["none", "transformer"])
def test_losses_and_masking(decoder):
    torch.manual_seed(0)
    conf = {"attention_heads": 2, "linear_units": 32, "num_blocks": 1}
    enc = {k: v for k, v in ENC.items() if k != "cnn_module_kernel"}
    m = ASRModel(8, TOKENS, encoder="transformer", encoder_conf=enc, decoder=decoder, decoder_conf=conf,
                 ctc_weight=1.0 if decoder == "none" else 0.3)
    out = m(_batch([True, True, True]))
    assert out["loss"].requires_grad and torch.isfinite(out["loss"])
    assert out["stats"]["loss"][1] == 3
    assert ("loss_att" in out["stats"]) == (decoder != "none")
    out["loss"].backward()
    # an utterance without a transcript does not count; none at all gives no loss
    m.eval()
    with torch.no_grad():
        masked = m(_batch([True, False, True]))
        assert masked["stats"]["loss_ctc"][1] == 2 and "cer" in masked["stats"]
        assert m(_batch([False, False, False]))["loss"] is None
