"""`jsertk synth-corpus`: the embedded synthetic emotional speech corpus (espeak-ng)."""
from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Optional

import typer


def synth_corpus(
    out: Path = typer.Argument(..., help="Corpus directory: wav/, meta/, corpus.json (and data/ by default)."),
    data_dir: Optional[Path] = typer.Option(None, help="Where the Kaldi data dirs go (one per set); default OUT/data."),
    size: str = typer.Option("demo", help="Preset size: tiny (48 utts, tests), demo (1440, ~1.1 h), "
                                          "full (13200, ~10 h)."),
    seed: int = typer.Option(0, help="Random seed; the corpus is identical for a given seed and options."),
    nj: int = typer.Option(1, help="Parallel synthesis processes."),
    speakers: Optional[int] = typer.Option(None, help="Number of speakers, even, >= 6 (default: 12, full: 24); "
                                                      "half female, half male; dev and test speakers held out."),
    num_train_labeled: Optional[int] = typer.Option(None, help="Override the size's train_labeled count."),
    num_train_unlabeled: Optional[int] = typer.Option(None, help="Override the size's train_unlabeled count."),
    num_asr_train: Optional[int] = typer.Option(None, help="Override the size's asr_train count."),
    num_dev: Optional[int] = typer.Option(None, help="Override the size's dev count."),
    num_test: Optional[int] = typer.Option(None, help="Override the size's test count."),
    lexical_fraction: float = typer.Option(0.5, help="Share of utterances whose words signal their emotion; the "
                                                     "rest say emotionally neutral sentences."),
    noise: bool = typer.Option(True, help="Add noise (white, pink or brown) at a random SNR."),
    snr_min: float = typer.Option(10.0, help="Lowest SNR in dB."),
    snr_max: float = typer.Option(30.0, help="Highest SNR in dB."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a corpus made with other options in OUT."),
    report: bool = typer.Option(False, "--report", help="Then measure the audio: mean F0, duration, words/s and "
                                                        "speech level by emotion and gender (markdown table)."),
) -> None:
    """Generate the synthetic emotional speech corpus and its Kaldi data dirs.

    Sets: train_labeled (emotion, text, gender), train_unlabeled (audio only; true labels in
    train_unlabeled/.ref/ for scoring pseudo labels), asr_train (text, gender), dev and test
    (all labels; speakers held out from training and from each other). wav.scp holds absolute
    paths. Rerunning with the same options resumes and skips finished audio.
    """
    from jsertk.data.synth.corpus import generate
    from jsertk.data.synth.plan import make_options

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up temp files on kill
    options = make_options(size=size, seed=seed, speakers=speakers, counts={
        "train_labeled": num_train_labeled, "train_unlabeled": num_train_unlabeled, "asr_train": num_asr_train,
        "dev": num_dev, "test": num_test}, lexical_fraction=lexical_fraction, noise=noise, snr_min=snr_min,
        snr_max=snr_max)
    result = generate(out, options, data_dir=data_dir, nj=nj, overwrite=overwrite)
    by_set: dict[str, int] = {}
    for u in result.utterances:
        by_set[u.set] = by_set.get(u.set, 0) + 1
    typer.echo(f"{result.out}: {len(result.utterances)} utterances ({result.rendered} made now), "
               f"{len(result.speakers)} speakers, {result.seconds:.1f} s with {nj} jobs")
    for name, n in by_set.items():
        typer.echo(f"  {result.data_dir / name}: {n} utterances")
    if report:
        from jsertk.data.synth.report import format_table, measure_corpus, summarize

        typer.echo(format_table(summarize(measure_corpus(result.out, nj=nj))))


def register(app: typer.Typer) -> None:
    app.command("synth-corpus")(synth_corpus)
