"""Tiny randomly initialised upstreams of every supported family, built from transformers config
classes and saved to a folder, so tests load them by path as a user's model folder would be."""
from __future__ import annotations

from pathlib import Path

import pytest

FAMILIES = ("wav2vec2", "wav2vec2_group", "hubert", "wavlm", "data2vec-audio", "whisper")
# the real model of ../shared/models (tests using it skip when it is absent)
WHISPER_TINY = Path(__file__).resolve().parents[2] / "shared" / "models" / "whisper-tiny.en"

_CONV = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
             conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8))


def make_upstream(folder: Path, family: str, seed: int = 0) -> Path:
    """Save a tiny `family` model (2 layers, dim 32) to `folder` and return it."""
    tf = pytest.importorskip("transformers")
    import torch

    torch.manual_seed(seed)
    pos = dict(num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    if family == "wav2vec2":
        model = tf.Wav2Vec2Model(tf.Wav2Vec2Config(feat_extract_norm="layer", do_stable_layer_norm=True, **_CONV,
                                                   **pos))
    elif family == "wav2vec2_group":
        model = tf.Wav2Vec2Model(tf.Wav2Vec2Config(feat_extract_norm="group", **_CONV, **pos))
    elif family == "hubert":
        model = tf.HubertModel(tf.HubertConfig(**_CONV, **pos))
    elif family == "wavlm":
        model = tf.WavLMModel(tf.WavLMConfig(feat_extract_norm="layer", num_buckets=16, max_bucket_distance=20,
                                             **_CONV, **pos))
    elif family == "data2vec-audio":
        model = tf.Data2VecAudioModel(tf.Data2VecAudioConfig(conv_pos_kernel_size=5, num_conv_pos_embeddings=5,
                                                             **_CONV))
    elif family == "whisper":
        model = tf.WhisperModel(tf.WhisperConfig(
            d_model=32, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
            encoder_ffn_dim=64, decoder_ffn_dim=64, num_mel_bins=80, vocab_size=100, pad_token_id=0,
            bos_token_id=1, eos_token_id=2, decoder_start_token_id=1, max_source_positions=1500,
            max_target_positions=32))
    else:
        raise ValueError(family)
    model.save_pretrained(str(folder))
    return folder


def states_dim(family: str) -> tuple[int, int]:
    """(hidden states, dimension) of a tiny model: the embedding output and 2 layers of 32."""
    return 3, 32


def make_whisper_asr(folder: Path, seed: int = 0) -> Path:
    """Save a tiny random WhisperForConditionalGeneration (dim 32) with what transcription needs
    beside it: a word-level tokenizer.json (ids 0-89 words, 90-95 special tokens as in Whisper,
    <|endoftext|> first), preprocessor_config.json and a generation config. It never ends a
    hypothesis: every 1-best is `max_new_tokens` words long."""
    tf = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    import torch

    torch.manual_seed(seed)
    eos, sot, notimestamps = 90, 91, 92
    config = tf.WhisperConfig(
        d_model=32, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=64, decoder_ffn_dim=64, num_mel_bins=80, vocab_size=96, pad_token_id=eos,
        bos_token_id=eos, eos_token_id=eos, decoder_start_token_id=sot, max_source_positions=1500,
        max_target_positions=64)
    model = tf.WhisperForConditionalGeneration(config)
    with torch.no_grad():  # special tokens scored 0 (proj_out is tied to the embedding): the 1-best is words
        model.model.decoder.embed_tokens.weight[eos:] = 0.0
    model.generation_config = tf.GenerationConfig(
        decoder_start_token_id=sot, eos_token_id=eos, pad_token_id=eos, bos_token_id=eos,
        forced_decoder_ids=[[1, notimestamps]], no_timestamps_token_id=notimestamps, max_length=64,
        is_multilingual=False)
    model.save_pretrained(str(folder))
    vocab = {f"w{i}": i for i in range(eos)}
    vocab.update({"<|endoftext|>": eos, "<|startoftranscript|>": sot, "<|notimestamps|>": notimestamps,
                  "<|a|>": 93, "<|b|>": 94, "<|c|>": 95})
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tok.decoder = tokenizers.decoders.WordPiece(prefix="##")
    tok.add_special_tokens([t for t, i in vocab.items() if i >= eos])
    tok.save(str(folder / "tokenizer.json"))
    tf.WhisperFeatureExtractor(feature_size=80).save_pretrained(str(folder))
    return folder
