"""Word and character error rates with jiwer: totals, per-utterance alignments, scores.json.

WER = (S + D + I) / N over words; CER the same over characters, spaces included (runs of blanks
count as one). An utterance with a reference but no hypothesis counts as all deletions and is
listed under `missing_hypotheses`; hypotheses without a reference are ignored and counted.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from jsertk.utils.atomic import atomic_write_text


def edit_distance(ref: Sequence, hyp: Sequence) -> int:
    """Levenshtein distance between two sequences of hashable items (tokens, characters)."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(ref, hyp)


@dataclass
class ErrorCounts:
    ref_len: int = 0
    sub: int = 0
    dele: int = 0
    ins: int = 0

    @property
    def errors(self) -> int:
        return self.sub + self.dele + self.ins

    @property
    def rate(self) -> float:
        return self.errors / self.ref_len if self.ref_len else float(self.errors > 0)

    def as_dict(self) -> dict:
        return {"rate": round(self.rate, 6), "errors": self.errors, "ref_len": self.ref_len, "sub": self.sub,
                "del": self.dele, "ins": self.ins}


@dataclass
class UttScore:
    utt: str
    words: ErrorCounts
    chars: ErrorCounts
    ref: str  # aligned reference line, '*' for insertions
    hyp: str  # aligned hypothesis line, '*' for deletions
    ops: str  # S/D/I under each aligned word


@dataclass
class WerReport:
    words: ErrorCounts = field(default_factory=ErrorCounts)
    chars: ErrorCounts = field(default_factory=ErrorCounts)
    utts: list[UttScore] = field(default_factory=list)
    missing_hypotheses: list[str] = field(default_factory=list)
    extra_hypotheses: int = 0

    @property
    def sentence_error_rate(self) -> float:
        return sum(u.words.errors > 0 for u in self.utts) / len(self.utts) if self.utts else 0.0

    def as_dict(self) -> dict:
        return {"wer": round(self.words.rate, 6), "cer": round(self.chars.rate, 6),
                "ser": round(self.sentence_error_rate, 6), "num_utts": len(self.utts),
                "words": self.words.as_dict(), "chars": self.chars.as_dict(),
                "missing_hypotheses": len(self.missing_hypotheses), "extra_hypotheses": self.extra_hypotheses}


def _counts(out) -> list[ErrorCounts]:
    """Per-sentence counts from a jiwer output's alignment chunks."""
    per = []
    for ref, chunks in zip(out.references, out.alignments):
        c = ErrorCounts(ref_len=len(ref))
        for ch in chunks:
            if ch.type == "substitute":
                c.sub += ch.ref_end_idx - ch.ref_start_idx
            elif ch.type == "delete":
                c.dele += ch.ref_end_idx - ch.ref_start_idx
            elif ch.type == "insert":
                c.ins += ch.hyp_end_idx - ch.hyp_start_idx
        per.append(c)
    return per


def _aligned_lines(ref: list[str], hyp: list[str], chunks) -> tuple[str, str, str]:
    r_out, h_out, ops = [], [], []
    for ch in chunks:
        rs, hs = ref[ch.ref_start_idx:ch.ref_end_idx], hyp[ch.hyp_start_idx:ch.hyp_end_idx]
        if ch.type == "delete":
            hs = ["*" * len(w) for w in rs]
        elif ch.type == "insert":
            rs = ["*" * len(w) for w in hs]
        op = {"equal": "", "substitute": "S", "delete": "D", "insert": "I"}[ch.type]
        for r, h in zip(rs, hs):
            width = max(len(r), len(h))
            r_out.append(r.ljust(width))
            h_out.append(h.ljust(width))
            ops.append(op.ljust(width))
    return " ".join(r_out), " ".join(h_out), " ".join(ops).rstrip()


def score(refs: Mapping[str, str], hyps: Mapping[str, str],
          normalize: Callable[[str], str] | None = None) -> WerReport:
    """Score every utterance of `refs` against `hyps` (both utt -> text)."""
    import jiwer

    norm = normalize or (lambda s: " ".join(s.split()))
    utts = sorted(refs)
    ref_texts = [norm(refs[u]) for u in utts]
    hyp_texts = [norm(hyps.get(u, "")) for u in utts]
    report = WerReport(missing_hypotheses=[u for u in utts if u not in hyps],
                       extra_hypotheses=sum(1 for u in hyps if u not in refs))
    if not utts:
        return report
    words = jiwer.process_words(ref_texts, hyp_texts)
    chars = jiwer.process_characters(ref_texts, hyp_texts)
    for u, wc, cc, r, h, chunks in zip(utts, _counts(words), _counts(chars), words.references, words.hypotheses,
                                       words.alignments):
        report.utts.append(UttScore(u, wc, cc, *_aligned_lines(r, h, chunks)))
        for total, c in ((report.words, wc), (report.chars, cc)):
            total.ref_len += c.ref_len
            total.sub += c.sub
            total.dele += c.dele
            total.ins += c.ins
    return report


def summary_table(rows: Mapping[str, WerReport]) -> str:
    """A markdown table, one row per scored set."""
    lines = ["| set | utts | words | WER % | sub | del | ins | CER % | SER % |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        w = r.words
        lines.append(f"| {name} | {len(r.utts)} | {w.ref_len} | {100 * w.rate:.2f} | {w.sub} | {w.dele} | {w.ins} "
                     f"| {100 * r.chars.rate:.2f} | {100 * r.sentence_error_rate:.2f} |")
    return "\n".join(lines) + "\n"


def write_report(report: WerReport, outdir: str | os.PathLike, name: str = "") -> None:
    """scores.json, result.txt (summary table + per-utterance alignments), utt_scores.tsv; each atomic."""
    outdir = Path(outdir)
    atomic_write_text(outdir / "scores.json", json.dumps(report.as_dict(), indent=2) + "\n")
    parts = [summary_table({name or str(outdir): report}), "WER = (S + D + I) / N words; CER the same over "
             "characters incl. spaces; SER = share of utterances with any word error.\n"]
    if report.missing_hypotheses:
        parts.append(f"{len(report.missing_hypotheses)} utterances have no hypothesis (scored as deletions): "
                     + " ".join(report.missing_hypotheses[:20]) + "\n")
    for u in report.utts:
        w = u.words
        parts.append(f"\n{u.utt}  words={w.ref_len} S={w.sub} D={w.dele} I={w.ins}  "
                     f"CER={100 * u.chars.rate:.1f}%\nREF:  {u.ref}\nHYP:  {u.hyp}\nEVAL: {u.ops}\n")
    atomic_write_text(outdir / "result.txt", "".join(parts))
    tsv = ["utt\tref_words\tsub\tdel\tins\twer\tcer"]
    tsv += [f"{u.utt}\t{u.words.ref_len}\t{u.words.sub}\t{u.words.dele}\t{u.words.ins}\t{u.words.rate:.4f}\t"
            f"{u.chars.rate:.4f}" for u in report.utts]
    atomic_write_text(outdir / "utt_scores.tsv", "\n".join(tsv) + "\n")


__all__ = ["ErrorCounts", "UttScore", "WerReport", "edit_distance", "score", "summary_table", "write_report"]
