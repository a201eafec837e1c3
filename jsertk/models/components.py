"""ESPnet encoders, decoders and SpecAug built from a config name plus keyword section.

`build_component("encoder", "conformer", {...}, input_size=80)` passes the section to ESPnet's
class; an argument the class does not take is a ConfigError naming its key path.
`check_component_options` is that check alone, without building anything: the task runs it when
the config is loaded, so a mistyped key fails before any data is read or training starts.
"""
from __future__ import annotations

import difflib
import inspect

import torch

from jsertk.models import espnet_import  # noqa: F401
from jsertk.utils.config import ConfigError


class IdentityEncoder(torch.nn.Module):
    """No encoder layers: the frontend's output (an upstream's weighted sum, typically), optionally
    projected to `output_size` (0 = keep the input size) with dropout. ESPnet's encoder interface."""

    def __init__(self, input_size: int, output_size: int = 0, dropout_rate: float = 0.0):
        super().__init__()
        self._size = output_size or input_size
        self.proj = torch.nn.Linear(input_size, output_size) if output_size else torch.nn.Identity()
        self.dropout = torch.nn.Dropout(dropout_rate)

    def output_size(self) -> int:
        return self._size

    def forward(self, xs_pad: torch.Tensor, ilens: torch.Tensor, prev_states=None):
        return self.dropout(self.proj(xs_pad)), ilens, None


def _classes(kind: str) -> dict:
    if kind == "encoder":
        from espnet2.asr.encoder.conformer_encoder import ConformerEncoder
        from espnet2.asr.encoder.transformer_encoder import TransformerEncoder

        from jsertk.models.cnn2d import Cnn2dEncoder
        from jsertk.models.tdnn import TdnnEncoder

        return {"conformer": ConformerEncoder, "transformer": TransformerEncoder, "identity": IdentityEncoder,
                "tdnn": TdnnEncoder, "cnn2d": Cnn2dEncoder}
    if kind == "decoder":
        from espnet2.asr.decoder.transformer_decoder import TransformerDecoder

        return {"transformer": TransformerDecoder}
    if kind == "specaug":
        from espnet2.asr.specaug.specaug import SpecAug

        return {"specaug": SpecAug}
    raise ValueError(f"unknown component kind {kind!r}")


# kind -> (config key path of its options section, arguments the code passes itself)
SECTIONS = {"encoder": ("encoder_conf", ("input_size",)),
            "decoder": ("decoder_conf", ("vocab_size", "encoder_output_size")),
            "specaug": ("frontend.specaug", ())}


def check_component_options(kind: str, name: str, conf: dict, fixed: tuple[str, ...] = ()) -> type:
    """The ESPnet class of `kind` ("encoder", "decoder", "specaug") named `name`, after checking that
    every key of `conf` is an argument of its constructor. Arguments the code fills in itself
    (input_size, vocab_size, encoder_output_size, and any in `fixed`) are not options. A ConfigError
    names the full key path (e.g. 'encoder_conf.num_blok') and the closest option, if any."""
    classes = _classes(kind)
    if name not in classes:
        raise ConfigError(f"config key '{kind}': '{name}' is not one of {', '.join(classes)}")
    cls = classes[name]
    path, own = SECTIONS[kind]
    params = inspect.signature(cls.__init__).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return cls  # takes any keyword: nothing to check against
    options = [p.name for p in params if p.name != "self" and p.kind is not inspect.Parameter.VAR_POSITIONAL
               and p.name not in (*own, *fixed)]
    for key in conf:
        if key in (*own, *fixed):
            raise ConfigError(f"config key '{path}.{key}' is not an option of {cls.__name__}: "
                              "jsertk sets it itself (from the data and the model)")
        if key not in options:
            close = difflib.get_close_matches(str(key), options, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"config key '{path}.{key}' is not an option of {cls.__name__}{hint} "
                              f"(options: {', '.join(options)})")
    return cls


# Options applied unless the config sets them: ESPnet's current relative positional encoding and
# the macaron feed-forward of its conformer recipes (the class defaults are the legacy ones).
PRESETS = {("encoder", "conformer"): {"rel_pos_type": "latest", "pos_enc_layer_type": "rel_pos",
                                      "selfattention_layer_type": "rel_selfattn", "macaron_style": True}}


def build_component(kind: str, name: str, conf: dict, **fixed) -> torch.nn.Module:
    """An ESPnet `kind` ("encoder"/"decoder"/"specaug") of type `name` with the options `conf` (key
    path in SECTIONS) and the arguments `fixed` the code passes (input_size=..., vocab_size=...)."""
    cls = check_component_options(kind, name, conf, tuple(fixed))
    try:
        return cls(**fixed, **{**PRESETS.get((kind, name), {}), **conf})
    except (TypeError, ValueError, AssertionError) as e:
        raise ConfigError(f"config key '{SECTIONS[kind][0]}': {cls.__name__} rejected the options: {e}") from None


def min_input_frames(model: torch.nn.Module) -> int:
    """Shortest input a model's ESPnet encoder (`model.encoder`) accepts, set by its subsampling
    front: 7 frames for conv2d, 11 for conv2d6, 15 for conv2d8; 1 without subsampling. For an
    ensemble (`model.members`), the longest of its members'."""
    from espnet.nets.pytorch_backend.transformer.subsampling import check_short_utt

    if hasattr(model, "members"):
        return max(min_input_frames(m) for m in model.members)

    return max(1, check_short_utt(getattr(getattr(model, "encoder", None), "embed", None), 0)[1])
