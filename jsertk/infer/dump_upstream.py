"""`jsertk dump-upstream`: every hidden state of a frozen upstream, computed once and stored as features.

Each utterance becomes a (frames, L x D) float16 matrix (the L hidden states of dimension D side
by side, 50 frames per second for the families supported), written to ark/scp by the same job and
merge machinery as fbank (`jsertk.features.compute`); `upstream.yaml` beside them names the
upstream (its folder, SHA-256 digest, model type, shape and Whisper input mode). A model whose
config names the same upstream reads them as its input; one naming another upstream refuses them
(`jsertk.tasks.upstream.check_dumped_features`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from jsertk.features.audio import AudioError
from jsertk.tasks.upstream import UPSTREAM_CONFIG, dump_identity, load_upstream


@dataclass
class UpstreamDumpConfig:
    config_name: ClassVar[str] = UPSTREAM_CONFIG
    path: str
    whisper_input: str = "crop"
    dtype: str = "float32"  # compute precision; the stored features are float16
    device: str = "cpu"
    sample_rate: int = 16000
    _identity: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._identity = dump_identity(self.path, self.whisper_input)

    def as_dict(self) -> dict:
        return dict(self._identity)

    def extractor(self) -> "UpstreamExtractor":
        return UpstreamExtractor(self)


class UpstreamExtractor:
    """float samples at 16 kHz -> (frames, L x D) float16 hidden states, one utterance at a time."""

    def __init__(self, config: UpstreamDumpConfig):
        import torch

        self.torch = torch
        self.device = torch.device(config.device)
        self.upstream = load_upstream(config.path, config.dtype, config.whisper_input).to(self.device).eval()

    def __call__(self, samples: np.ndarray, source: str = "audio") -> np.ndarray:
        torch = self.torch
        wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None].to(self.device)
        lens = torch.tensor([wave.size(1)])
        if int(self.upstream.frames_of(lens)[0]) < 1:
            raise AudioError(source, f"audio is {samples.size} samples ({samples.size / 16000:.3f}s), too short "
                                     f"for the upstream ({self.upstream.kind})")
        with torch.no_grad():
            states, out_lens = self.upstream(wave, lens.to(self.device))
        states = states[0, : int(out_lens[0])]
        return states.reshape(states.size(0), -1).to(torch.float16).cpu().numpy()
