"""`jsertk data ...`: validate, fix, split, subset, combine and summarise Kaldi data dirs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from jsertk import data as d
from jsertk.data.info import format_info
from jsertk.data.problems import format_problems

app = typer.Typer(help="Kaldi data directories: validate, fix, split, subset, combine, info, folds.",
                  no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})


@app.command()
def validate(
    dirs: List[Path] = typer.Argument(..., help="Data directories to check."),
    no_audio_check: bool = typer.Option(False, "--no-audio-check", help="Do not check that audio files exist."),
) -> None:
    """List every problem of each data dir as `file:line: reason`; exit 1 if any."""
    bad = 0
    for dir_ in dirs:
        problems = d.validate(dir_, check_audio=not no_audio_check)
        if problems:
            bad += 1
            typer.echo(format_problems(problems), err=True)
            typer.echo(f"{dir_}: {len(problems)} problems", err=True)
        else:
            typer.echo(f"{dir_}: ok")
    if bad:
        raise typer.Exit(1)


@app.command()
def fix(dirs: List[Path] = typer.Argument(..., help="Data directories to repair in place.")) -> None:
    """Sort, deduplicate, keep utterances present in every required file, regenerate spk2utt.

    Originals are copied to DIR/.backup (or .backup.N) first."""
    for dir_ in dirs:
        report = d.fix(dir_)
        typer.echo(f"{dir_}: {report.summary()}")


@app.command()
def split(
    dir_: Path = typer.Argument(..., metavar="DIR", help="Data directory to split."),
    n: int = typer.Argument(..., help="Number of parts."),
    by: str = typer.Option("speaker", help="Split unit: 'speaker' (DIR/splitN/k) or 'utterance' (DIR/splitNutt/k)."),
) -> None:
    """Split DIR into N parts, deterministic; reused when the source has not changed."""
    parts = d.split(dir_, n, by=by)
    typer.echo(f"{parts[0].parent}: {len(parts)} parts")


@app.command()
def subset(
    dir_: Path = typer.Argument(..., metavar="DIR", help="Source data directory."),
    out: Path = typer.Argument(..., help="Output data directory."),
    first: Optional[int] = typer.Option(None, help="Take the first N (in sorted order)."),
    random: Optional[int] = typer.Option(None, help="Take N at random (see --seed)."),
    seed: int = typer.Option(0, help="Random seed for --random."),
    unit: str = typer.Option("utterance", help="What --first/--random count: 'utterance' or 'speaker'."),
    utt_list: Optional[Path] = typer.Option(None, help="File listing the utterance ids to keep."),
    spk_list: Optional[Path] = typer.Option(None, help="File listing the speaker ids to keep."),
) -> None:
    """Write a subset of DIR to OUT."""
    result = d.subset(dir_, out, first=first, random=random, seed=seed, unit=unit, utt_list=utt_list,
                      spk_list=spk_list)
    typer.echo(f"{out}: {len(result.utt2spk())} utterances")


@app.command()
def combine(
    out: Path = typer.Argument(..., help="Output data directory."),
    dirs: List[Path] = typer.Argument(..., help="Data directories to merge."),
) -> None:
    """Merge DIRS into OUT; a key with different content in two dirs is an error."""
    result = d.combine(dirs, out)
    typer.echo(f"{out}: {len(result.utt2spk())} utterances from {len(dirs)} dirs")


@app.command()
def info(
    dirs: List[Path] = typer.Argument(..., help="Data directories to summarise."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    read_audio: bool = typer.Option(False, help="Read audio headers when no durations file exists."),
) -> None:
    """Utterances, speakers, hours, label coverage and class counts."""
    for dir_ in dirs:
        result = d.info(dir_, read_audio=read_audio)
        typer.echo(json.dumps(result, indent=2) if as_json else format_info(result))


@app.command()
def folds(
    dir_: Path = typer.Argument(..., metavar="DIR", help="Data (or feature) dir of a whole corpus, with spk2fold "
                                                         "or utt2fold unless --scheme makes the folds."),
    out: Optional[Path] = typer.Option(None, help="Output: OUT/fold<k>/{train,dev,test} (default DIR/folds)."),
    scheme: str = typer.Option("file", help="Where the folds come from: 'file' (DIR/spk2fold or DIR/utt2fold), "
                                            "'loso' (leave one speaker out), 'groups:N' (N speaker groups "
                                            "of about equal size) or 'auto' (the file if there is one, else "
                                            "loso up to 12 speakers, else groups:5)."),
    dev: str = typer.Option("next-fold", help="Dev set of fold k, from its training speakers: 'next-fold' (the "
                                              "speakers of fold k+1) or 'speakers:N' (N training speakers). An "
                                              "official utt2fold split with a dev part keeps its own."),
    seed: int = typer.Option(0, help="Seed of --dev speakers:N."),
    allow_shared_speakers: bool = typer.Option(False, help="Accept an official utt2fold split whose parts share "
                                                           "speakers (e.g. MELD); spk2fold folds never do."),
) -> None:
    """Write the speaker-independent folds of DIR as data dirs OUT/fold<k>/{train,dev,test} and
    OUT/folds.json; no speaker is in two parts of a fold, the dev speakers are training speakers."""
    from jsertk.data.folds import write_folds

    out = out or dir_ / "folds"
    summary = write_folds(dir_, out, scheme=scheme, dev=dev, seed=seed, allow_shared_speakers=allow_shared_speakers)
    for name, counts in summary["folds"].items():
        parts = ", ".join(f"{p} {counts[p]['utterances']} utts / {counts[p]['speakers']} spk"
                          for p in ("train", "dev", "test"))
        shared = counts["test_speakers_in_train"]
        typer.echo(f"{out / name}: {parts}" + (f" ({shared} test speakers also in train)" if shared else ""))


@app.command("map-classes")
def map_classes(
    src: Path = typer.Argument(..., help="Data (or feature) dir with utt2emo."),
    dst: Path = typer.Argument(..., help="The copy to write, its utt2emo mapped."),
    class_map: Path = typer.Option(..., help="YAML mapping 'label: class' (null, or left out: the label's utterances "
                                             "are left out), e.g. egs/TEMPLATE/jser1/conf/shared_classes.yaml."),
    keep_unmapped: bool = typer.Option(False, help="Keep utterances whose label maps to nothing, without a label."),
) -> None:
    """Copy SRC to DST with its emotion labels mapped through a class map: one class set across
    corpora (cross-corpus tests), or merged or dropped classes."""
    from jsertk.data.classes import map_classes as run

    counts = run(src, dst, class_map, keep_unmapped)
    typer.echo(f"{dst}: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
