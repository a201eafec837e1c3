"""Transcription with a pretrained Whisper from a local folder (`jsertk decode-asr --whisper DIR`).

Each utterance's audio (wav.scp and segments, resampled to 16 kHz) is padded to Whisper's 30 s
window and decoded by transformers' `generate`: greedy, or beam search with `beam_size`. The
text is normalised for scoring against lower-case, unpunctuated references (lower case, no
punctuation but apostrophes inside words, single spaces) unless `normalize` is off. Utterances
longer than 30 s are transcribed in 30 s pieces whose texts are joined.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from jsertk.data.datadir import DataDir
from jsertk.features.audio import UtteranceAudio
from jsertk.features.speed import resample
from jsertk.infer.asr import DecodeStats

RATE = 16000
WINDOW = 30 * RATE
_PUNCT = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")


def normalize_text(text: str) -> str:
    """Lower case, punctuation removed (apostrophes inside words kept), single spaces."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


class WhisperTranscriber:
    """A local Whisper folder, ready to transcribe 16 kHz waveforms."""

    def __init__(self, path: str | Path, device: str = "cpu", beam_size: int = 1, max_new_tokens: int = 128,
                 normalize: bool = True):
        import torch

        from jsertk.tasks.upstream import load_whisper_asr

        self.torch = torch
        self.model, self.extractor, self.tokenizer = load_whisper_asr(path)
        self.device = torch.device(device)
        self.model.to(self.device)
        self.beam_size, self.max_new_tokens, self.normalize = beam_size, max_new_tokens, normalize

    def transcribe(self, waves: list[np.ndarray]) -> list[str]:
        """Texts of a batch of waveforms (any length: pieces of 30 s are joined)."""
        pieces, owner = [], []
        for k, w in enumerate(waves):
            for start in range(0, max(len(w), 1), WINDOW):
                pieces.append(w[start: start + WINDOW])
                owner.append(k)
        feats = self.extractor(pieces, sampling_rate=RATE, return_tensors="pt")["input_features"]
        with self.torch.no_grad():
            ids = self.model.generate(feats.to(self.device, self.model.dtype), num_beams=self.beam_size,
                                      max_new_tokens=self.max_new_tokens)
        texts = [self.tokenizer.decode(row.tolist(), skip_special_tokens=True) for row in ids]
        joined = [" ".join(t.strip() for t, o in zip(texts, owner) if o == k) for k in range(len(waves))]
        return [normalize_text(t) if self.normalize else " ".join(t.split()) for t in joined]


def transcribe_dir(transcriber: WhisperTranscriber, data: str | Path, batch_size: int = 8,
                   progress=None) -> tuple[dict[str, str], DecodeStats]:
    """{utterance: text} for every utterance of the data dir `data` (wav.scp), and the timing."""
    d = DataDir(data)
    reader = UtteranceAudio(d)
    utts = sorted(d.utt2spk())
    stats, out = DecodeStats(), {}
    for start in range(0, len(utts), batch_size):
        batch = utts[start: start + batch_size]
        waves = []
        for utt in batch:
            samples, rate = reader.read(utt)
            waves.append(resample(samples, rate, RATE) if rate != RATE else samples)
        t0 = time.perf_counter()
        texts = transcriber.transcribe(waves)
        stats.decode_seconds += time.perf_counter() - t0
        stats.audio_seconds += sum(len(w) for w in waves) / RATE
        stats.utterances += len(batch)
        out.update(zip(batch, texts))
        if progress:
            progress(len(batch))
    return out, stats
