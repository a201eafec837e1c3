"""The ASR task (`model: asr`): config sections, the tokenizer (copied into the experiment dir),
the transcript parser, and the `ASRModel` built from the config."""
from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from jsertk.tasks.base import Task
from jsertk.utils.atomic import atomic_dir
from jsertk.utils.config import ConfigError, OpenSection

TOKENIZER_SUBDIR = "tokenizer"
# The output layer of a model with no tokenizer (an acoustic-only joint model): CTC blank and
# <sos/eos> only, so the network keeps one shape; nothing is decoded from it.
NO_TOKENS = ["<blank>", "<sos/eos>"]
ENCODER_DEFAULTS = {"output_size": 256, "attention_heads": 4, "linear_units": 1024, "num_blocks": 12,
                    "input_layer": "conv2d", "dropout_rate": 0.1}
# jsertk's own encoders, and the defaults above they share (the others are conformer options)
OWN_ENCODERS = ("identity", "tdnn", "cnn2d")
SHARED_DEFAULTS = ("output_size", "dropout_rate")


def encoder_options(cfg: dict) -> dict:
    """encoder_conf as passed to the encoder: for `encoder: identity`, `tdnn` or `cnn2d`, without the layer
    options of the conformer defaults it inherits (they have no meaning there)."""
    conf = dict(cfg["encoder_conf"])
    if cfg["encoder"] in OWN_ENCODERS:
        conf = {k: v for k, v in conf.items() if k in SHARED_DEFAULTS or ENCODER_DEFAULTS.get(k, object()) != v}
    return conf


class AsrTask(Task):
    name = "asr"

    def defaults(self) -> dict:
        return {
            "tokenizer": "",  # tokenizer dir from `jsertk train-tokenizer` (copied into the experiment dir)
            "cmvn": "",  # Kaldi CMVN stats of the training features; "" = no normalisation
            # utterance_mvn: none, mean or mean_var (per utterance, after global CMVN);
            # freq_warp: training-time random frequency stretch of up to +-this share (0 = off);
            # specaug: ESPnet SpecAug keys over the defaults of jsertk.models.frontend
            # upstream: a pretrained speech encoder under the encoder (docs/upstreams.md); path "" = none
            # normalize: global (the cmvn stats), speaker (each speaker's own stats; docs/features.md)
            # or utterance (each utterance's own mean and variance); random_crop: training utterances
            # cut to a random segment of N frames, or of lo..hi frames with [lo, hi] (null or 0 = off;
            # emotion models only: a segment has no transcript to align with)
            "frontend": {"normalize": "global", "utterance_mvn": "none", "freq_warp": 0.0, "random_crop": None,
                         "apply_specaug": True,
                         "specaug": OpenSection(),
                         "upstream": {"path": "",  # local transformers folder (wav2vec2 hubert wavlm data2vec whisper)
                                      "layers": None,  # null/all: weighted sum of every state; [i, j]: of those; i: one
                                      "combine": "weighted_sum",  # or concat (states side by side)
                                      "layer_norm": True,  # normalise each state per frame before the sum
                                      "freeze": "frozen",  # frozen, finetune, top:N, after:N (updates)
                                      "dtype": "float32",  # upstream compute precision
                                      "whisper_input": "crop"}},  # Whisper: crop or pad (to 30 s)
            # or transformer, tdnn (small ECAPA-style, for little data), cnn2d (a thin ResNet over
            # the spectrogram, for little data), identity (no layers: the frontend's output, projected)
            "encoder": "conformer",
            "encoder_conf": OpenSection(ENCODER_DEFAULTS),
            "decoder": "none",  # or transformer
            "decoder_conf": OpenSection({"attention_heads": 4, "linear_units": 1024, "num_blocks": 3,
                                         "dropout_rate": 0.1}),
            "model_conf": {"ctc_weight": 1.0, "lsm_weight": 0.1, "ctc_dropout": 0.0},
        }

    def setup(self, cfg, expdir, training, tokenizer_optional=False):
        """With `tokenizer_optional` (a model that reads no transcripts), an empty 'tokenizer' key
        gives resources.tokenizer None."""
        from jsertk.text import Tokenizer, UnknownCounter

        expdir = Path(expdir)
        if tokenizer_optional and not cfg["tokenizer"]:
            return SimpleNamespace(tokenizer=None, unknown=UnknownCounter())
        if training:
            if not cfg["tokenizer"]:
                raise ConfigError("config key 'tokenizer' must name a tokenizer dir (jsertk train-tokenizer); only an "
                                  "acoustic-only joint model (asr_weight 0, lexical.source none) needs none")
            src, copy = Path(cfg["tokenizer"]), expdir / TOKENIZER_SUBDIR
            tokens = Tokenizer(src).tokens  # validate before copying
            if (copy / "tokens.txt").is_file() and Tokenizer(copy).tokens != tokens:
                raise ConfigError(f"config key 'tokenizer': {src} is not the tokenizer {expdir} was trained with "
                                  f"(its copy is {copy}); use a new --outdir for a new tokenizer")
            if src.resolve() != copy.resolve():
                with atomic_dir(copy) as tmp:
                    tmp.chmod(0o755)
                    for name in ("spm.model", "tokens.txt", "tokenizer.yaml"):
                        shutil.copy2(src / name, tmp / name)
        return SimpleNamespace(tokenizer=Tokenizer(expdir / TOKENIZER_SUBDIR), unknown=UnknownCounter())

    def label_parsers(self, resources):
        tok, unknown = resources.tokenizer, resources.unknown
        if tok is None:  # no transcripts are read
            return {}

        def parse_text(utt: str, value: str) -> list[int]:
            ids = tok.encode(value, unknown, utt)
            if not ids:
                raise ValueError("transcript is empty after normalisation")
            return ids

        return {"text": parse_text}

    def label_report(self, resources):
        u = resources.unknown
        return [u.summary("text")] if u.tokens else []

    def build(self, cfg, resources, input_dim, training):
        from jsertk.features.cmvn import read_mean_std
        from jsertk.models.asr import ASRModel

        cmvn = read_mean_std(cfg["cmvn"]) if training and cfg["cmvn"] else None
        specaug = dict(cfg["frontend"]["specaug"]) if training and cfg["frontend"]["apply_specaug"] else None
        tokens = resources.tokenizer.tokens if resources.tokenizer is not None else NO_TOKENS
        upstream = dict(cfg["frontend"]["upstream"])
        crop = cfg["frontend"]["random_crop"] if training else None
        if crop not in (None, 0) and cfg.get("asr_weight", 1.0) > 0:
            raise ConfigError("config key 'frontend.random_crop' cuts utterances apart from their transcripts: it "
                              "is for emotion models without an ASR loss (model jser with asr_weight: 0); set it to 0")
        shape = module = None
        if upstream["path"]:
            from jsertk.tasks.upstream import load_upstream, upstream_shape

            shape = upstream_shape(upstream["path"])
            if input_dim == 1:  # waveforms: the upstream runs inside the model
                module = load_upstream(upstream["path"], upstream["dtype"], upstream["whisper_input"])
        return ASRModel(input_dim, tokens, encoder=cfg["encoder"],
                        encoder_conf=encoder_options(cfg), decoder=cfg["decoder"],
                        decoder_conf=dict(cfg["decoder_conf"]), cmvn=cmvn, specaug=specaug,
                        utterance_mvn=cfg["frontend"]["utterance_mvn"],
                        freq_warp=cfg["frontend"]["freq_warp"] if training else 0.0,
                        upstream=upstream, upstream_shape=shape, upstream_module=module,
                        normalize=cfg["frontend"]["normalize"], random_crop=crop, **cfg["model_conf"])


def check_component_sections(cfg: dict) -> None:
    """Check the sections passed straight to ESPnet classes against their constructors, so that a
    mistyped key fails when the config is loaded rather than when (or silently after) the model is
    built: `encoder_conf` against the class `encoder` names, `decoder_conf` against the decoder's
    (unless `decoder` is none), `frontend.specaug` against SpecAug. Any model whose config has the
    ASR model's sections (asr, jser) is checked by `load_train_config`."""
    from jsertk.models.components import check_component_options

    check_component_options("encoder", cfg["encoder"], encoder_options(cfg))
    if cfg["decoder"] != "none":
        check_component_options("decoder", cfg["decoder"], cfg["decoder_conf"])
    check_component_options("specaug", "specaug", cfg["frontend"]["specaug"])
