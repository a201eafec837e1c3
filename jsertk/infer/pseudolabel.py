"""Cross-task pseudo-labelling: choose emotion labels and transcripts of unlabelled speech from a
joint model's scores, and write them as a Kaldi data dir ready for training.

Emotion: the fused head's argmax, with its posterior as confidence; kept when (1) confident enough,
(2) the single-view heads agree as asked, (3) within the per-class caps (the most confident first).
Transcript: the CTC 1-best, kept when its confidence is high enough and it is not empty.
The two selections are independent; an utterance is written when it keeps either.
"""
from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from jsertk.data.datadir import DataDir, write_filtered
from jsertk.data.problems import DataDirError
from jsertk.data.table import write_table
from jsertk.infer.pseudolabel_score import (
    ACOUSTIC,
    FUSED,
    LEXICAL,
    PseudoLabelError,
    UttScores,
)
from jsertk.utils.atomic import atomic_dir, atomic_write_text

AGREEMENTS = ("any", "fused-with-either", "all")
REF_DIR = ".ref"  # true labels of an unlabelled set, for scoring the pseudo labels only
# Label files of the source never reach the output: its labels are the pseudo labels written here.
DROPPED = ("text", "utt2emo", "utt2dim", "utt2emo_conf", "utt2text_conf", "feats.scp", "utt2num_frames")


@dataclass
class SelectOptions:
    threshold: float = 0.0  # minimum fused posterior of the chosen class
    agreement: str = "fused-with-either"  # any, fused-with-either, all
    max_per_class: int = 0  # 0 = no cap
    balance: bool = False  # cap every class at the rarest kept class's count
    text_threshold: float = 0.0  # minimum CTC 1-best confidence

    def check(self) -> None:
        if self.agreement not in AGREEMENTS:
            raise PseudoLabelError(f"--agreement must be one of {', '.join(AGREEMENTS)}, got '{self.agreement}'")
        for name, v in (("--threshold", self.threshold), ("--text-threshold", self.text_threshold)):
            if not 0.0 <= v <= 1.0:
                raise PseudoLabelError(f"{name} must be in [0, 1], got {v}")
        if self.max_per_class < 0:
            raise PseudoLabelError(f"--max-per-class must be >= 0, got {self.max_per_class}")


@dataclass
class Selection:
    emotion: dict[str, tuple[str, float]]  # kept: utt -> (class, confidence)
    text: dict[str, tuple[str, float]]  # kept: utt -> (transcript, confidence)
    all_emotion: dict[str, tuple[str, float]]  # every scored utterance's fused argmax, before selection
    all_text: dict[str, str]  # every scored utterance's 1-best (maybe empty)
    stages: dict[str, int] = field(default_factory=dict)  # emotion labels left after each step
    cap: int | None = None  # the per-class cap applied (None = none)


def _argmax(p: list[float]) -> int:
    return max(range(len(p)), key=p.__getitem__)


def _agrees(s: UttScores, agreement: str) -> bool:
    fused = _argmax(s.views[FUSED])
    if agreement == "any":
        return True
    single = [_argmax(s.views[v]) == fused for v in (ACOUSTIC, LEXICAL)]
    return any(single) if agreement == "fused-with-either" else all(single)


def check_heads(available, agreement: str, where: str) -> None:
    """The emotion heads `agreement` reads are among `available` (head names); `where` names their source."""
    need = (FUSED,) if agreement == "any" else (FUSED, ACOUSTIC, LEXICAL)
    missing = [v for v in need if v not in available]
    if missing:
        raise PseudoLabelError(
            f"--agreement {agreement} needs the emotion heads {', '.join(need)}; the model has no "
            f"{' / '.join(repr(m) for m in missing)} head ({where}): use --agreement any, or a model trained with "
            "those heads (heads.emotion_acoustic / heads.emotion_lexical > 0)")


def check_views(scores: list[UttScores], agreement: str) -> None:
    """The heads `agreement` reads exist in every utterance's scores."""
    for s in scores:
        check_heads(s.views, agreement, f"utterance '{s.utt}'")


def select(scores: list[UttScores], classes: list[str], opts: SelectOptions) -> Selection:
    """Apply the emotion and transcript selection rules to per-utterance scores."""
    opts.check()
    check_views(scores, opts.agreement)
    for s in scores:
        if len(s.views[FUSED]) != len(classes):
            raise PseudoLabelError(f"utterance '{s.utt}': {len(s.views[FUSED])} emotion posteriors, but the model's "
                                   f"class list has {len(classes)} classes")
    all_emotion = {}
    for s in scores:
        k = _argmax(s.views[FUSED])
        all_emotion[s.utt] = (classes[k], s.views[FUSED][k])
    by_utt = {s.utt: s for s in scores}
    confident = [u for u, (_, c) in all_emotion.items() if c >= opts.threshold]
    agreed = [u for u in confident if _agrees(by_utt[u], opts.agreement)]
    per_class: dict[str, list[str]] = {c: [] for c in classes}
    for u in agreed:
        per_class[all_emotion[u][0]].append(u)
    caps = [opts.max_per_class] if opts.max_per_class else []
    if opts.balance and any(per_class.values()):
        caps.append(min(len(us) for us in per_class.values() if us))
    cap = min(caps) if caps else None
    kept: dict[str, tuple[str, float]] = {}
    for c, us in per_class.items():
        us.sort(key=lambda u: (-all_emotion[u][1], u))  # most confident first; ties by utterance id
        for u in us[:cap] if cap is not None else us:
            kept[u] = all_emotion[u]
    text = {s.utt: (s.text, s.text_conf) for s in scores
            if s.text and s.text.strip() and s.text_conf >= opts.text_threshold}
    stages = {"scored": len(scores), "threshold": len(confident), "agreement": len(agreed), "caps": len(kept)}
    hyps = {s.utt: s.text or "" for s in scores}
    return Selection(dict(sorted(kept.items())), text, all_emotion, hyps, stages, cap)


# Summary ----------------------------------------------------------------------------------------

def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def emotion_accuracy(labels: dict[str, tuple[str, float]], ref: dict[str, str], classes: list[str]) -> dict:
    """Share of pseudo labels equal to the reference, over utterances with a reference; per class:
    the share of the labels given that class that are right."""
    scored = {u: c for u, (c, _) in labels.items() if u in ref}
    right = {u for u, c in scored.items() if ref[u] == c}
    per_class = {}
    for c in classes:
        n = sum(1 for v in scored.values() if v == c)
        k = sum(1 for u in right if scored[u] == c)
        per_class[c] = {"labels": n, "correct": k, "accuracy": round(k / n, 4) if n else None}
    return {"labels": len(scored), "correct": len(right), "accuracy": round(len(right) / len(scored), 4)
            if scored else None, "without_reference": len(labels) - len(scored), "per_class": per_class}


def transcript_errors(hyps: dict[str, str], ref: dict[str, str], normalize: Callable[[str], str] | None) -> dict:
    from jsertk.metrics.wer import score

    refs = {u: t for u, t in ref.items() if u in hyps}
    if not refs:
        return {"utterances": 0, "wer": None, "cer": None, "without_reference": len(hyps)}
    norm = (lambda s: " ".join(normalize(s).split())) if normalize else None
    r = score(refs, {u: hyps[u] for u in refs}, norm)
    return {"utterances": len(refs), "wer": round(r.words.rate, 4), "cer": round(r.chars.rate, 4),
            "words": r.words.ref_len, "without_reference": len(hyps) - len(refs)}


def summarize(sel: Selection, classes: list[str], opts: SelectOptions, too_short: list[str], ref_dir: Path | None,
              normalize: Callable[[str], str] | None = None, extra: dict | None = None) -> dict:
    kept_per_class = {c: sum(1 for v, _ in sel.emotion.values() if v == c) for c in classes}
    summary = {
        **(extra or {}),
        "options": asdict(opts),
        "classes": classes,
        "counts": {
            "scored": sel.stages["scored"], "too_short": len(too_short),
            "emotion_after": {"threshold": sel.stages["threshold"], "agreement": sel.stages["agreement"],
                              "caps": sel.stages["caps"]},
            "per_class_cap": sel.cap,
            "kept_emotion": len(sel.emotion), "kept_emotion_per_class": kept_per_class,
            "kept_transcripts": len(sel.text),
            "empty_transcripts": sum(1 for t in sel.all_text.values() if not t.strip()),
            "utterances_written": len(set(sel.emotion) | set(sel.text)),
        },
        "mean_confidence": {
            "emotion_per_class": {c: _mean([p for v, p in sel.emotion.values() if v == c]) for c in classes},
            "emotion_kept": _mean([p for _, p in sel.emotion.values()]),
            "transcripts_kept": _mean([p for _, p in sel.text.values()]),
        },
    }
    if ref_dir is not None and (ref_dir / "utt2emo").is_file():
        ref = {u: v for u, v in DataDir(ref_dir).raw("utt2emo").items()}
        summary["reference_emotion"] = {"kept": emotion_accuracy(sel.emotion, ref, classes),
                                        "all": emotion_accuracy(sel.all_emotion, ref, classes)}
    if ref_dir is not None and (ref_dir / "text").is_file():
        ref = DataDir(ref_dir).raw("text")
        summary["reference_text"] = {"kept": transcript_errors({u: t for u, (t, _) in sel.text.items()}, ref,
                                                               normalize),
                                     "all": transcript_errors(sel.all_text, ref, normalize)}
    if too_short:
        summary["too_short_utterances"] = too_short
    return summary


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def format_summary(summary: dict) -> str:
    """The human table printed after a run."""
    c, conf = summary["counts"], summary["mean_confidence"]
    ref = summary.get("reference_emotion")
    lines = [f"scored {c['scored']} utterances ({c['too_short']} too short); emotion labels left after threshold "
             f"{c['emotion_after']['threshold']}, agreement {c['emotion_after']['agreement']}, caps "
             f"{c['emotion_after']['caps']}" + (f" (cap {c['per_class_cap']} per class)" if c["per_class_cap"] else ""),
             "", "| class | kept | mean conf | accuracy (kept) | accuracy (all) |", "|---|---:|---:|---:|---:|"]
    for cls in summary["classes"]:
        acc_k = ref["kept"]["per_class"][cls]["accuracy"] if ref else None
        acc_a = ref["all"]["per_class"][cls]["accuracy"] if ref else None
        lines.append(f"| {cls} | {c['kept_emotion_per_class'][cls]} | {_num(conf['emotion_per_class'][cls])} | "
                     f"{_pct(acc_k)} | {_pct(acc_a)} |")
    acc_k, acc_a = (ref["kept"]["accuracy"], ref["all"]["accuracy"]) if ref else (None, None)
    lines.append(f"| all | {c['kept_emotion']} | {_num(conf['emotion_kept'])} | {_pct(acc_k)} | {_pct(acc_a)} |")
    lines += ["", f"transcripts kept: {c['kept_transcripts']} of {c['scored']} ({c['empty_transcripts']} empty), "
              f"mean confidence {_num(conf['transcripts_kept'])}"]
    rt = summary.get("reference_text")
    if rt:
        lines.append(f"against the reference: kept WER {_pct(rt['kept']['wer'])} CER {_pct(rt['kept']['cer'])}; "
                     f"all WER {_pct(rt['all']['wer'])} CER {_pct(rt['all']['cer'])}")
    if ref:
        lines.append("accuracy = share of pseudo labels equal to the reference label (per class: of the labels "
                     "given that class)")
    lines.append(f"utterances written: {c['utterances_written']}")
    return "\n".join(lines)


# Output -----------------------------------------------------------------------------------------

def write_pseudolabels(out: Path, data: Path, labels_from: Path, sel: Selection, summary: dict) -> list[str]:
    """Write the output data dir (replacing `out` only once complete); returns the utterances written."""
    from jsertk.data.validate import validate

    utts = sorted(set(sel.emotion) | set(sel.text))
    if not utts:
        raise PseudoLabelError("the selection keeps no utterance (no emotion label and no transcript passed); "
                               "lower --threshold / --text-threshold or relax --agreement; nothing written")
    src = DataDir(labels_from)
    known = src.raw("utt2spk")
    missing = [u for u in utts if u not in known]
    if missing:
        raise PseudoLabelError(f"{src.file('utt2spk')}: no utterance '{missing[0]}' ({len(missing)} scored utterances "
                               f"of {data} are missing); is --labels-from the data dir of these features?")
    feats, frames = DataDir(data).raw("feats.scp"), DataDir(data).raw("utt2num_frames") \
        if (data / "utt2num_frames").is_file() else None
    with atomic_dir(out) as tmp:
        write_filtered(src, utts, tmp / "base")
        for f in (tmp / "base").iterdir():
            if f.name not in DROPPED:
                f.rename(tmp / f.name)
        for f in (tmp / "base").iterdir():
            f.unlink()
        (tmp / "base").rmdir()
        write_table(tmp / "feats.scp", {u: feats[u] for u in utts})
        if (data / "lexical.scp").is_file():  # Whisper's decoder states, for a student whose lexical view reads them
            states = DataDir(data).raw("lexical.scp")
            write_table(tmp / "lexical.scp", {u: states[u] for u in utts if u in states})
            shutil.copyfile(data / "lexical.yaml", tmp / "lexical.yaml")
        if frames is not None:
            write_table(tmp / "utt2num_frames", {u: frames[u] for u in utts})
        if sel.emotion:  # a label file is written only when it has a label (an empty file would say nothing)
            write_table(tmp / "utt2emo", {u: c for u, (c, _) in sel.emotion.items()})
            write_table(tmp / "utt2emo_conf", {u: f"{p:.4f}" for u, (_, p) in sel.emotion.items()})
        if sel.text:
            write_table(tmp / "text", {u: t for u, (t, _) in sel.text.items()})
            write_table(tmp / "utt2text_conf", {u: f"{p:.4f}" for u, (_, p) in sel.text.items()})
        atomic_write_text(tmp / "pseudolabel.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        problems = validate(tmp, check_audio=False)
        if problems:
            raise DataDirError(problems)
    return utts


def warn_empty_classes(summary: dict) -> list[str]:
    empty = [c for c, n in summary["counts"]["kept_emotion_per_class"].items() if n == 0]
    if empty and summary["counts"]["kept_emotion"]:
        print(f"warning: no emotion pseudo label kept for class(es) {', '.join(empty)}", file=sys.stderr)
    elif empty:
        print("warning: no emotion pseudo label kept for any class (transcripts only)", file=sys.stderr)
    return empty
