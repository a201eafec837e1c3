"""`Recognizer`: emotion, dimensions and transcript of audio with a packed joint ASR-SER model.

>>> rec = Recognizer.from_dir("exp/jser/packed", device="cpu")
>>> for result in rec.recognize_files(["a.wav", "b.wav"]):
...     print(result)  # {"utt", "transcript", "emotion", "posteriors", "arousal", "valence", "dominance"}
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch

from jsertk.models.components import min_input_frames
from jsertk.utils.errors import InputError

log = logging.getLogger("jsertk.infer")


class Recognizer:
    def __init__(self, model, tokenizer, fbank_config, device: str | torch.device = "cpu"):
        """`fbank_config` None: the model reads audio (its upstream runs on 16 kHz waveforms)."""
        from jsertk.features.fbank import FbankExtractor

        self.model, self.tokenizer, self.device = model, tokenizer, torch.device(device)
        self.fbank = FbankExtractor(fbank_config) if fbank_config is not None else None
        self.classes = list(model.classes)
        self.min_frames = min_input_frames(model)
        self._resampled: set[int] = set()  # rates already logged
        from jsertk.models.frontend import wants_speaker_stats

        if wants_speaker_stats(model):
            log.warning("the model normalises each speaker by their own statistics (frontend.normalize: speaker); "
                        "single files have no speaker, so the training set's global statistics are used instead")

    @classmethod
    def from_dir(cls, packed: str | os.PathLike, device: str = "cpu", check: bool = True) -> "Recognizer":
        """Load a folder written by `jsertk pack` (checksums verified unless `check` is false)."""
        import yaml

        from jsertk.features.fbank import FbankConfig
        from jsertk.infer.pack import FBANK_CONFIG, verify
        from jsertk.tasks.experiment import load_model

        if device == "cuda" and not torch.cuda.is_available():
            raise InputError("--device cuda: no CUDA device is available")
        if check:
            verify(packed)
        model, _, resources = load_model(packed, "model.pth", device)
        if getattr(model, "reads_lexical_states", False):
            raise InputError(f"{packed}: its lexical view reads Whisper decoder states dumped per utterance "
                             "(lexical.source: whisper_states), which single audio files do not have; decode a "
                             "feature dir with `jsertk dump-lexical` and `jsertk decode` instead")
        fbank_file = Path(packed) / FBANK_CONFIG
        fbank = FbankConfig(**yaml.safe_load(fbank_file.read_text())) if fbank_file.is_file() else None
        return cls(model, resources.tokenizer, fbank, device)

    def features(self, path: str) -> np.ndarray:
        """Fbank of an audio file (resampled to the model's rate); AudioError names the file."""
        from jsertk.features.audio import AudioError, read_file
        from jsertk.features.speed import resample

        samples, rate = read_file(path)
        target = 16000 if self.fbank is None else self.fbank.config.sample_rate
        if rate != target and rate not in self._resampled:
            self._resampled.add(rate)
            log.info("resampling %d Hz audio to %d Hz (first: %s)", rate, target, path)
        if self.fbank is None:  # an upstream model: the waveform at 16 kHz, (samples, 1)
            samples = resample(samples, rate, 16000) if rate != 16000 else samples
            if samples.size < 400:
                raise AudioError(path, f"too short: {samples.size} samples at 16 kHz, the upstream needs 400")
            return samples.astype(np.float32)[:, None]
        cfg = self.fbank.config
        if rate != cfg.sample_rate:
            samples = resample(samples, rate, cfg.sample_rate)
        feats = self.fbank(samples.astype(np.float32), path)
        if len(feats) < self.min_frames:
            raise AudioError(path, f"too short: {len(feats)} frames, the model needs at least {self.min_frames}")
        return feats

    @torch.no_grad()
    def recognize_features(self, utts: list[str], feats: list[np.ndarray]) -> list[dict]:
        from jsertk.infer.ser import predict_batch

        lens = torch.tensor([len(f) for f in feats])
        batch = torch.zeros(len(feats), int(lens.max()), feats[0].shape[1])
        for k, f in enumerate(feats):
            batch[k, : len(f)] = torch.from_numpy(f)
        results = predict_batch(self.model, self.tokenizer, batch.to(self.device), lens.to(self.device), utts)
        out = []
        for r in results:
            item = {"utt": r.utt, "transcript": r.text, "emotion": r.emotion,
                    "posteriors": {c: round(float(p), 6) for c, p in zip(self.classes, r.posteriors)}}
            if r.dims is not None:
                item.update(arousal=round(r.dims[0], 6), valence=round(r.dims[1], 6), dominance=round(r.dims[2], 6))
            out.append(item)
        return out

    def recognize_files(self, paths: Iterable[str], batch_size: int = 1,
                        on_error=None) -> Iterator[dict]:
        """One result per readable file, in order; the utterance id is the file name without extension.
        An unreadable file is passed to `on_error(path, error)` (default: raise) and skipped."""
        from jsertk.features.audio import AudioError

        pending: list[tuple[str, np.ndarray]] = []
        for path in paths:
            try:
                pending.append((path, self.features(path)))
            except (AudioError, OSError, RuntimeError) as e:
                if on_error is None:
                    raise
                on_error(path, e)
            if len(pending) >= batch_size:
                yield from self._run(pending)
                pending = []
        if pending:
            yield from self._run(pending)

    def _run(self, items: list[tuple[str, np.ndarray]]) -> list[dict]:
        results = self.recognize_features([Path(p).stem for p, _ in items], [f for _, f in items])
        for r, (p, _) in zip(results, items):
            r["path"] = str(p)
        return results
