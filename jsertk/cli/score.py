"""`jsertk score-ser`, `score-folds`, `compare-systems`: emotion hypotheses against reference labels."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

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


def score_folds(
    decode_dirs: List[Path] = typer.Argument(..., help="One decode dir per fold (hyp.emo, classes.txt), e.g. "
                                             "exp/fold*/jser_x/decode_test."),
    out: Path = typer.Option(..., help="Where to write results.json, RESULTS.md and pooled/."),
    ref: Optional[Path] = typer.Option(None, help="A data dir of the whole corpus holding every test utterance's "
                                       "utt2emo [default: the data dir named in each decode.json]."),
    names: Optional[str] = typer.Option(None, help="Row names, space separated [default: the fold<k> in each "
                                        "path, else the dir name]."),
    bootstrap: int = typer.Option(1000, help="Bootstrap resamples of the pooled 95% intervals."),
    bootstrap_unit: str = typer.Option("utterance", help="What is resampled: utterance, or speaker (whole "
                                       "speakers: wider, honest when a speaker's utterances are alike)."),
    seed: int = typer.Option(0, help="Bootstrap seed."),
    title: str = typer.Option("", help="Heading of RESULTS.md."),
    repeats: int = typer.Option(1, help="Repeated cross-validation: the decode dirs are this many runs of the "
                                "same folds, one run after the other (e.g. each fold trained on another "
                                "random draw of labelled speakers); pooled over every (run, utterance), "
                                "the bootstrap resampling each utterance with all its runs."),
) -> None:
    """Per-fold UA, WA, macro-F1; mean and std over folds; pooled over all test utterances with
    95% bootstrap intervals; pooled per-class recall and confusion matrix (text and PNG)."""
    from jsertk.infer.score_folds import format_results
    from jsertk.infer.score_folds import score_folds as run

    results = run(decode_dirs, out, ref, names.split() if names else None, bootstrap, bootstrap_unit, seed, title,
                  repeats)
    typer.echo(format_results(results))
    typer.echo(f"written: {out}/results.json, {out}/RESULTS.md, {out}/pooled/")


def compare_systems(
    a: Path = typer.Argument(..., help="System A: a score-folds output dir (pooled/hyp.emo) or a decode dir."),
    b: Path = typer.Argument(..., help="System B, on the same utterances."),
    ref: Optional[Path] = typer.Option(None, help="Data dir with the references [default: A's pooled/ref.emo]."),
    bootstrap: int = typer.Option(1000, help="Paired bootstrap resamples."),
    bootstrap_unit: str = typer.Option("utterance", help="What is resampled: utterance or speaker."),
    seed: int = typer.Option(0, help="Bootstrap seed."),
    out: Optional[Path] = typer.Option(None, help="Also write the comparison as JSON to this file."),
) -> None:
    """Paired significance of A against B: UA, WA and macro-F1 differences with 95% paired-bootstrap
    intervals and p-values, McNemar's exact test on accuracy (one-run systems), and paired t intervals
    of the UA difference over the folds and over the runs of a repeated cross-validation."""
    import json

    from jsertk.infer.score_folds import compare_systems as run
    from jsertk.infer.score_folds import format_comparison
    from jsertk.utils.atomic import atomic_write_text

    result = run(a, b, ref, bootstrap, bootstrap_unit, seed)
    typer.echo(format_comparison(result))
    if out is not None:
        atomic_write_text(out, json.dumps(result, indent=2) + "\n")


def register(app: typer.Typer) -> None:
    app.command("score-ser")(score_ser)
    app.command("score-folds")(score_folds)
    app.command("compare-systems")(compare_systems)
