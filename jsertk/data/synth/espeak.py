"""espeak-ng from Python: the library and its data ship in the `espeakng-loader` wheel.

Two things make espeak-ng's output vary from run to run, and both are removed here: it seeds
its random numbers from the clock (we seed them per utterance), and it keeps static state
between utterances (the pitch-flutter index, the glottal phase), so the same text sounds
slightly different depending on what was spoken before. Each synthesis therefore runs in a
child forked from a lean process holding a freshly initialised engine (espeak_zygote.py):
every child starts from the same state. espeak-ng is GPL-3; it is loaded at run time through
ctypes, never bundled.
"""
from __future__ import annotations

import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jsertk.data.synth import espeak_zygote as protocol
from jsertk.utils.errors import JsertkError


class EspeakError(JsertkError):
    pass


@dataclass(frozen=True)
class Voice:
    """What espeak is told for one utterance: voice name (`en-us+m3`) and its four parameters."""
    name: str
    rate: int = 175  # words per minute, 80..450
    pitch: int = 50  # 0..100, relative to the variant's base pitch (50 = the variant's own)
    range: int = 50  # 0..100, pitch range (0 = monotone)
    volume: int = 100  # 0..200; loudness is better set after synthesis (high values clip)


class Espeak:
    """A client of one espeak process; `synthesize` returns int16 samples at `sample_rate`."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - part of tools/requirements.txt
            raise EspeakError("espeakng-loader is not installed (pip install espeakng-loader)") from e
        self.data_path = espeakng_loader.get_data_path()
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(protocol.__file__)), espeakng_loader.get_library_path(),
             self.data_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        header = self._read(4)
        self.sample_rate = struct.unpack("<i", header)[0]
        if self.sample_rate <= 0:
            raise EspeakError(f"espeak_Initialize failed ({self.sample_rate}) with data at {self.data_path}")

    def _read(self, n: int) -> bytes:
        assert self._proc.stdout is not None
        data = protocol.read_exact(self._proc.stdout, n)
        if data is None:
            raise EspeakError(f"the espeak process ended unexpectedly (exit status {self._proc.poll()})")
        return data

    def synthesize(self, text: str, voice: Voice, seed: int = 0) -> np.ndarray:
        """Samples of `text` spoken with `voice`; the same arguments always give the same samples."""
        assert self._proc.stdin is not None
        name, data = voice.name.encode("utf-8"), text.encode("utf-8")
        self._proc.stdin.write(protocol.REQUEST.pack(seed, int(voice.rate), int(voice.pitch), int(voice.range),
                                                     int(voice.volume), len(name), len(data)) + name + data)
        self._proc.stdin.flush()
        status, length = protocol.ANSWER.unpack(self._read(protocol.ANSWER.size))
        payload = self._read(length) if length else b""
        if status != b"A":
            raise EspeakError(payload.decode("utf-8", "replace"))
        return np.frombuffer(payload, dtype=np.int16)

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=10)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
