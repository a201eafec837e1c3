"""Upstreams on disk: a local transformers model folder, loaded for `frontend.upstream`, and the
identity of features dumped from one (`upstream.yaml`, written by `jsertk dump-upstream`).

transformers is imported only here, and only when a config names an upstream, so `jsertk --help`
and fbank models never import it. Nothing is downloaded (`local_files_only`).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import yaml

from jsertk.features.extract import SIDE_TABLES
from jsertk.utils.errors import ConfigError

log = logging.getLogger("jsertk.upstream")

# config.json model_type -> transformers class name
FAMILIES = {"wav2vec2": "Wav2Vec2Model", "hubert": "HubertModel", "wavlm": "WavLMModel",
            "data2vec-audio": "Data2VecAudioModel", "whisper": "WhisperModel"}
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
DTYPES = ("float32", "float16", "bfloat16")
UPSTREAM_CONFIG = "upstream.yaml"
LEXICAL_CONFIG = "lexical.yaml"  # beside the Whisper decoder states of `jsertk dump-lexical`
LEXICAL_TABLES = SIDE_TABLES  # its 1-best and that transcript's confidence
LEXICAL_SCP = "lexical.scp"  # in a feature dir: where each utterance's decoder states are


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ConfigError("an upstream needs the transformers package: pip install 'transformers==5.24.0' "
                          "safetensors (tools/install.sh installs them)") from None
    return transformers


def whisper_encoder_output():
    """transformers' BaseModelOutput: how `generate` takes an encoder output computed beforehand."""
    return _transformers().modeling_outputs.BaseModelOutput


def read_upstream_config(path: str | Path) -> dict:
    """config.json of an upstream folder, checked: a folder, a supported model type."""
    path = Path(path)
    conf = path / "config.json"
    if not path.is_dir():
        raise ConfigError(f"upstream '{path}': not a folder (give a local transformers model folder with "
                          "config.json and model.safetensors)")
    if not conf.is_file():
        raise ConfigError(f"upstream '{path}': no config.json, so it is not a transformers model folder")
    try:
        config = json.loads(conf.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"{conf}: cannot read it: {e}") from None
    kind = config.get("model_type")
    if kind not in FAMILIES:
        raise ConfigError(f"upstream '{path}': model type '{kind}' is not supported; supported: "
                          f"{', '.join(FAMILIES)}")
    return config


def upstream_shape(path: str | Path) -> tuple[int, int]:
    """(number of hidden states, their dimension) of an upstream, from its config.json alone."""
    config = read_upstream_config(path)
    if config["model_type"] == "whisper":
        return int(config.get("encoder_layers", 4)) + 1, int(config["d_model"])
    return int(config.get("num_hidden_layers", 12)) + 1, int(config.get("hidden_size", 768))


def upstream_digest(path: str | Path) -> str:
    """SHA-256 of the upstream's config.json and weights: identifies it wherever it is moved."""
    path = Path(path)
    h = hashlib.sha256((path / "config.json").read_bytes())
    weights = [path / name for name in WEIGHT_FILES if (path / name).is_file()]
    if not weights:
        raise ConfigError(f"upstream '{path}': no weights ({' or '.join(WEIGHT_FILES)})")
    with open(weights[0], "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def load_upstream(path: str | Path, dtype: str = "float32", whisper_input: str = "crop"):
    """The `Upstream` module of a local model folder."""
    import torch

    from jsertk.models.upstream import Upstream

    config = read_upstream_config(path)
    if dtype not in DTYPES:
        raise ConfigError(f"config key 'frontend.upstream.dtype': '{dtype}' is not one of {', '.join(DTYPES)}")
    tf = _transformers()
    tf.utils.logging.disable_progress_bar()
    kind, path = config["model_type"], Path(path)
    cls = getattr(tf, FAMILIES[kind])
    try:
        model = cls.from_pretrained(str(path), dtype=getattr(torch, dtype), local_files_only=True)
    except (OSError, ValueError) as e:
        raise ConfigError(f"upstream '{path}': cannot load it as {cls.__name__}: {e}") from None
    pre = path / "preprocessor_config.json"
    if kind == "whisper":
        mel = tf.WhisperFeatureExtractor.from_pretrained(str(path), local_files_only=True) if pre.is_file() \
            else tf.WhisperFeatureExtractor(feature_size=model.config.num_mel_bins)
        return Upstream(kind, model.get_encoder(), mel_extractor=mel, whisper_input=whisper_input)
    # LayerDrop would skip layers while fine-tuning, and with them their hidden states
    for key in ("layerdrop", "encoder_layerdrop"):
        if hasattr(model.config, key):
            setattr(model.config, key, 0.0)
    if hasattr(model, "encoder") and hasattr(model.encoder, "layerdrop"):
        model.encoder.layerdrop = 0.0
    normalize = json.loads(pre.read_text(encoding="utf-8")).get("do_normalize", True) if pre.is_file() else True
    return Upstream(kind, model, normalize_wave=normalize, whisper_input=whisper_input)


def load_whisper_asr(path: str | Path, dtype: str = "float32"):
    """(WhisperForConditionalGeneration, WhisperFeatureExtractor, tokenizers.Tokenizer) of a local
    Whisper folder (config.json, weights, preprocessor_config.json, tokenizer.json)."""
    import torch

    config = read_upstream_config(path)
    path = Path(path)
    if config["model_type"] != "whisper":
        raise ConfigError(f"'{path}' is a {config['model_type']} model; transcribing needs a Whisper "
                          "encoder-decoder (WhisperForConditionalGeneration)")
    if not (path / "tokenizer.json").is_file():
        raise ConfigError(f"'{path}': no tokenizer.json, which turns Whisper's token ids into text")
    tf = _transformers()
    tf.utils.logging.disable_progress_bar()
    tf.utils.logging.set_verbosity_error()  # generate's deprecation notes about Whisper's own generation config
    try:
        from tokenizers import Tokenizer  # installed with transformers
    except ImportError:
        raise ConfigError("transcribing with Whisper needs the tokenizers package (pip install tokenizers)") from None

    try:
        model = tf.WhisperForConditionalGeneration.from_pretrained(str(path), dtype=getattr(torch, dtype),
                                                                    local_files_only=True)
    except (OSError, ValueError) as e:
        raise ConfigError(f"'{path}': cannot load it as WhisperForConditionalGeneration: {e}") from None
    extractor = tf.WhisperFeatureExtractor.from_pretrained(str(path), local_files_only=True)
    return model.eval(), extractor, Tokenizer.from_file(str(path / "tokenizer.json"))


def read_dump_identity(feat_dir: str | Path) -> dict | None:
    """The upstream.yaml of a dumped feature dir, or None for other features."""
    path = Path(feat_dir) / UPSTREAM_CONFIG
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dump_identity(path: str | Path, whisper_input: str) -> dict:
    """What upstream.yaml records of the upstream that made a feature dir."""
    config = read_upstream_config(path)
    states, dim = upstream_shape(path)
    return {"upstream": str(Path(path).resolve()), "digest": upstream_digest(path),
            "model_type": config["model_type"], "num_states": states, "dim": dim,
            "whisper_input": whisper_input if config["model_type"] == "whisper" else None,
            "layout": "frames x (states x dim), float16"}


def lexical_identity(path: str | Path, whisper_input: str, beam_size: int) -> dict:
    """What lexical.yaml records of the Whisper whose decoder states a dump holds."""
    config = read_upstream_config(path)
    if config["model_type"] != "whisper":
        raise ConfigError(f"'{path}' is a {config['model_type']} model; the lexical view's transcripts need a "
                          "Whisper encoder-decoder (WhisperForConditionalGeneration)")
    if whisper_input not in ("pad", "crop"):
        raise ConfigError(f"whisper_input must be pad or crop, got '{whisper_input}'")
    if beam_size < 1:
        raise ConfigError(f"the beam size must be >= 1, got {beam_size}")
    return {"whisper": str(Path(path).resolve()), "digest": upstream_digest(path), "dim": int(config["d_model"]),
            "whisper_input": whisper_input, "method": "greedy" if beam_size == 1 else "beam", "beam_size": beam_size,
            "layout": "(1 + tokens) x dim, float16: the decoder state at the last prompt token, then at each "
                      "1-best token"}


def read_lexical_identity(feat_dir: str | Path) -> dict | None:
    """The lexical.yaml of a dump-lexical dir, or None."""
    path = Path(feat_dir) / LEXICAL_CONFIG
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def whisper_lexical_identity(whisper: str | Path) -> dict:
    """What a model with lexical.source whisper_states records of its Whisper (lexical.yaml in the
    experiment dir): folder, digest and decoder dimension."""
    config = read_upstream_config(whisper)
    if config["model_type"] != "whisper":
        raise ConfigError(f"config key 'lexical.whisper': '{whisper}' is a {config['model_type']} model, not a "
                          "Whisper encoder-decoder")
    return {"whisper": str(Path(whisper).resolve()), "digest": upstream_digest(whisper), "dim": int(config["d_model"])}


def check_lexical_dirs(identity: dict, dirs) -> None:
    """The decoder states in each dir (lexical.scp and lexical.yaml) must come from the Whisper the
    model was trained with (same digest); raises ConfigError naming both."""
    for d in dirs:
        got = read_lexical_identity(d)
        if got is None:
            raise ConfigError(f"{d}: no {LEXICAL_CONFIG} beside its {LEXICAL_SCP}; write them with "
                              f"`jsertk dump-lexical DATA {d} --whisper {identity['whisper']}`")
        if got.get("digest") != identity["digest"]:
            raise ConfigError(f"{d}: its decoder states are from the Whisper {got.get('whisper')} (digest "
                              f"{str(got.get('digest'))[:12]}), but the model reads those of {identity['whisper']} "
                              f"(digest {identity['digest'][:12]}); dump them again with `jsertk dump-lexical "
                              f"... --whisper {identity['whisper']}`")


def check_dumped_features(feat_dirs, upstream: dict) -> None:
    """Every dir must hold hidden states of the upstream the config names (same weights, same
    Whisper input mode); fbank dirs are refused too. Raises ConfigError naming both sides."""
    want = dump_identity(upstream["path"], upstream["whisper_input"])
    for d in feat_dirs:
        got = read_dump_identity(d)
        if got is None:
            raise ConfigError(f"{d}: holds no upstream features (no {UPSTREAM_CONFIG}), but the config names the "
                              f"upstream {upstream['path']}: run `jsertk dump-upstream` on its data dir, or give the "
                              "data dir itself (with wav.scp) to compute the upstream on the fly")
        if got.get("digest") != want["digest"] or got.get("whisper_input") != want["whisper_input"]:
            raise ConfigError(f"{d}: its features are from the upstream {got.get('upstream')} (digest "
                              f"{str(got.get('digest'))[:12]}, whisper_input {got.get('whisper_input')}), but the "
                              f"config names {upstream['path']} (digest {want['digest'][:12]}, whisper_input "
                              f"{want['whisper_input']}); dump them again with the config's upstream")


def check_model_input(cfg: dict, dirs, input_dim: int) -> None:
    """For a config with an upstream: dumped feature dirs must come from that upstream (waveform
    input, dimension 1, needs no check)."""
    upstream = cfg.get("frontend", {}).get("upstream") or {}
    if upstream.get("path") and input_dim != 1:
        check_dumped_features(dirs, upstream)


def resolve_upstream(cfg: dict, model_dir: Path) -> None:
    """A packed model's upstream path, relative to the pack when it was copied in; a referenced one
    must still be the upstream the model was packed with (digest of upstream.yaml)."""
    conf = ((cfg.get("frontend") or {}).get("upstream") or {})
    if not conf.get("path"):
        return
    if not Path(conf["path"]).is_absolute() and (model_dir / conf["path"]).is_dir():
        conf["path"] = str(model_dir / conf["path"])  # copied into the pack (else: relative to the cwd)
    ident = model_dir / "upstream.yaml"
    if ident.is_file():
        want = yaml.safe_load(ident.read_text(encoding="utf-8"))["digest"]
        if not Path(conf["path"]).is_dir():
            raise ConfigError(f"{model_dir}: its upstream {conf['path']} is not there (pack with "
                              "--include-upstream for a self-contained folder)")
        if upstream_digest(conf["path"]) != want:
            raise ConfigError(f"{model_dir}: the upstream {conf['path']} differs from the one it was packed "
                              f"with (digest {want[:12]} in {ident})")
