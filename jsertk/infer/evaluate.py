"""Scoring a decode dir against reference labels: emotion (every head that wrote hypotheses),
dimensions and transcripts. One implementation for `jsertk score-ser`, `jsertk score-wer`,
`jsertk decode --ref` and the recipes.

Files written by `score_decode_dir(DEC, REF)`:
- DEC/scores.json, scores.txt, confusion.png   the fused emotion head (and CCC when both sides have dims)
- DEC/acoustic/, DEC/lexical/                  the single-view heads, when the model has them
- DEC/wer/scores.json, result.txt              WER/CER of hyp.text, when REF has a `text`
- DEC/summary.json                             UA, WA, UA of each view, WER, CER: what was scored
"""
from __future__ import annotations

import json
from pathlib import Path

from jsertk.data.datadir import read_parsed
from jsertk.data.schema import parse_dims
from jsertk.data.table import read_table
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import InputError

VIEWS = ("acoustic", "lexical")


def one_label(value: str) -> str:
    toks = value.split()
    if len(toks) != 1:
        raise ValueError(f"expected one class name, got '{value}'")
    return toks[0]


def _pick(path: Path, name: str) -> Path | None:
    if path.is_dir():
        return path / name if (path / name).is_file() else None
    return path if path.is_file() else None


def read_class_list(path: Path) -> list[str]:
    return [line.split()[0] for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def score_ser(ref: Path, hyp: Path, outdir: Path | None = None, classes: Path | None = None) -> tuple[dict, Path]:
    """Score emotion hypotheses (a decode dir's hyp.emo/hyp.dim, or a hyp.emo file) against references
    (a data dir's utt2emo/utt2dim, or a utt2emo file); writes scores.json, scores.txt and confusion.png
    into `outdir` (default: HYP if a dir, else its folder). Returns (scores, outdir)."""
    from jsertk.metrics.ser import (
        classification_scores,
        dimensional_scores,
        write_scores,
    )

    ref, hyp = Path(ref), Path(hyp)
    ref_emo, hyp_emo = _pick(ref, "utt2emo"), _pick(hyp, "hyp.emo")
    ref_dim, hyp_dim = (_pick(ref, "utt2dim"), _pick(hyp, "hyp.dim")) if ref.is_dir() and hyp.is_dir() else (None, None)
    if ref_emo is None and ref_dim is None:
        raise InputError(f"{ref}: no utt2emo or utt2dim to score against")
    scores: dict = {}
    if ref_emo is not None:
        if hyp_emo is None:
            raise InputError(f"{hyp}: no hyp.emo to score")
        class_list = read_class_list(classes) if classes else None
        scores = classification_scores(read_parsed(ref_emo, one_label), read_parsed(hyp_emo, one_label),
                                       class_list)
    if ref_dim is not None and hyp_dim is not None:
        scores["dimensional"] = dimensional_scores(read_parsed(ref_dim, parse_dims), read_parsed(hyp_dim, parse_dims))
    out = Path(outdir) if outdir is not None else (hyp if hyp.is_dir() else hyp.parent)
    write_scores(scores, out)
    return scores, out


def score_wer(ref: Path, hyp: Path, outdir: Path | None = None, tokenizer: Path | None = None, name: str = ""):
    """WER and CER of hypotheses (a hyp.text file or a decode dir holding one) against references (a
    data dir's `text` or a text file), normalised as the tokenizer dir `tokenizer` normalises text;
    writes scores.json, result.txt and utt_scores.tsv into `outdir` (default: the folder of the
    hypotheses). Returns (report, outdir, name)."""
    from jsertk.metrics.wer import score, write_report

    ref_file = Path(ref) / "text" if Path(ref).is_dir() else Path(ref)
    hyp_file = Path(hyp) / "hyp.text" if Path(hyp).is_dir() else Path(hyp)
    for f in (ref_file, hyp_file):
        if not f.is_file():
            raise InputError(f"{f}: not found")
    normalize = None
    if tokenizer is not None:
        from jsertk.text import Tokenizer

        normalize = Tokenizer(tokenizer).normalize
    report = score(read_table(ref_file), read_table(hyp_file), normalize)
    out = Path(outdir) if outdir is not None else hyp_file.parent
    name = name or out.name
    write_report(report, out, name)
    return report, out, name


def score_decode_dir(dec: Path, ref: Path, tokenizer: Path | None = None, name: str = "") -> dict:
    """Score everything a `jsertk decode` dir holds against the data dir `ref` (see the module doc);
    returns (and writes as summary.json) {"UA", "WA", "UA_acoustic", "UA_lexical", "WER", "CER"},
    each where it was scored."""
    dec, ref = Path(dec), Path(ref)
    classes = dec / "classes.txt" if (dec / "classes.txt").is_file() else None
    summary: dict = {}
    if (ref / "utt2emo").is_file() or (ref / "utt2dim").is_file():
        scores, _ = score_ser(ref, dec, dec, classes)
        summary.update({k: scores[k] for k in ("UA", "WA") if k in scores})
        for view in VIEWS:
            hyp = dec / f"hyp_{view}.emo"
            if hyp.is_file() and (ref / "utt2emo").is_file():
                view_scores, _ = score_ser(ref / "utt2emo", hyp, dec / view, classes)
                summary[f"UA_{view}"] = view_scores["UA"]
    if (ref / "text").is_file() and (dec / "hyp.text").is_file():
        report, _, _ = score_wer(ref, dec, dec / "wer", tokenizer, name or ref.name)
        summary.update(WER=report.words.rate, CER=report.chars.rate)
    if not summary:
        raise InputError(f"{ref}: no utt2emo, utt2dim or text to score {dec} against")
    atomic_write_text(dec / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
