"""`jsertk decode-asr` (transcribe a feature dir) and `jsertk score-wer` (WER/CER against references)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def decode_asr(
    data: Path = typer.Argument(..., metavar="DATA", help="Feature dir to decode (with feats.scp)."),
    model_dir: Path = typer.Option(Path("exp/asr_train"), help="Experiment dir written by `jsertk train`."),
    outdir: Optional[Path] = typer.Option(None, help="Where hyp.text goes (default MODEL_DIR/decode_<DATA name>)."),
    checkpoint: str = typer.Option("model.pth", help="Weights in MODEL_DIR (model.pth = n-best average)."),
    method: str = typer.Option("greedy", help="greedy (CTC), ctc_beam (CTC prefix beam) or joint (CTC/attention)."),
    beam_size: int = typer.Option(10, help="Beam width for ctc_beam and joint."),
    ctc_weight: float = typer.Option(0.3, help="joint: weight of the CTC prefix score (1 - it for the decoder)."),
    penalty: float = typer.Option(0.0, help="joint: score bonus per output token."),
    maxlenratio: float = typer.Option(0.0, help="joint: max output length / encoder length (0 = end detection)."),
    max_frames_per_batch: int = typer.Option(20000, help="Padded input frames per encoder batch."),
    lm: Optional[Path] = typer.Option(None, help="Token n-gram LM (ARPA, `jsertk train-lm`) fused into ctc_beam "
                                      "or joint decoding (shallow fusion); its tokens must be the model's."),
    lm_weight: float = typer.Option(0.3, help="Weight of the LM's log-probability (with --lm)."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default)."),
) -> None:
    """Transcribe DATA; writes hyp.text (and hyp.score: log-probability per utterance) atomically."""
    import json

    import torch

    from jsertk.infer.asr import DecodeOptions, DecodeStats, decode_dir
    from jsertk.tasks.experiment import load_model
    from jsertk.utils.atomic import atomic_open

    if lm is not None and method == "greedy":
        raise ValueError("--lm needs a search: use --method ctc_beam or joint (greedy takes no language model)")
    if threads:
        torch.set_num_threads(threads)
    model, cfg, resources = load_model(model_dir, checkpoint, device)
    outdir = outdir or model_dir / f"decode_{data.name}"
    opts = DecodeOptions(method, beam_size, ctc_weight, penalty, maxlenratio, max_frames_per_batch,
                         str(lm) if lm is not None else None, lm_weight)
    from tqdm import tqdm

    from jsertk.data.table import read_entries

    stats = DecodeStats()
    total = len(read_entries(data / "feats.scp")) if (data / "feats.scp").is_file() else None
    progress = tqdm(decode_dir(model, resources.tokenizer, data, opts, stats, device, cfg["data"]["frame_shift_ms"]),
                    total=total, desc=f"decode {data.name}", unit="utt", disable=None, leave=False)
    hyps = sorted(progress, key=lambda h: h.utt.encode())
    with atomic_open(outdir / "hyp.text") as f:
        f.writelines(f"{h.utt} {h.text}\n" if h.text else f"{h.utt}\n" for h in hyps)
    with atomic_open(outdir / "hyp.score") as f:
        f.writelines(f"{h.utt} {h.score:.4f}\n" for h in hyps)
    summary = {"method": method, "beam_size": beam_size, "ctc_weight": ctc_weight, "penalty": penalty,
               "lm": str(lm) if lm is not None else None, "lm_weight": lm_weight if lm is not None else None,
               "checkpoint": checkpoint, "utterances": len(hyps), "too_short": stats.too_short,
               "audio_seconds": round(stats.audio_seconds, 2), "decode_seconds": round(stats.decode_seconds, 2),
               "rtf": round(stats.rtf, 4), "threads": torch.get_num_threads()}
    with atomic_open(outdir / "decode.json") as f:
        f.write(json.dumps(summary, indent=2) + "\n")
    if stats.too_short:
        typer.echo(f"warning: {stats.too_short} utterances shorter than the encoder's minimum input got an empty "
                   "hypothesis", err=True)
    typer.echo(f"{outdir}/hyp.text: {len(hyps)} utterances, {method}, RTF {stats.rtf:.3f} "
               f"({torch.get_num_threads()} threads)")


def score_wer(
    ref: Path = typer.Argument(..., help="Reference: a data dir (its `text`) or a text file `<utt> <words>`."),
    hyp: Path = typer.Argument(..., help="Hypotheses: a hyp.text file or a decode dir holding one."),
    outdir: Optional[Path] = typer.Option(None, help="Where scores go (default: the dir of HYP)."),
    tokenizer: Optional[Path] = typer.Option(None, help="Tokenizer dir whose normalisation (case, punctuation) "
                                             "is applied to both sides, e.g. MODEL_DIR/tokenizer."),
    name: str = typer.Option("", help="Name of the scored set in the summary table."),
) -> None:
    """WER and CER with jiwer: scores.json, result.txt (table + per-utterance alignments), utt_scores.tsv."""
    from jsertk.data.table import read_table
    from jsertk.metrics.wer import score, summary_table, write_report

    ref_file = ref / "text" if ref.is_dir() else ref
    hyp_file = hyp / "hyp.text" if hyp.is_dir() else hyp
    normalize = None
    if tokenizer is not None:
        from jsertk.text import Tokenizer

        normalize = Tokenizer(tokenizer).normalize
    report = score(read_table(ref_file), read_table(hyp_file), normalize)
    outdir = outdir or hyp_file.parent
    write_report(report, outdir, name or outdir.name)
    typer.echo(summary_table({name or outdir.name: report}), nl=False)
    if report.missing_hypotheses:
        typer.echo(f"warning: {len(report.missing_hypotheses)} reference utterances have no hypothesis "
                   f"(scored as deletions), e.g. {report.missing_hypotheses[0]}", err=True)


def register(app: typer.Typer) -> None:
    app.command("decode-asr")(decode_asr)
    app.command("score-wer")(score_wer)
