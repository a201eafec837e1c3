"""`jsertk decode-asr` (transcribe a feature dir) and `jsertk score-wer` (WER/CER against references)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def decode_asr(
    data: Path = typer.Argument(..., metavar="DATA", help="Feature dir to decode (with feats.scp)."),
    model_dir: Path = typer.Option(Path("exp/asr_train"), help="Experiment dir written by `jsertk train` (an asr "
                                   "model, or a jser model: its ASR branch decodes)."),
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
    whisper: Optional[Path] = typer.Option(None, help="Transcribe with this pretrained Whisper (a local "
                                           "WhisperForConditionalGeneration folder) instead of MODEL_DIR; DATA is "
                                           "then a data dir with wav.scp. --method greedy or beam (--beam-size)."),
    normalize: bool = typer.Option(True, help="--whisper: lower-case the text and strip its punctuation."),
) -> None:
    """Transcribe DATA; writes hyp.text (and hyp.score: log-probability per utterance) atomically."""
    import torch

    from jsertk.infer.asr import DecodeOptions, decode_asr_dir

    if threads:
        torch.set_num_threads(threads)
    if whisper is not None:
        _decode_whisper(data, whisper, outdir or Path(f"exp/whisper/decode_{data.name}"), method, beam_size,
                        device, normalize)
        return
    outdir = outdir or model_dir / f"decode_{data.name}"
    opts = DecodeOptions(method, beam_size, ctc_weight, penalty, maxlenratio, max_frames_per_batch,
                         str(lm) if lm is not None else None, lm_weight)
    summary, stats = decode_asr_dir(model_dir, data, outdir, opts, checkpoint, device)
    from jsertk.utils import provenance

    provenance.record(outdir)
    if stats.too_short:
        typer.echo(f"warning: {stats.too_short} utterances shorter than the encoder's minimum input got an empty "
                   "hypothesis", err=True)
    typer.echo(f"{outdir}/hyp.text: {summary['utterances']} utterances, {method}, RTF {stats.rtf:.3f} "
               f"({torch.get_num_threads()} threads)")


def _decode_whisper(data: Path, whisper: Path, outdir: Path, method: str, beam_size: int, device: str,
                    normalize: bool) -> None:
    import json

    import torch
    from tqdm import tqdm

    from jsertk.data.datadir import DataDir
    from jsertk.infer.whisper_asr import WhisperTranscriber, transcribe_dir
    from jsertk.utils.atomic import atomic_write_text
    from jsertk.utils.errors import InputError

    if method not in ("greedy", "beam"):
        raise InputError(f"--method with --whisper must be greedy or beam, got '{method}'")
    if not (data / "wav.scp").is_file():
        raise InputError(f"{data}: no wav.scp (--whisper transcribes audio: give the data dir, not a feature dir)")
    beams = beam_size if method == "beam" else 1
    transcriber = WhisperTranscriber(whisper, device, beams, normalize=normalize)
    bar = tqdm(total=len(DataDir(data).utt2spk()), desc=f"whisper {data.name}", unit="utt", disable=None,
               leave=False)
    texts, stats = transcribe_dir(transcriber, data, progress=bar.update)
    bar.close()
    atomic_write_text(outdir / "hyp.text", "".join(f"{u} {t}\n" if t else f"{u}\n" for u, t in sorted(texts.items())))
    summary = {"whisper": str(whisper), "data": str(data), "method": method, "beam_size": beams,
               "normalize": normalize, "utterances": stats.utterances, "audio_seconds": round(stats.audio_seconds, 2),
               "decode_seconds": round(stats.decode_seconds, 2), "rtf": round(stats.rtf, 4)}
    atomic_write_text(outdir / "decode.json", json.dumps(summary, indent=2) + "\n")
    from jsertk.utils import provenance

    provenance.record(outdir)
    typer.echo(f"{outdir}/hyp.text: {stats.utterances} utterances, whisper {method}, RTF {stats.rtf:.3f} "
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
    from jsertk.infer.evaluate import score_wer as run
    from jsertk.metrics.wer import summary_table

    report, _, name = run(ref, hyp, outdir, tokenizer, name)
    typer.echo(summary_table({name: report}), nl=False)
    if report.missing_hypotheses:
        typer.echo(f"warning: {len(report.missing_hypotheses)} reference utterances have no hypothesis "
                   f"(scored as deletions), e.g. {report.missing_hypotheses[0]}", err=True)


def register(app: typer.Typer) -> None:
    app.command("decode-asr")(decode_asr)
    app.command("score-wer")(score_wer)
