"""Worker side: turn a speaker or an utterance plan into audio. One espeak engine per worker
process, created by `init_worker` (the pool's initializer)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from jsertk.data.synth import audio
from jsertk.data.synth.espeak import Espeak, Voice
from jsertk.data.synth.plan import Utterance
from jsertk.data.synth.prosody import BASE_LEVEL_DB
from jsertk.data.synth.sentences import spoken_form
from jsertk.data.synth.voices import NEUTRAL_RATE_WPM, PROBE_TEXT, Speaker

_engine: Espeak | None = None


def init_worker() -> None:
    global _engine
    from multiprocessing.util import Finalize

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _engine = Espeak()
    # Pool workers end without atexit; this stops (and waits for) the espeak process.
    Finalize(_engine, _engine.close, exitpriority=10)


def _espeak() -> Espeak:
    if _engine is None:
        init_worker()
    assert _engine is not None
    return _engine


def speech(text: str, voice: Voice, warp: int, level_db: float, seed: int = 0) -> np.ndarray:
    """Clean speech at 16 kHz at the given speech level."""
    engine = _espeak()
    x = engine.synthesize(text, voice, seed)
    return audio.set_level(audio.warp_and_resample(x, engine.sample_rate, warp), level_db)


def probe_f0(speaker: Speaker) -> float:
    """Median F0 of the probe sentence in the speaker's neutral voice."""
    from jsertk.data.synth.f0 import measure

    voice = Voice(speaker.voice_name, rate=round(NEUTRAL_RATE_WPM * speaker.rate_factor), pitch=speaker.pitch)
    return measure(speech(PROBE_TEXT, voice, speaker.warp, BASE_LEVEL_DB), audio.SAMPLE_RATE).f0_median


def render(utt: Utterance, speaker: Speaker, path: Path) -> int:
    """Write the utterance's wav at `path` (skipped when it exists); its number of samples."""
    if path.is_file():
        import soundfile as sf

        return sf.info(str(path)).frames
    p = utt.prosody
    voice = Voice(speaker.voice_name, rate=p.rate, pitch=p.pitch, range=p.range)
    y = speech(spoken_form(utt.text), voice, speaker.warp, p.level_db, seed=utt.noise_seed)
    y = audio.pad_and_mix(y, utt.lead, utt.trail, utt.noise_kind, utt.snr_db, np.random.default_rng(utt.noise_seed))
    samples = audio.to_int16(audio.soft_limit(y))
    audio.write_wav(path, samples)
    return samples.size


def render_batch(batch: list[tuple[Utterance, Speaker, Path]]) -> list[tuple[str, int]]:
    return [(u.utt, render(u, s, p)) for u, s, p in batch]
