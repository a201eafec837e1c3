"""`jsertk prepare CORPUS`: a corpus as distributed -> one Kaldi data dir with labels and folds."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(help="Corpus preparation: read a corpus as distributed, write one data dir with its labels "
                       "and speaker-independent folds (spk2fold).", no_args_is_help=True)


CLASS_MAP = typer.Option(None, help="YAML class map 'corpus label: class' (null, or left out: the label's "
                                    "utterances are dropped) [default: the corpus's labels, readable].")
KEEP_UNMAPPED = typer.Option(False, help="Keep utterances whose label the class map drops, without an emotion "
                                         "label (unlabelled speech).")
SKIP_MISSING = typer.Option(False, help="Leave out utterances whose audio is absent or empty, and list them "
                                        "(default: stop at the first).")


@app.command()
def emodb(
    corpus_root: Path = typer.Option(..., help="The EmoDB folder (holding wav/SSTTTEV.wav)."),
    out: Path = typer.Option(Path("data/emodb"), help="Data dir to write (replaced only once complete)."),
    class_map: Optional[Path] = CLASS_MAP, keep_unmapped: bool = KEEP_UNMAPPED,
) -> None:
    """EmoDB: 535 utterances of 10 speakers, 7 emotions, the 10 German sentences as text;
    spk2fold = leave-one-speaker-out (10 folds)."""
    from jsertk.data.corpora.emodb import prepare_emodb

    _report(prepare_emodb(corpus_root, out, class_map, keep_unmapped))


@app.command()
def urdu(
    corpus_root: Path = typer.Option(..., help="The URDU folder (holding Angry/, Happy/, Neutral/, Sad/)."),
    out: Path = typer.Option(Path("data/urdu"), help="Data dir to write (replaced only once complete)."),
    num_folds: int = typer.Option(5, help="Speaker-disjoint groups of about equal size (spk2fold)."),
    class_map: Optional[Path] = CLASS_MAP, keep_unmapped: bool = KEEP_UNMAPPED,
) -> None:
    """URDU: 400 utterances of 29 speakers, 4 emotions, no transcripts, 44.1 kHz audio (give
    compute-fbank --resample); spk2fold = NUM_FOLDS speaker-disjoint groups."""
    from jsertk.data.corpora.urdu import prepare_urdu

    _report(prepare_urdu(corpus_root, out, num_folds, class_map, keep_unmapped))


@app.command()
def ravdess(
    corpus_root: Path = typer.Option(..., help="The RAVDESS speech folder (holding Actor_01 ... Actor_24)."),
    out: Path = typer.Option(Path("data/ravdess"), help="Data dir to write (replaced only once complete)."),
    class_map: Optional[Path] = CLASS_MAP, keep_unmapped: bool = KEEP_UNMAPPED, skip_missing: bool = SKIP_MISSING,
) -> None:
    """RAVDESS speech: 1,440 utterances of 24 actors, 8 emotions, 2 sentences as text, 48 kHz audio
    (give compute-fbank --resample); spk2fold = 6 folds of 4 consecutive actors."""
    from jsertk.data.corpora.ravdess import prepare_ravdess

    _report(prepare_ravdess(corpus_root, out, class_map, keep_unmapped, skip_missing))


@app.command()
def cremad(
    corpus_root: Path = typer.Option(..., help="The CREMA-D folder (holding AudioWAV/ and VideoDemographics.csv)."),
    out: Path = typer.Option(Path("data/cremad"), help="Data dir to write (replaced only once complete)."),
    num_folds: int = typer.Option(5, help="Speaker-disjoint groups of about equal size (spk2fold)."),
    class_map: Optional[Path] = CLASS_MAP, keep_unmapped: bool = KEEP_UNMAPPED, skip_missing: bool = SKIP_MISSING,
) -> None:
    """CREMA-D: 7,442 clips of 91 actors, 6 emotions, 12 sentences as text; spk2fold = NUM_FOLDS
    speaker-disjoint groups."""
    from jsertk.data.corpora.cremad import prepare_cremad

    _report(prepare_cremad(corpus_root, out, class_map, keep_unmapped, skip_missing, num_folds))


@app.command()
def iemocap(
    corpus_root: Path = typer.Option(..., help="The IEMOCAP_full_release folder (holding Session1 ... Session5)."),
    out: Path = typer.Option(Path("data/iemocap"), help="Data dir to write (replaced only once complete)."),
    classes: str = typer.Option("4", help="4: neutral, happy (+ excited), sad, angry (5,531 utterances); 6: "
                                          "neutral, happy, sad, angry, excited, frustrated."),
    class_map: Optional[Path] = CLASS_MAP, keep_unmapped: bool = KEEP_UNMAPPED, skip_missing: bool = SKIP_MISSING,
) -> None:
    """IEMOCAP: 10 speakers in 5 sessions, categorical (--classes) and dimensional labels, transcripts;
    spk2fold = leave one session out (5 folds)."""
    from jsertk.data.corpora.iemocap import prepare_iemocap

    _report(prepare_iemocap(corpus_root, out, class_map, classes, keep_unmapped, skip_missing))


@app.command()
def meld(
    corpus_root: Path = typer.Option(..., help="The unpacked MELD.Raw folder (the *_sent_emo.csv tables and the "
                                               "split folders of mp4 clips)."),
    out: Path = typer.Option(Path("data/meld"), help="Data dir to write (replaced only once complete)."),
    class_map: Optional[Path] = CLASS_MAP, keep_unmapped: bool = KEEP_UNMAPPED, skip_missing: bool = SKIP_MISSING,
) -> None:
    """MELD: 7 emotions, transcripts, the official train/dev/test split as utt2fold (it shares
    speakers); audio read from the mp4 clips by ffmpeg (must be installed)."""
    from jsertk.data.corpora.meld import prepare_meld

    _report(prepare_meld(corpus_root, out, class_map, keep_unmapped, skip_missing))


@app.command()
def librispeech(
    corpus_root: Path = typer.Option(..., help="The LibriSpeech folder (holding the subsets and SPEAKERS.TXT)."),
    subsets: str = typer.Option(..., help="Subsets, space separated, e.g. 'train-clean-100 dev-clean'."),
    out: Path = typer.Option(Path("data"), help="Parent of the data dirs: OUT/<subset with _> per subset."),
    skip_missing: bool = SKIP_MISSING,
) -> None:
    """LibriSpeech subsets: transcripts and genders (ASR pretraining, unlabelled speech, auxiliary tasks)."""
    from jsertk.data.corpora.librispeech import prepare_librispeech

    for result in prepare_librispeech(corpus_root, out, subsets.split(), skip_missing):
        _report(result)


@app.command()
def manifest(
    file: Path = typer.Argument(..., help="The manifest: CSV, TSV or JSON lines, a row per utterance."),
    out: Path = typer.Option(..., help="Data dir to write (replaced only once complete)."),
    column: List[str] = typer.Option([], help="KEY=HEADER: the manifest's name for a column (repeatable), e.g. "
                                              "--column path=file --column emotion=label. Keys: utt path emotion "
                                              "speaker gender text arousal valence dominance start end language "
                                              "split fold."),
    format: str = typer.Option("auto", help="auto (from the suffix and first line), csv, tsv or jsonl."),
    class_map: Optional[Path] = CLASS_MAP, keep_unmapped: bool = KEEP_UNMAPPED, skip_missing: bool = SKIP_MISSING,
) -> None:
    """Any corpus: a manifest of audio paths (relative to its folder), emotions and speakers, with
    optional genders, transcripts, dimensions, segments, languages and a split or fold column."""
    from jsertk.data.corpora.manifest import prepare_manifest
    from jsertk.utils.errors import InputError

    columns = {}
    for item in column:
        key, sep, name = item.partition("=")
        if not sep or not key or not name:
            raise InputError(f"--column '{item}': expected KEY=HEADER")
        columns[key] = name
    _report(prepare_manifest(file, out, columns, format, class_map, keep_unmapped, skip_missing))


def _report(result) -> None:
    from jsertk.data.corpora.common import Prepared
    from jsertk.data.validate import validate

    data = result.data if isinstance(result, Prepared) else result
    for p in validate(data.path, check_audio=False):
        typer.echo(f"warning: {p}", err=True)
    if isinstance(result, Prepared):
        for item in result.skipped:
            typer.echo(f"skipped: {item}", err=True)
        if result.skipped:
            typer.echo(f"{data.path}: {len(result.skipped)} utterances skipped (listed above)", err=True)
        if result.dropped:
            typer.echo(f"{data.path}: left out by the class map: " + ", ".join(
                f"{k} {v}" for k, v in sorted(result.dropped.items())), err=True)
    typer.echo(f"{data.path}: {len(data.utt2spk())} utterances, {len(data.spk2utt())} speakers")
