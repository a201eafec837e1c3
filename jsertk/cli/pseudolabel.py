"""`jsertk pseudolabel` (emotion labels and transcripts for unlabelled speech from a jser model) and
`jsertk pseudolabel-score` (one part's per-utterance scores, run by its job array)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def pseudolabel(
    model: Path = typer.Option(Path("exp/jser_train"), help="Experiment dir of a jser model (`jsertk train`), "
                               "with config.yaml, the weights and classes.txt."),
    data: Path = typer.Option(Path("dump/fbank/train_unlabeled"), help="Feature dir to label (feats.scp, "
                              "utt2num_frames)."),
    out: Optional[Path] = typer.Option(None, help="Output data dir (default data/<DATA name>_pl); replaced only "
                                       "once the new one is complete."),
    labels_from: Optional[Path] = typer.Option(None, help="Kaldi data dir of the same utterances whose utterance "
                                               "files (wav.scp, utt2spk, segments, spk2gender, utt2dur...) are "
                                               "carried over (default: DATA if it holds utt2spk, else "
                                               "data/<DATA name>)."),
    ref: Optional[Path] = typer.Option(None, help="Dir with the true utt2emo / text of these utterances, to score "
                                       "the pseudo labels (default LABELS_FROM/.ref; used only when present)."),
    checkpoint: str = typer.Option("model.pth", help="Weights in MODEL (model.pth = n-best average)."),
    threshold: float = typer.Option(0.0, help="Keep an emotion label when the fused head's posterior of it is at "
                                    "least this (0-1)."),
    agreement: str = typer.Option("fused-with-either", help="Multi-view agreement: any (none needed), "
                                  "fused-with-either (fused argmax equals the acoustic-only or the lexical-only "
                                  "head's), all (all three agree)."),
    max_per_class: int = typer.Option(0, help="Keep at most this many emotion labels per class, the most "
                                      "confident (0 = no cap)."),
    balance: bool = typer.Option(False, "--balance/--no-balance", help="Cap every class at the count of the "
                                 "rarest class that kept any label, so the kept labels are balanced."),
    text_threshold: float = typer.Option(0.0, help="Keep a transcript (CTC 1-best) when its confidence is at "
                                         "least this (0-1); empty hypotheses are never kept."),
    nj: int = typer.Option(1, help="Parallel scoring jobs (1 = in this process); parts finished by an earlier "
                           "run are reused."),
    backend: str = typer.Option("local", help="Job backend for --nj > 1: local or slurm (conf/slurm.conf)."),
    max_frames_per_batch: int = typer.Option(20000, help="Padded input frames per encoder batch."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    threads: int = typer.Option(0, help="torch CPU threads per process (0 = torch's default)."),
) -> None:
    """Pseudo-label DATA with a jser model: the fused emotion head's argmax (kept by confidence,
    multi-view agreement and per-class caps) and the CTC 1-best transcript (kept by confidence).

    Writes OUT as a Kaldi data dir of the utterances that kept any label: utterance files from
    LABELS_FROM, feats.scp and utt2num_frames from DATA, utt2emo, utt2emo_conf, text, utt2text_conf
    and pseudolabel.json (options, counts, confidences, and accuracy/WER against the reference
    when LABELS_FROM/.ref exists). See docs/semi-supervised.md."""
    from jsertk.infer.pseudolabel import SelectOptions, format_summary
    from jsertk.infer.pseudolabel_run import PseudoLabelRun, run_pseudolabel

    run = PseudoLabelRun(model, data, out, labels_from, ref, checkpoint, nj, backend, max_frames_per_batch, device,
                         threads)
    summary, too_short = run_pseudolabel(run, SelectOptions(threshold, agreement, max_per_class, balance,
                                                            text_threshold))
    if too_short:
        typer.echo(f"warning: {len(too_short)} utterances shorter than the encoder's minimum input were not scored "
                   f"(e.g. '{too_short[0]}')", err=True)
    typer.echo(format_summary(summary))
    from jsertk.utils import provenance

    provenance.record(run.resolved().out)
    typer.echo(f"{run.resolved().out}: {summary['counts']['utterances_written']} utterances written")


def pseudolabel_score(
    model: Path = typer.Option(Path("exp/jser_train"), help="Experiment dir of a jser model."),
    data: Path = typer.Option(Path("dump/fbank/train_unlabeled"), help="Feature dir (or one part of it)."),
    out: Path = typer.Option(Path("scores.jsonl"), help="JSON-lines file of per-utterance scores (written "
                             "atomically)."),
    checkpoint: str = typer.Option("model.pth", help="Weights in MODEL."),
    max_frames_per_batch: int = typer.Option(20000, help="Padded input frames per encoder batch."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default)."),
) -> None:
    """Per-utterance scores of DATA (every emotion head's posteriors, the CTC 1-best and its
    confidence) as JSON lines; what each job of `jsertk pseudolabel --nj N` runs."""
    import torch

    from jsertk.infer.pseudolabel_score import (
        load_jser,
        progress_printer,
        score_dir,
        write_scores,
    )

    if threads:
        torch.set_num_threads(threads)
    net, tokenizer = load_jser(model, checkpoint, device)
    scores, too_short = score_dir(net, tokenizer, data, max_frames_per_batch, device, progress_printer(str(data)))
    write_scores(out, scores, too_short)
    typer.echo(f"{out}: {len(scores)} utterances scored")


def register(app: typer.Typer) -> None:
    app.command("pseudolabel")(pseudolabel)
    app.command("pseudolabel-score")(pseudolabel_score)
