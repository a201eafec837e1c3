"""`jsertk prepare CORPUS`: a corpus as distributed -> one Kaldi data dir with labels and folds."""
from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Corpus preparation: read a corpus as distributed, write one data dir with its labels "
                       "and speaker-independent folds (spk2fold).", no_args_is_help=True)


@app.command()
def emodb(
    corpus_root: Path = typer.Option(..., help="The EmoDB folder (holding wav/SSTTTEV.wav)."),
    out: Path = typer.Option(Path("data/emodb"), help="Data dir to write (replaced only once complete)."),
) -> None:
    """EmoDB: 535 utterances of 10 speakers, 7 emotions, the 10 German sentences as text;
    spk2fold = leave-one-speaker-out (10 folds)."""
    from jsertk.data.corpora.emodb import prepare_emodb

    _report(prepare_emodb(corpus_root, out))


@app.command()
def urdu(
    corpus_root: Path = typer.Option(..., help="The URDU folder (holding Angry/, Happy/, Neutral/, Sad/)."),
    out: Path = typer.Option(Path("data/urdu"), help="Data dir to write (replaced only once complete)."),
    num_folds: int = typer.Option(5, help="Speaker-disjoint groups of about equal size (spk2fold)."),
) -> None:
    """URDU: 400 utterances of 29 speakers, 4 emotions, no transcripts, 44.1 kHz audio (give
    compute-fbank --resample); spk2fold = NUM_FOLDS speaker-disjoint groups."""
    from jsertk.data.corpora.urdu import prepare_urdu

    _report(prepare_urdu(corpus_root, out, num_folds))


def _report(data) -> None:
    from jsertk.data.validate import validate

    for p in validate(data.path):
        typer.echo(f"warning: {p}", err=True)
    typer.echo(f"{data.path}: {len(data.utt2spk())} utterances, {len(data.spk2utt())} speakers")
