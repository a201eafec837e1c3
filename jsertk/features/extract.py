"""Feature extraction over a data dir, one job's share at a time, streaming utterance by utterance.

The features are fbank (`FbankConfig`), an upstream's hidden states (`UpstreamDumpConfig`) or
Whisper's decoder states (`LexicalDumpConfig`): any config with `sample_rate`, `config_name`,
`as_dict()` and `extractor()`, whose extractor maps float samples to a (frames, dim) matrix. A
config may name `side_tables`: after each call its extractor's `side_values` holds the
utterance's value for each, written beside feats.scp (and merged by `merge_parts`).

Job k of N reads `DATA/split<N>/k` (`split<N>utt` when split by utterance) and writes
`OUT/split<N>/k/`: feats.ark, feats.scp, utt2num_frames and, with skip_bad, bad_utts.
feats.scp is written last and atomically: its presence means the job finished.
`jsertk.features.dump.merge_parts` then assembles OUT as a complete data dir.
"""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from jsertk.data.datadir import DataDir
from jsertk.data.schema import FEATURE_DESCRIPTIONS
from jsertk.data.split import SPLIT_MODES, split_dir_name
from jsertk.data.table import write_table
from jsertk.features.audio import MAX_SEGMENT_OVERSHOOT_S, AudioError, UtteranceAudio
from jsertk.features.fbank import FbankConfig
from jsertk.features.io import ArkScpWriter
from jsertk.features.speed import resample
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import InputError
from jsertk.utils.progress import Progress

log = logging.getLogger("jsertk.features")
CONFIG_NAME = FbankConfig.config_name
# the options file each kind of features leaves beside them (merge_parts looks for one of these)
CONFIG_NAMES = FEATURE_DESCRIPTIONS
# the side tables an extractor may write: dump-lexical's Whisper 1-best and its confidence
SIDE_TABLES = ("lexical_text", "lexical_text_conf")


@dataclass
class ExtractResult:
    utterances: int = 0
    frames: int = 0
    audio_s: float = 0.0
    failed: dict[str, str] = field(default_factory=dict)  # utterance -> reason


def job_source(data: str | os.PathLike, job: int, nj: int, split_by: str = "speaker") -> Path:
    """The data dir job `job` of `nj` reads: DATA itself for one job, else its split part."""
    if nj == 1:
        return Path(data)
    return Path(data) / split_dir_name(nj, split_by) / str(job)


def part_dir(out: str | os.PathLike, job: int, nj: int, split_by: str = "speaker") -> Path:
    """Where job `job` of `nj` writes its features."""
    return Path(out) / split_dir_name(nj, split_by) / str(job)


def check_job(job: int, nj: int, split_by: str = "speaker") -> None:
    if split_by not in SPLIT_MODES:
        raise InputError(f"--split-by must be one of {', '.join(SPLIT_MODES)}, got '{split_by}'")
    if nj < 1:
        raise InputError(f"--nj must be >= 1, got {nj}")
    if not 1 <= job <= nj:
        raise InputError(f"--job must be between 1 and --nj ({nj}), got {job}")


def _remove_stale_temps(part: Path) -> None:
    """Temporary files left by a killed run of this job (their process no longer exists)."""
    for tmp in part.glob(".*.tmp*"):
        pid = tmp.name.rpartition(".tmp")[2]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def extract_part(src: DataDir, part: Path, config, *, resample_audio: bool = False,
                 skip_bad: bool = False, max_overshoot: float = MAX_SEGMENT_OVERSHOOT_S,
                 progress: bool = True) -> ExtractResult:
    """Features of every utterance of `src` into `part`.

    A bad utterance (unreadable, empty, too short, wrong sample rate, failing pipe, segment
    past the end) raises AudioError naming it and its file, and nothing is written; with
    `skip_bad` it is listed in `part/bad_utts` and left out instead.
    """
    part.mkdir(parents=True, exist_ok=True)
    scp = part / "feats.scp"
    # Gone first: a rerun that dies must not leave the previous run's scp looking finished.
    for stale in (scp, part / "bad_utts", *(part / n for n in SIDE_TABLES)):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    _remove_stale_temps(part)
    reader = UtteranceAudio(src, max_overshoot)
    extract = config.extractor()
    utts = src.utterances()
    result = ExtractResult()
    resampled: set[int] = set()  # rates logged once each
    frames: dict[str, int] = {}
    side_names = tuple(getattr(config, "side_tables", ()))
    side: dict[str, dict[str, str]] = {name: {} for name in side_names}
    meter = Progress(len(utts), f"{config.config_name.split('.')[0]} {src.path}") if progress else None
    with ArkScpWriter(part / "feats.ark", scp) as writer:
        for utt in utts:
            try:
                samples, rate = reader.read(utt)
                if rate != config.sample_rate:
                    if not resample_audio:
                        raise AudioError(reader.source_of(utt), f"sample rate is {rate} Hz, expected "
                                         f"{config.sample_rate} Hz (give --resample to convert, or --sample-rate "
                                         f"{rate})", utt)
                    if rate not in resampled:
                        resampled.add(rate)
                        log.info("%s: resampling %d Hz audio to %d Hz (first: utterance '%s')", src.path, rate,
                                 config.sample_rate, utt)
                    samples = resample(samples, rate, config.sample_rate)
                feats = extract(samples, reader.source_of(utt))
            except AudioError as e:
                if not skip_bad:
                    raise (e if e.utt else e.for_utterance(utt)) from None
                result.failed[utt] = f"{e.source}: {e.reason}"
                if meter:
                    meter.update()
                continue
            writer.write(utt, feats)
            frames[utt] = len(feats)
            for name in side_names:
                side[name][utt] = extract.side_values[name]
            result.audio_s += samples.size / config.sample_rate
            if meter:
                meter.update(audio_s=samples.size / config.sample_rate)
        if not frames:
            raise InputError(f"{src.path}: no utterance gave features ({len(result.failed)} of {len(utts)} failed)")
        write_table(part / "utt2num_frames", frames)
        for name, table in side.items():
            write_table(part / name, table)
        if result.failed:
            write_table(part / "bad_utts", result.failed)
        for other in CONFIG_NAMES:  # left by an earlier run of other features
            with contextlib.suppress(FileNotFoundError):
                (part / other).unlink()
        atomic_write_text(part / config.config_name, yaml.safe_dump(config.as_dict(), sort_keys=False))
    if meter:
        meter.close()
    result.utterances = len(frames)
    result.frames = sum(frames.values())
    return result
