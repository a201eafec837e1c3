"""Summaries of a data directory: counts, hours, label coverage and class counts."""
from __future__ import annotations

import os
from collections import Counter
from typing import Any

from jsertk.data.datadir import DataDir
from jsertk.data.schema import UTT_LABEL_FILES
from jsertk.data.validate import audio_path_of

FRAME_SHIFT_S = 0.01  # assumed for utt2num_frames when no duration is known otherwise


def utt_durations(d: DataDir, read_audio: bool = False) -> tuple[dict[str, float], str] | None:
    """Duration in seconds of every utterance, and where it came from; None when unknown.

    Sources in order: utt2dur, segments (when no segment runs to the end, -1), utt2num_frames
    (10 ms shift), and with read_audio the headers of plain-path audio files.
    """
    utts = d.utt2spk()
    if d.has("utt2dur"):
        dur = d.load("utt2dur")
        if all(u in dur for u in utts):
            return dur, "utt2dur"
    segs = d.segments()
    if segs is not None and all(s.end != -1 for s in segs.values()):
        return {u: s.end - s.start for u, s in segs.items()}, "segments"
    if d.has("utt2num_frames"):
        frames = d.load("utt2num_frames")
        if all(u in frames for u in utts):
            return {u: n * FRAME_SHIFT_S for u, n in frames.items()}, "utt2num_frames x 10 ms"
    if read_audio and segs is None:
        import soundfile

        out = {}
        for utt, value in d.raw("wav.scp").items():
            path = audio_path_of(value)
            if path is None or path != value.strip():  # pipe or ark offset: no header to read
                return None
            out[utt] = soundfile.info(path).duration
        return out, "audio headers"
    return None


def info(path: str | os.PathLike, read_audio: bool = False) -> dict[str, Any]:
    d = DataDir(path)
    utt2spk = d.utt2spk()
    n = len(utt2spk)
    result: dict[str, Any] = {"dir": str(d.path), "utterances": n, "speakers": len(set(utt2spk.values()))}
    durations = utt_durations(d, read_audio)
    if durations is not None:
        dur, source = durations
        result["hours"] = round(sum(dur.values()) / 3600, 4)
        result["duration_source"] = source
    labels: dict[str, Any] = {}
    for name in UTT_LABEL_FILES:
        if d.has(name):
            covered = sum(1 for u in d.raw(name) if u in utt2spk)
            labels[name] = {"utterances": covered, "coverage": round(covered / n, 4) if n else 0.0}
    if d.has("utt2emo"):
        labels["utt2emo"]["classes"] = dict(sorted(Counter(d.load("utt2emo").values()).items()))
    if d.has("utt2dim"):
        dims = list(d.load("utt2dim").values())
        if dims:
            labels["utt2dim"]["mean"] = [round(sum(x[i] for x in dims) / len(dims), 4) for i in range(3)]
    if d.has("spk2gender"):
        genders = d.load("spk2gender")
        labels["spk2gender"] = {"speakers": len(genders), "classes": dict(sorted(Counter(genders.values()).items()))}
    result["labels"] = labels
    result["files"] = d.present_files()
    return result


def format_info(result: dict[str, Any]) -> str:
    lines = [f"{result['dir']}: {result['utterances']} utterances, {result['speakers']} speakers"
             + (f", {result['hours']:.3f} hours (from {result['duration_source']})" if "hours" in result else "")]
    for name, lab in result["labels"].items():
        if name == "spk2gender":
            classes = " ".join(f"{k}={v}" for k, v in lab["classes"].items())
            lines.append(f"  {name}: {lab['speakers']} speakers  " + classes)
            continue
        line = f"  {name}: {lab['utterances']} utterances ({100 * lab['coverage']:.1f}%)"
        if "classes" in lab:
            line += "  " + " ".join(f"{k}={v}" for k, v in lab["classes"].items())
        if "mean" in lab:
            line += "  mean a/v/d = " + " ".join(f"{x:.3f}" for x in lab["mean"])
        lines.append(line)
    lines.append("  files: " + " ".join(result["files"]))
    return "\n".join(lines)
