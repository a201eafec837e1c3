"""`jsertk score-ser`: score emotion hypotheses against reference labels."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


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
    from jsertk.infer.evaluate import score_ser as run
    from jsertk.metrics.ser import format_table

    scores, out = run(ref, hyp, outdir, classes)
    typer.echo(format_table(scores))
    typer.echo(f"\nwritten: {out}/scores.json, scores.txt" + (", confusion.png" if "UA" in scores else ""))


def register(app: typer.Typer) -> None:
    app.command("score-ser")(score_ser)
