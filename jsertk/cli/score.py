"""`jsertk score-ser`: score emotion hypotheses against reference labels."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from jsertk.data.datadir import read_parsed
from jsertk.data.schema import parse_dims


def _one_label(value: str) -> str:
    toks = value.split()
    if len(toks) != 1:
        raise ValueError(f"expected one class name, got '{value}'")
    return toks[0]


def _pick(path: Path, name: str) -> Path | None:
    if path.is_dir():
        return path / name if (path / name).is_file() else None
    return path if path.is_file() else None


def score_ser(
    ref: Path = typer.Argument(..., help="Reference: a data dir (its utt2emo, utt2dim) or a utt2emo file."),
    hyp: Path = typer.Argument(..., help="Hypotheses: a decode dir (its hyp.emo, hyp.dim) or a hyp.emo file."),
    outdir: Optional[Path] = typer.Option(None, help="Where to write scores.json, scores.txt, confusion.png "
                                          "[default: HYP if a dir, else its folder]."),
    classes: Optional[Path] = typer.Option(None, help="Class list file, one name per line, fixing the order and "
                                           "including classes never predicted [default: classes seen]."),
) -> None:
    """UA, WA, macro/weighted F1, per-class recall and precision, confusion matrix (text and PNG),
    and CCC per dimension when utt2dim and hyp.dim exist."""
    from jsertk.metrics.ser import classification_scores, dimensional_scores, format_table, write_scores

    ref_emo, hyp_emo = _pick(ref, "utt2emo"), _pick(hyp, "hyp.emo")
    ref_dim, hyp_dim = (_pick(ref, "utt2dim"), _pick(hyp, "hyp.dim")) if ref.is_dir() and hyp.is_dir() else (None, None)
    if ref_emo is None and ref_dim is None:
        raise FileNotFoundError(f"{ref}: no utt2emo or utt2dim to score against")
    scores: dict = {}
    if ref_emo is not None:
        if hyp_emo is None:
            raise FileNotFoundError(f"{hyp}: no hyp.emo to score")
        class_list = [line.split()[0] for line in classes.read_text().splitlines() if line.strip()] if classes else None
        scores = classification_scores(read_parsed(ref_emo, _one_label), read_parsed(hyp_emo, _one_label),
                                       class_list)
    if ref_dim is not None and hyp_dim is not None:
        scores["dimensional"] = dimensional_scores(read_parsed(ref_dim, parse_dims), read_parsed(hyp_dim, parse_dims))
    out = outdir if outdir is not None else (hyp if hyp.is_dir() else hyp.parent)
    write_scores(scores, out)
    typer.echo(format_table(scores))
    typer.echo(f"\nwritten: {out}/scores.json, scores.txt" + (", confusion.png" if "UA" in scores else ""))


def register(app: typer.Typer) -> None:
    app.command("score-ser")(score_ser)
