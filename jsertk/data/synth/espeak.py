"""espeak-ng through ctypes (the library and data ship in the `espeakng-loader` wheel).

espeak-ng keeps static state between utterances (the pitch-flutter index, the glottal phase),
so the same text and settings sound slightly different depending on what was spoken before.
To make every utterance depend only on its own settings, `Espeak.synthesize` runs each
synthesis in a child forked from the freshly initialised process: every child starts from
the same state. espeak-ng is GPL-3; it is loaded at run time, never bundled.
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH, PARAM_RANGE = 1, 2, 3, 4

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class EspeakError(RuntimeError):
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
    """One espeak-ng engine per process; `synthesize` returns int16 samples at `sample_rate`."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - part of tools/requirements.txt
            raise EspeakError("espeakng-loader is not installed (pip install espeakng-loader)") from e
        self._lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        self._data_path = espeakng_loader.get_data_path()
        self._lib.espeak_Initialize.restype = ctypes.c_int
        rate = self._lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 500, self._data_path.encode(),
                                           INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise EspeakError(f"espeak_Initialize failed ({rate}) with data at {self._data_path}")
        self.sample_rate = rate
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: the C library holds the pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    @property
    def variants_dir(self) -> str:
        return os.path.join(self._data_path, "voices", "!v")

    def _collect(self, wav, n: int, events) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def synthesize_here(self, text: str, voice: Voice, seed: int = 0) -> np.ndarray:
        """Synthesise in this process (output then depends on earlier calls; see module doc).
        `seed` seeds espeak's own random numbers, which it otherwise seeds from the clock."""
        variant = voice.name.partition("+")[2]
        if variant and not os.path.isfile(os.path.join(self.variants_dir, variant)):
            # espeak falls back to the plain voice silently; a missing variant is an error here.
            raise EspeakError(f"unknown espeak voice variant '{variant}' (not in {self.variants_dir})")
        if self._lib.espeak_SetVoiceByName(voice.name.encode()) != 0:
            raise EspeakError(f"espeak cannot load voice '{voice.name}'")
        for param, value in ((PARAM_RATE, voice.rate), (PARAM_VOLUME, voice.volume), (PARAM_PITCH, voice.pitch),
                             (PARAM_RANGE, voice.range)):
            self._lib.espeak_SetParameter(param, int(value), 0)
        self._lib.espeak_ng_SetRandSeed(ctypes.c_long(seed))
        self._chunks = []
        data = text.encode("utf-8")
        err = self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, CHARS_UTF8, None, None)
        if err != 0:
            raise EspeakError(f"espeak_Synth failed ({err}) on '{text}'")
        if not self._chunks:
            raise EspeakError(f"espeak produced no audio for '{text}' with {voice}")
        return np.concatenate(self._chunks)

    def synthesize(self, text: str, voice: Voice, seed: int = 0) -> np.ndarray:
        """Synthesise in a forked child, so the result depends only on `text`, `voice` and `seed`."""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: synthesise, send the samples (or the error) back, exit at once
            os.close(read_fd)
            status = 0
            try:
                payload = b"A" + self.synthesize_here(text, voice, seed).tobytes()
            except BaseException as e:  # noqa: BLE001 - every failure must reach the parent
                payload, status = b"E" + str(e).encode("utf-8", "replace"), 1
            try:
                with os.fdopen(write_fd, "wb") as f:
                    f.write(payload)
            finally:
                os._exit(status)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as f:
            payload = f.read()
        _, status = os.waitpid(pid, 0)
        if payload[:1] == b"E":
            raise EspeakError(payload[1:].decode("utf-8", "replace"))
        if status != 0 or payload[:1] != b"A":
            raise EspeakError(f"espeak child process failed (status {status}) on '{text}' with {voice}")
        return np.frombuffer(payload[1:], dtype=np.int16)
