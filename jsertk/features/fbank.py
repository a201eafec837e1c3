"""Log mel filterbank features, identical to Kaldi's compute-fbank-feats (kaldi-native-fbank),
optionally with Kaldi's pitch features appended (`pitch: true`, as Kaldi's make_fbank_pitch.sh).

Samples are scaled to the 16-bit range before extraction, as Kaldi reads them, so the
features (and a `--dither` value) mean the same as in Kaldi.

The pitch columns are those of compute-and-process-kaldi-pitch-feats (the same arithmetic, in
kaldi-native-fbank): the probability of voicing (POV) feature, the log pitch with the mean of a
1.5 s window around each frame subtracted, and its delta; with `pitch_raw_log` (the default) the
log pitch itself as a fourth. The windowed normalisation suits ASR, which wants pitch movement and
not the speaker's register; for emotion the level matters as well (raised in anger and fear,
lowered in sadness), and a frontend's per-speaker normalisation turns the raw log pitch into the
level relative to the speaker's own.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from jsertk.features.audio import AudioError
from jsertk.utils.errors import InputError

INT16_SCALE = 32768.0


@dataclass(frozen=True)
class FbankConfig:
    config_name: ClassVar[str] = "fbank.yaml"  # written beside the features it made
    num_mel_bins: int = 80
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    dither: float = 0.0  # Kaldi's default is 1.0; 0 keeps features reproducible run to run
    sample_rate: int = 16000
    low_freq: float = 20.0
    high_freq: float = 0.0  # 0: the Nyquist frequency; negative: that far below it (Kaldi)
    snip_edges: bool = True
    pitch: bool = False  # append Kaldi's pitch features (3 columns, 4 with pitch_raw_log)
    pitch_min_f0: float = 50.0  # Hz; Kaldi's default search range
    pitch_max_f0: float = 400.0
    pitch_raw_log: bool = True  # add the un-normalised log pitch (read only with pitch: true)

    def __post_init__(self) -> None:
        problems = []
        if self.num_mel_bins < 1:
            problems.append(f"num_mel_bins must be >= 1, got {self.num_mel_bins}")
        if self.sample_rate <= 0:
            problems.append(f"sample_rate must be positive, got {self.sample_rate}")
        if self.frame_shift_ms <= 0 or self.frame_length_ms <= 0:
            problems.append("frame length and shift must be positive")
        if self.dither < 0:
            problems.append(f"dither must be >= 0, got {self.dither}")
        nyquist = self.sample_rate / 2
        high = self.high_freq if self.high_freq > 0 else nyquist + self.high_freq
        if not 0 <= self.low_freq < high <= nyquist:
            problems.append(f"need 0 <= low_freq < high_freq <= {nyquist:g} Hz (Nyquist), got low_freq "
                            f"{self.low_freq:g} and high_freq {self.high_freq:g} (= {high:g} Hz)")
        if self.pitch and not 0 < self.pitch_min_f0 < self.pitch_max_f0 < nyquist:
            problems.append(f"need 0 < pitch_min_f0 < pitch_max_f0 < {nyquist:g} Hz, got {self.pitch_min_f0:g} "
                            f"and {self.pitch_max_f0:g}")
        if problems:
            raise InputError("fbank options: " + "; ".join(problems))

    @property
    def window_samples(self) -> int:
        return int(self.sample_rate * self.frame_length_ms / 1000)

    @property
    def dim(self) -> int:
        """Columns of a feature matrix: the mel bins, then the pitch features."""
        return self.num_mel_bins + (3 + self.pitch_raw_log if self.pitch else 0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def extractor(self) -> "FbankExtractor":
        return FbankExtractor(self)

    def knf_options(self):
        import kaldi_native_fbank as knf

        opts = knf.FbankOptions()
        frame = opts.frame_opts
        frame.samp_freq = float(self.sample_rate)
        frame.frame_length_ms = float(self.frame_length_ms)
        frame.frame_shift_ms = float(self.frame_shift_ms)
        frame.dither = float(self.dither)
        frame.snip_edges = bool(self.snip_edges)
        mel = opts.mel_opts
        mel.num_bins = int(self.num_mel_bins)
        mel.low_freq = float(self.low_freq)
        mel.high_freq = float(self.high_freq)
        return opts

    def knf_pitch_options(self):
        """(PitchExtractionOptions, ProcessPitchOptions): Kaldi's defaults except the frames, the
        F0 range and the raw log pitch."""
        import kaldi_native_fbank as knf

        extract = knf.PitchExtractionOptions()
        extract.samp_freq = float(self.sample_rate)
        extract.frame_length_ms = float(self.frame_length_ms)
        extract.frame_shift_ms = float(self.frame_shift_ms)
        extract.snip_edges = bool(self.snip_edges)
        extract.min_f0 = float(self.pitch_min_f0)
        extract.max_f0 = float(self.pitch_max_f0)
        process = knf.ProcessPitchOptions()
        process.add_raw_log_pitch = bool(self.pitch_raw_log)
        return extract, process


# Frames by which the pitch and fbank matrices of one utterance may differ (Kaldi's paste-feats
# --length-tolerance in make_fbank_pitch.sh); both are cut to the shorter.
PITCH_LENGTH_TOLERANCE = 2


class FbankExtractor:
    """Computes fbank matrices for one configuration (options are built once)."""

    def __init__(self, config: FbankConfig):
        import kaldi_native_fbank as knf

        self.config = config
        self._knf = knf
        self._opts = config.knf_options()
        self._pitch_opts = config.knf_pitch_options() if config.pitch else None

    def __call__(self, samples: np.ndarray, source: str = "audio") -> np.ndarray:
        """(frames, config.dim) float32 features of float samples in [-1, 1] at config.sample_rate."""
        samples = samples * np.float32(INT16_SCALE)  # Kaldi reads 16-bit sample values
        fbank = self._knf.OnlineFbank(self._opts)
        fbank.accept_waveform(float(self.config.sample_rate), samples)
        fbank.input_finished()
        n = fbank.num_frames_ready
        if n == 0:
            seconds = samples.size / self.config.sample_rate
            raise AudioError(source, f"audio is {samples.size} samples ({seconds:.3f}s), "
                                     f"shorter than one frame ({self.config.window_samples} samples)")
        out = np.empty((n, fbank.dim), dtype=np.float32)
        for i in range(n):
            out[i] = fbank.get_frame(i)
        if self._pitch_opts is None:
            return out
        pitch = self._knf.compute_and_process_kaldi_pitch(*self._pitch_opts, samples)
        if abs(len(pitch) - n) > PITCH_LENGTH_TOLERANCE:
            raise AudioError(source, f"pitch has {len(pitch)} frames and fbank {n}: more than "
                                     f"{PITCH_LENGTH_TOLERANCE} apart")
        n = min(n, len(pitch))
        return np.concatenate([out[:n], np.asarray(pitch, dtype=np.float32)[:n]], axis=1)
