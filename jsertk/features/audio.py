"""Audio of a data directory: wav.scp entries (files, Kaldi `cmd |` pipes, `ark:offset`), segments.

Samples come back as float32 in [-1, 1], channels averaged to mono (logged once per channel
count). Every failure is an `AudioError` naming the file or command and what is wrong;
`UtteranceAudio.read` adds the utterance id. Besides unreadable, empty and truncated audio,
samples that are not finite (NaN or Inf, possible in float WAVs) and digital silence (every
sample 0, which carries nothing and gives constant features) are errors; clipped audio (at
least 1% of the samples at full scale) is used, with a warning naming it.
"""
from __future__ import annotations

import io
import logging
import os
import re
import subprocess
from functools import lru_cache

import numpy as np
import soundfile as sf

from jsertk.data.datadir import DataDir
from jsertk.data.schema import Segment
from jsertk.features.noise import (
    GENERATED,
    NOISE_COMMAND,
    add_noise_at_snr,
    check_noise,
    excerpt,
    generated_noise,
    parse_noise_command,
)
from jsertk.features.speed import change_speed, parse_speed_command, resample, to_pcm16
from jsertk.utils.errors import JsertkError

# Kaldi's extract-segments default: a segment may end this far past the audio (it is cut
# to the audio's end); a segment ending further out is an error.
MAX_SEGMENT_OVERSHOOT_S = 0.5

log = logging.getLogger("jsertk.audio")
CLIPPED_FRACTION = 0.01  # samples at full scale (|x| >= 32767/32768) above which audio counts as clipped
_FULL_SCALE = 32767 / 32768
_downmixed: set[int] = set()  # channel counts already logged

_WAV_DATA_SHORT = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


class AudioError(JsertkError):
    """Audio that cannot be used; `source` is the file or command, `utt` the utterance (if known)."""

    def __init__(self, source: str, reason: str, utt: str | None = None):
        self.source, self.reason, self.utt = source, reason, utt
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"utterance '{self.utt}': " if self.utt else ""
        return f"{where}{self.source}: {self.reason}"

    def for_utterance(self, utt: str) -> "AudioError":
        return AudioError(self.source, self.reason, utt)


def _mono(data: np.ndarray, source: str = "audio") -> np.ndarray:
    if data.ndim == 2:
        if data.shape[1] > 1 and data.shape[1] not in _downmixed:
            _downmixed.add(data.shape[1])
            log.info("averaging %d-channel audio to mono (first: %s)", data.shape[1], source)
        data = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    return np.ascontiguousarray(data, dtype=np.float32)


def check_samples(samples: np.ndarray, source: str) -> np.ndarray:
    """`samples` if usable: AudioError for non-finite values or digital silence, a warning for clipping."""
    finite = np.isfinite(samples)
    if not finite.all():
        bad = int(samples.size - finite.sum())
        raise AudioError(source, f"{bad} of {samples.size} samples are not finite (NaN or Inf), first at sample "
                                 f"{int(np.argmin(finite))}")
    peak = np.abs(samples)
    if samples.size and not peak.any():
        raise AudioError(source, f"audio is digital silence (all {samples.size} samples are 0)")
    clipped = int((peak >= _FULL_SCALE).sum())
    if clipped >= CLIPPED_FRACTION * samples.size and clipped > 1:
        log.warning("%s: clipped audio (%d of %d samples, %.1f%%, at full scale); used as it is", source, clipped,
                    samples.size, 100.0 * clipped / samples.size)
    return samples


def _region(frames: int, rate: int, source: str, segment: Segment | None,
            max_overshoot: float) -> tuple[int, int]:
    """Sample range [begin, end) of `segment` in audio of `frames` samples (the whole audio for None)."""
    if segment is None:
        return 0, frames
    begin = int(round(segment.start * rate))
    end = frames if segment.end == -1 else int(round(segment.end * rate))
    length_s = frames / rate
    if begin >= frames:
        raise AudioError(source, f"segment starts at {segment.start:.3f}s, at or after the end of the audio "
                                 f"({length_s:.3f}s)")
    if end > frames + max_overshoot * rate:
        raise AudioError(source, f"segment ends at {segment.end:.3f}s, {segment.end - length_s:.3f}s past the end of "
                                 f"the audio ({length_s:.3f}s; at most {max_overshoot}s is tolerated)")
    return begin, min(end, frames)


def _check_not_truncated(f: sf.SoundFile, source: str) -> None:
    """A WAV whose data chunk is shorter than its header says (libsndfile reads what is there)."""
    if f.format != "WAV":
        return
    m = _WAV_DATA_SHORT.search(f.extra_info)
    # 0xFFFFFFFF / 0x7FFFFFFF: a header written while streaming, length unknown; not truncation.
    if m and int(m.group(2)) < int(m.group(1)) and int(m.group(1)) not in (0xFFFFFFFF, 0x7FFFFFFF):
        raise AudioError(source, f"truncated audio: the header announces {m.group(1)} bytes of samples "
                                 f"but the file holds {m.group(2)}")


def _read_soundfile(handle, source: str, segment: Segment | None, max_overshoot: float,
                    check_truncation: bool) -> tuple[np.ndarray, int]:
    try:
        f = sf.SoundFile(handle)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(source, f"cannot read audio ({e})") from None
    with f:
        if check_truncation:
            _check_not_truncated(f, source)
        if f.frames == 0:
            raise AudioError(source, "audio is empty (0 samples)")
        begin, end = _region(f.frames, f.samplerate, source, segment, max_overshoot)
        try:
            f.seek(begin)
            data = f.read(end - begin, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise AudioError(source, f"cannot read audio ({e})") from None
        if len(data) < end - begin:
            raise AudioError(source, f"truncated audio: read {begin + len(data)} of {f.frames} samples")
        return check_samples(_mono(data, source), source), f.samplerate


def read_file(path: str, segment: Segment | None = None,
              max_overshoot: float = MAX_SEGMENT_OVERSHOOT_S) -> tuple[np.ndarray, int]:
    """Samples of an audio file (any format libsndfile reads); only the segment's region is read."""
    if not os.path.isfile(path):
        raise AudioError(path, "audio file not found" if not os.path.exists(path) else "not a regular file")
    return _read_soundfile(path, path, segment, max_overshoot, check_truncation=True)


def run_pipe(command: str, env: dict[str, str] | None = None) -> bytes:
    """stdout of a wav.scp pipe command (`bash -o pipefail`: a failure anywhere in it counts)."""
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, env=env)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {err[-1]}" if err else ""
        raise AudioError(f"command '{command}'", f"failed with exit code {proc.returncode}{detail}")
    if not proc.stdout:
        raise AudioError(f"command '{command}'", "produced no output")
    return proc.stdout


def decode_bytes(data: bytes, source: str, segment: Segment | None = None,
                 max_overshoot: float = MAX_SEGMENT_OVERSHOOT_S) -> tuple[np.ndarray, int]:
    # Streamed WAV headers (e.g. from sox) carry no real length, so no truncation check here;
    # a command that dies early is caught by its exit status instead.
    return _read_soundfile(io.BytesIO(data), source, segment, max_overshoot, check_truncation=False)


def _ark_offset(value: str) -> tuple[str, int] | None:
    head, sep, tail = value.rpartition(":")
    if sep and head and tail.isdigit() and not os.path.isfile(value):
        return head, int(tail)
    return None


def read_ark_wav(path: str, offset: int, source: str) -> tuple[np.ndarray, int]:
    """A WAV stored in a Kaldi ark (`foo.ark:1234`), as written by Kaldi's wav-copy."""
    import kaldiio

    if not os.path.isfile(path):
        raise AudioError(source, "audio file not found")
    try:
        loaded = kaldiio.load_mat(f"{path}:{offset}")
    except Exception as e:  # kaldiio raises assorted errors for bad offsets and formats
        raise AudioError(source, f"cannot read audio from the ark ({e})") from None
    if not isinstance(loaded, tuple):
        raise AudioError(source, "the ark entry holds a matrix, not audio")
    rate, data = loaded
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / 32768.0
    samples = _mono(np.asarray(data), source)
    if samples.size == 0:
        raise AudioError(source, "audio is empty (0 samples)")
    return check_samples(samples, source), int(rate)


def read_entry(value: str, segment: Segment | None = None,
               max_overshoot: float = MAX_SEGMENT_OVERSHOOT_S) -> tuple[np.ndarray, int]:
    """Samples and rate of one wav.scp value: a path, `cmd |`, or `file.ark:offset`."""
    value = value.strip()
    if value.endswith("|"):
        command = value[:-1].strip()
        speed = parse_speed_command(command)
        if speed is not None:  # our own speed-perturbation pipe: same result, no process started
            samples, rate = speed_audio(*speed)
            return cut(samples, rate, f"command '{command}'", segment, max_overshoot)
        noisy = parse_noise_command(command)
        if noisy is not None:  # our own additive-noise pipe, likewise
            pcm, rate = noise_audio_pcm16(*noisy)
            return cut(pcm.astype(np.float32) / 32768.0, rate, f"command '{command}'", segment, max_overshoot)
        return decode_bytes(run_pipe(command), f"command '{command}'", segment, max_overshoot)
    ark = _ark_offset(value)
    if ark is not None:
        samples, rate = read_ark_wav(*ark, source=value)
        return cut(samples, rate, value, segment, max_overshoot)
    return read_file(value, segment, max_overshoot)


def speed_audio_pcm16(factor: float, source: str) -> tuple[np.ndarray, int]:
    """What `jsertk speed-audio FACTOR SOURCE` writes: the audio of a wav.scp value at `factor`
    speed, as 16-bit samples (the form Kaldi tools read from a pipe)."""
    samples, rate = read_entry(source)
    return to_pcm16(change_speed(samples, factor)), rate


@lru_cache(maxsize=64)  # MUSAN's noise recordings are reused across many utterances
def _noise_recording(path: str, rate: int) -> np.ndarray:
    samples, file_rate = read_file(path)
    return resample(samples, file_rate, rate)


def noise_excerpt(noise: str, n: int, rate: int, seed: int) -> np.ndarray:
    """`n` samples of `noise` (a file or `generated:<colour>`) at `rate` Hz: generated from `seed`,
    or the recording's excerpt starting at a place `seed` picks (repeated when shorter than `n`)."""
    check_noise(noise)
    if noise.startswith(GENERATED):
        return generated_noise(noise[len(GENERATED):], n, rate, seed)
    return excerpt(_noise_recording(noise, int(rate)), n, seed)


def noise_audio_pcm16(snr: float, noise: str, seed: int, source: str,
                      stdin: bytes | None = None) -> tuple[np.ndarray, int]:
    """What `jsertk noise-audio SNR NOISE SEED SOURCE` writes: the audio of a wav.scp value (or of
    the WAV bytes `stdin` for SOURCE `-`) with NOISE added at SNR dB, as 16-bit samples."""
    samples, rate = decode_bytes(stdin or b"", "stdin") if source == "-" else read_entry(source)
    try:
        excerpt = noise_excerpt(noise, samples.size, rate, seed)
    except JsertkError as e:
        raise AudioError(f"{NOISE_COMMAND} {noise}", str(e)) from None
    return to_pcm16(add_noise_at_snr(samples, excerpt, snr)), rate


def noise_audio_wav(snr: float, noise: str, seed: int, source: str, stdin: bytes | None = None) -> bytes:
    """A 16-bit WAV of what `jsertk noise-audio` writes."""
    pcm, rate = noise_audio_pcm16(snr, noise, seed, source, stdin)
    buf = io.BytesIO()
    sf.write(buf, pcm, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def speed_audio(factor: float, source: str) -> tuple[np.ndarray, int]:
    """The samples `jsertk speed-audio` would write, as float32 in [-1, 1]."""
    pcm, rate = speed_audio_pcm16(factor, source)
    return pcm.astype(np.float32) / 32768.0, rate



def speed_audio_wav(factor: float, source: str, stdin: bytes | None = None) -> bytes:
    """What `jsertk speed-audio FACTOR SOURCE` writes: a 16-bit WAV of SOURCE (a wav.scp value, or
    `-` with the WAV bytes of standard input in `stdin`) at `factor` speed."""
    from jsertk.features.speed import check_factors

    check_factors([factor])
    if source == "-":
        samples, rate = decode_bytes(stdin or b"", "stdin")
        pcm = to_pcm16(change_speed(samples, factor))
    else:
        pcm, rate = speed_audio_pcm16(factor, source)
    buf = io.BytesIO()
    sf.write(buf, pcm, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()

def cut(samples: np.ndarray, rate: int, source: str, segment: Segment | None,
        max_overshoot: float = MAX_SEGMENT_OVERSHOOT_S) -> tuple[np.ndarray, int]:
    """The segment's part of audio already in memory."""
    if samples.size == 0:
        raise AudioError(source, "audio is empty (0 samples)")
    if segment is None:
        return samples, rate
    begin, end = _region(samples.size, rate, source, segment, max_overshoot)
    return check_samples(samples[begin:end], source), rate


class UtteranceAudio:
    """Reads the audio of each utterance of a data dir, through `segments` when it exists.

    The last whole recording read from a pipe or ark is kept, so that consecutive segments
    of one recording run its command once; segments of plain files read only their region.
    """

    def __init__(self, data: DataDir, max_overshoot: float = MAX_SEGMENT_OVERSHOOT_S):
        self.data = data
        self.wav = data.raw("wav.scp")
        self.segments = data.segments()
        self.max_overshoot = max_overshoot
        self._cached: tuple[str, tuple[np.ndarray, int] | AudioError] | None = None

    def source_of(self, utt: str) -> str:
        """The file or command `utt` is read from, for messages."""
        segment = self.segments.get(utt) if self.segments is not None else None
        rec = segment.recording if segment is not None else utt
        return _source_name(self.wav.get(rec, "").strip())

    def read(self, utt: str) -> tuple[np.ndarray, int]:
        """Samples (float32, mono, [-1, 1]) and sample rate of `utt`; AudioError names the utterance."""
        try:
            return self._read(utt)
        except AudioError as e:
            raise e.for_utterance(utt) from None

    def _read(self, utt: str) -> tuple[np.ndarray, int]:
        segment = self.segments.get(utt) if self.segments is not None else None
        if self.segments is not None and segment is None:
            raise AudioError(str(self.data.file("segments")), "utterance has no entry in segments")
        rec = segment.recording if segment is not None else utt
        value = self.wav.get(rec)
        if value is None:
            raise AudioError(str(self.data.file("wav.scp")), f"recording '{rec}' is not in wav.scp")
        value = value.strip()
        if segment is None or not (value.endswith("|") or _ark_offset(value)):
            return read_entry(value, segment, self.max_overshoot)
        whole = self._whole(value)
        return cut(*whole, _source_name(value), segment, self.max_overshoot)

    def _whole(self, value: str) -> tuple[np.ndarray, int]:
        if self._cached is None or self._cached[0] != value:
            try:
                result: tuple[np.ndarray, int] | AudioError = read_entry(value, None, self.max_overshoot)
            except AudioError as e:
                result = e
            self._cached = (value, result)
        result = self._cached[1]
        if isinstance(result, AudioError):
            raise AudioError(result.source, result.reason)
        return result


def _source_name(value: str) -> str:
    return f"command '{value[:-1].strip()}'" if value.endswith("|") else value

