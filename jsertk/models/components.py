"""ESPnet encoders and decoders built from a config name plus keyword section.

`build_component("encoder", "conformer", {...}, input_size=80)` passes the section to ESPnet's
class; an argument the class does not take is a ConfigError naming its key path.
"""
from __future__ import annotations

import inspect

import torch

from jsertk.utils.config import ConfigError
from jsertk.models import espnet_import  # noqa: F401


def _classes(kind: str) -> dict:
    if kind == "encoder":
        from espnet2.asr.encoder.conformer_encoder import ConformerEncoder
        from espnet2.asr.encoder.transformer_encoder import TransformerEncoder

        return {"conformer": ConformerEncoder, "transformer": TransformerEncoder}
    from espnet2.asr.decoder.transformer_decoder import TransformerDecoder

    return {"transformer": TransformerDecoder}


# Options applied unless the config sets them: ESPnet's current relative positional encoding and
# the macaron feed-forward of its conformer recipes (the class defaults are the legacy ones).
PRESETS = {("encoder", "conformer"): {"rel_pos_type": "latest", "pos_enc_layer_type": "rel_pos",
                                      "selfattention_layer_type": "rel_selfattn", "macaron_style": True}}


def build_component(kind: str, name: str, conf: dict, **fixed) -> torch.nn.Module:
    """An ESPnet `kind` ("encoder"/"decoder") of type `name` with the options `conf` (key path `<kind>_conf`)."""
    classes = _classes(kind)
    if name not in classes:
        raise ConfigError(f"config key '{kind}': '{name}' is not one of {', '.join(classes)}")
    cls = classes[name]
    params = inspect.signature(cls.__init__).parameters
    for key in conf:
        if key not in params or key in fixed:
            known = ", ".join(p for p in params if p not in ("self", *fixed))
            raise ConfigError(f"config key '{kind}_conf.{key}' is not an option of {cls.__name__} (options: {known})")
    try:
        return cls(**fixed, **{**PRESETS.get((kind, name), {}), **conf})
    except (TypeError, ValueError, AssertionError) as e:
        raise ConfigError(f"config key '{kind}_conf': {cls.__name__} rejected the options: {e}") from None


def min_input_frames(model: torch.nn.Module) -> int:
    """Shortest input a model's ESPnet encoder (`model.encoder`) accepts, set by its subsampling
    front: 7 frames for conv2d, 11 for conv2d6, 15 for conv2d8; 1 without subsampling."""
    from espnet.nets.pytorch_backend.transformer.subsampling import check_short_utt

    return max(1, check_short_utt(getattr(getattr(model, "encoder", None), "embed", None), 0)[1])
