"""`jsertk decode` (emotion, dimensions and transcript of a feature dir with a joint ASR-SER model),
`jsertk pack` (a self-contained model folder), `jsertk infer` (audio files -> JSON lines),
`jsertk merge-decode` (parallel decoding jobs -> one decode dir) and `jsertk fuse-posteriors`
(several decodes of the same utterances -> their averaged posteriors)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def decode(
    data: Path = typer.Argument(..., metavar="DATA", help="Feature dir to decode (with feats.scp)."),
    model_dir: List[Path] = typer.Option([Path("exp/jser_train")], help="Experiment dir written by `jsertk train` "
                                         "(model: jser); given more than once, an ensemble: the models' posteriors "
                                         "are averaged (the same classes; the first one transcribes)."),
    outdir: Optional[Path] = typer.Option(None, help="Where the outputs go (default: the first MODEL_DIR's "
                                          "decode_<DATA name>)."),
    checkpoint: str = typer.Option("model.pth", help="Weights in MODEL_DIR (model.pth = n-best average)."),
    max_frames_per_batch: int = typer.Option(20000, help="Padded input frames per encoder batch."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default)."),
    ref: Optional[Path] = typer.Option(None, help="Data dir with the reference labels of DATA (utt2emo, utt2dim, "
                                       "text): score every head and the transcripts; summary.json lists UA/WA/WER."),
) -> None:
    """Emotion, dimensions and transcript of DATA with a jser model.

    Writes hyp.emo (fused head), hyp_acoustic.emo / hyp_lexical.emo (single-view heads, if built),
    emo_post.ark/.scp (fused posteriors over classes.txt), hyp.dim, hyp.text (CTC 1-best) and
    decode.json. With --ref, also scores them (scores.json, acoustic/, lexical/, wer/); else score
    with `jsertk score-ser DATA_LABELS OUTDIR`."""
    import torch

    from jsertk.infer.evaluate import score_decode_dir
    from jsertk.infer.ser import decode_ser_dir

    if threads:
        torch.set_num_threads(threads)
    dirs = list(model_dir)
    outdir = outdir or dirs[0] / f"decode_{data.name}"
    summary, stats = decode_ser_dir(dirs if len(dirs) > 1 else dirs[0], data, outdir, checkpoint,
                                    max_frames_per_batch, device)
    from jsertk.utils import provenance

    provenance.record(outdir)
    if stats.too_short:
        typer.echo(f"warning: {stats.too_short} utterances shorter than the encoder's minimum input were skipped",
                   err=True)
    typer.echo(f"{outdir}: {summary['utterances']} utterances, RTF {stats.rtf:.3f} ({torch.get_num_threads()} threads)")
    if ref is not None:
        tok = dirs[0] / "tokenizer"
        scored = score_decode_dir(outdir, ref, tok if tok.is_dir() else None)
        typer.echo(f"{outdir}: " + ", ".join(f"{k} {v:.4f}" for k, v in scored.items()))


def pack(
    model_dir: Path = typer.Argument(..., help="Experiment dir of a jser model (written by `jsertk train`)."),
    out: Optional[Path] = typer.Option(None, help="Packed model folder (default MODEL_DIR/packed)."),
    fbank_config: Optional[Path] = typer.Option(None, help="fbank.yaml of the training features (in the feature "
                                                "dir); default: jsertk's fbank defaults, checked against the model."),
    checkpoint: str = typer.Option("model.pth", help="Weights in MODEL_DIR to pack."),
    include_upstream: bool = typer.Option(False, "--include-upstream", help="A model over an upstream: copy the "
                                          "upstream folder into the pack (self-contained) instead of naming its "
                                          "path (then checked by digest where the pack is loaded)."),
) -> None:
    """Write a self-contained model folder: config, weights, tokenizer, CMVN, class list, fbank options,
    checksums. `jsertk infer OUT audio.wav` and `jsertk.infer.Recognizer.from_dir(OUT)` load it. A model
    over an upstream is packed to read audio, with the upstream's weights and identity."""
    from jsertk.infer.pack import pack_model

    out = out or model_dir / "packed"
    pack_model(model_dir, out, fbank_config, checkpoint, include_upstream)
    typer.echo(f"{out}: packed")


def infer(
    model_dir: Path = typer.Argument(..., help="Packed model folder (`jsertk pack`)."),
    audio: List[Path] = typer.Argument(..., metavar="AUDIO...", help="Audio files (wav, flac, ...)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="JSON-lines file (default: standard output)."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    batch_size: int = typer.Option(1, help="Files per forward pass."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default)."),
) -> None:
    """One JSON line per file: {utt, transcript, emotion, posteriors, arousal, valence, dominance, path}.
    An unreadable file is reported on stderr and skipped; the exit code is then 1."""
    import json
    import sys

    import torch

    from jsertk.infer.recognizer import Recognizer
    from jsertk.utils.atomic import atomic_open

    if threads:
        torch.set_num_threads(threads)
    rec = Recognizer.from_dir(model_dir, device=device)
    failed: list[str] = []

    def report(path, err):
        failed.append(str(path))
        typer.echo(f"error: {err}", err=True)

    results = rec.recognize_files([str(p) for p in audio], batch_size=batch_size, on_error=report)
    if output is None:
        for r in results:
            sys.stdout.write(json.dumps(r) + "\n")
            sys.stdout.flush()
    else:
        with atomic_open(output) as f:
            f.writelines(json.dumps(r) + "\n" for r in results)
    if failed:
        typer.echo(f"{len(failed)} of {len(audio)} files could not be read", err=True)
        raise typer.Exit(1)


def merge_decode(
    out: Path = typer.Argument(..., help="Decode dir to write: the merged hyp.* files, emo_post.scp, classes.txt "
                               "and decode.json."),
    parts: List[Path] = typer.Argument(..., metavar="PART...", help="Decode dirs of the jobs (`jsertk decode` or "
                                       "`jsertk decode-asr`), one per part of the feature dir."),
    data: Optional[Path] = typer.Option(None, help="The feature dir the parts were split from: check that every "
                                        "utterance of it was decoded (recorded as decode.json's data)."),
    ref: Optional[Path] = typer.Option(None, help="Data dir with the reference labels: score the merged dir as one "
                                       "job would (jser: as `jsertk decode --ref`; asr: as `jsertk score-wer`)."),
    tokenizer: Optional[Path] = typer.Option(None, help="Tokenizer dir whose normalisation the WER uses (default: "
                                             "MODEL_DIR/tokenizer of the parts' decode.json)."),
) -> None:
    """Merge the decode dirs of parallel decoding jobs into OUT, byte-identical to one job's outputs
    when the parts come from `steps/decode.sh` (batch-aligned splits); decode.json sums the counts
    and times. Fails, writing nothing, on a missing part or file, a part of another model or
    checkpoint, or an utterance in two parts. See jsertk/infer/merge.py."""
    from jsertk.infer.merge import default_tokenizer, merge_decode_dirs, score_merged

    summary = merge_decode_dirs(out, parts, data)
    from jsertk.utils import provenance

    provenance.record(out)
    typer.echo(f"{out}: {summary['utterances']} utterances from {len(parts)} parts, RTF {summary['rtf']:.3f}")
    if ref is not None:
        scored = score_merged(out, ref, tokenizer or default_tokenizer(out))
        typer.echo(f"{out}: " + ", ".join(f"{k} {v:.4f}" for k, v in scored.items()))


def fuse_posteriors(
    out: Path = typer.Argument(..., metavar="OUT", help="Decode dir to write: emo_post.ark/.scp, hyp.emo, classes.txt, "
                               "decode.json."),
    decs: List[Path] = typer.Argument(..., metavar="DEC...", help="Decode dirs of `jsertk decode` (or "
                                      "`steps/decode.sh`): DATA itself, copies of it (utterance '<prefix>-<utt>', "
                                      "e.g. sp0.9-<utt>), or other models' decodes of it."),
    data: Path = typer.Option(..., help="The data dir whose utterances are fused (its utt2spk lists them)."),
    ref: Optional[Path] = typer.Option(None, help="Data dir with the reference labels (utt2emo): score OUT as "
                                       "`jsertk decode --ref` would."),
) -> None:
    """Average the emotion posteriors of several decodes per utterance of DATA: test-time augmentation
    (DATA and its speed-perturbed copies, each copy counted towards its original) or the late fusion
    of several systems. Every posterior vector counts once. Fails, writing nothing, on other classes,
    an utterance that is not DATA's nor a copy, or a DATA utterance a decode dir lacks.
    See jsertk/infer/fuse.py."""
    from jsertk.infer.evaluate import score_decode_dir
    from jsertk.infer.fuse import fuse_decode_dirs

    summary = fuse_decode_dirs(out, decs, data)
    from jsertk.utils import provenance

    provenance.record(out)
    typer.echo(f"{out}: {summary['utterances']} utterances, {summary['vectors_per_utterance']} posterior vectors "
               f"each from {len(decs)} decode dirs")
    if ref is not None:
        scored = score_decode_dir(out, ref)
        typer.echo(f"{out}: " + ", ".join(f"{k} {v:.4f}" for k, v in scored.items()))


def register(app: typer.Typer) -> None:
    app.command("decode")(decode)
    app.command("pack")(pack)
    app.command("infer")(infer)
    app.command("merge-decode")(merge_decode)
    app.command("fuse-posteriors")(fuse_posteriors)
