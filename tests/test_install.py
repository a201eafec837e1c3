"""The environment tools/install.sh builds: every module the architecture relies on imports."""
import importlib

import pytest

ESPNET_MODULES = [
    "espnet2.asr.encoder.conformer_encoder",
    "espnet2.asr.encoder.transformer_encoder",
    "espnet2.asr.decoder.transformer_decoder",
    "espnet2.asr.ctc",
    "espnet.nets.beam_search",
    "espnet.nets.scorers.ctc",
    "espnet.nets.pytorch_backend.transformer.label_smoothing_loss",
]
OTHER_MODULES = ["torch", "kaldiio", "kaldi_native_fbank", "soundfile", "sentencepiece", "jiwer", "typer", "yaml",
                 "matplotlib", "espeakng_loader", "scipy.signal"]


@pytest.mark.parametrize("name", ESPNET_MODULES + OTHER_MODULES)
def test_module_imports(name):
    importlib.import_module(name)


def test_torch_is_the_pinned_version():
    import os

    import torch

    assert torch.__version__.split("+")[0] == os.environ.get("TORCH_VERSION", "2.13.0")


def test_espnet_conformer_builds_and_runs():
    import torch
    from espnet2.asr.encoder.conformer_encoder import ConformerEncoder

    enc = ConformerEncoder(input_size=80, output_size=32, attention_heads=2, linear_units=64, num_blocks=1,
                           input_layer="conv2d")
    out, lens, _ = enc(torch.randn(2, 50, 80), torch.tensor([50, 40]))
    assert out.shape[0] == 2 and out.shape[2] == 32
    assert lens.tolist()[0] > lens.tolist()[1]
