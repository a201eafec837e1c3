"""`jsertk decode` (emotion, dimensions and transcript of a feature dir with a joint ASR-SER model),
`jsertk pack` (a self-contained model folder) and `jsertk infer` (audio files -> JSON lines)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def decode(
    data: Path = typer.Argument(..., metavar="DATA", help="Feature dir to decode (with feats.scp)."),
    model_dir: Path = typer.Option(Path("exp/jser_train"), help="Experiment dir written by `jsertk train` "
                                   "(model: jser)."),
    outdir: Optional[Path] = typer.Option(None, help="Where the outputs go (default MODEL_DIR/decode_<DATA name>)."),
    checkpoint: str = typer.Option("model.pth", help="Weights in MODEL_DIR (model.pth = n-best average)."),
    max_frames_per_batch: int = typer.Option(20000, help="Padded input frames per encoder batch."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default)."),
) -> None:
    """Emotion, dimensions and transcript of DATA with a jser model.

    Writes hyp.emo (fused head), hyp_acoustic.emo / hyp_lexical.emo (single-view heads, if built),
    emo_post.ark/.scp (fused posteriors over classes.txt), hyp.dim, hyp.text (CTC 1-best) and
    decode.json; score with `jsertk score-ser DATA_LABELS OUTDIR`."""
    import json
    import shutil

    import numpy as np
    import torch

    from jsertk.features.io import ArkScpWriter
    from jsertk.infer.asr import DecodeStats
    from jsertk.tasks.experiment import load_model
    from jsertk.infer.ser import predict_dir
    from jsertk.utils.atomic import atomic_open

    if threads:
        torch.set_num_threads(threads)
    model, cfg, resources = load_model(model_dir, checkpoint, device)
    if cfg["model"] != "jser":
        raise ValueError(f"{model_dir}: a '{cfg['model']}' model; `jsertk decode` needs a jser model "
                         "(use decode-asr for ASR models)")
    outdir = outdir or model_dir / f"decode_{data.name}"
    stats = DecodeStats()
    results = sorted(predict_dir(model, resources.tokenizer, data, stats, max_frames_per_batch, device,
                                 cfg["data"]["frame_shift_ms"]), key=lambda r: r.utt.encode())
    with ArkScpWriter(outdir / "emo_post.ark", outdir / "emo_post.scp") as w:
        for r in results:
            w.write(r.utt, r.posteriors.astype(np.float32))
    with atomic_open(outdir / "hyp.emo") as f:
        f.writelines(f"{r.utt} {r.emotion}\n" for r in results)
    for view in ("emotion_acoustic", "emotion_lexical"):
        if results and view in results[0].views:
            with atomic_open(outdir / f"hyp_{view.split('_')[1]}.emo") as f:
                f.writelines(f"{r.utt} {model.classes[int(r.views[view].argmax())]}\n" for r in results)
    if results and results[0].dims is not None:
        with atomic_open(outdir / "hyp.dim") as f:
            f.writelines(f"{r.utt} {r.dims[0]:.4f} {r.dims[1]:.4f} {r.dims[2]:.4f}\n" for r in results)
    with atomic_open(outdir / "hyp.text") as f:
        f.writelines(f"{r.utt} {r.text}\n" if r.text else f"{r.utt}\n" for r in results)
    shutil.copyfile(model_dir / "classes.txt", outdir / "classes.txt")
    summary = {"checkpoint": checkpoint, "utterances": len(results), "too_short": stats.too_short,
               "audio_seconds": round(stats.audio_seconds, 2), "decode_seconds": round(stats.decode_seconds, 2),
               "rtf": round(stats.rtf, 4), "threads": torch.get_num_threads()}
    with atomic_open(outdir / "decode.json") as f:
        f.write(json.dumps(summary, indent=2) + "\n")
    if stats.too_short:
        typer.echo(f"warning: {stats.too_short} utterances shorter than the encoder's minimum input were skipped",
                   err=True)
    typer.echo(f"{outdir}: {len(results)} utterances, RTF {stats.rtf:.3f} ({torch.get_num_threads()} threads)")


def pack(
    model_dir: Path = typer.Argument(..., help="Experiment dir of a jser model (written by `jsertk train`)."),
    out: Optional[Path] = typer.Option(None, help="Packed model folder (default MODEL_DIR/packed)."),
    fbank_config: Optional[Path] = typer.Option(None, help="fbank.yaml of the training features (in the feature "
                                                "dir); default: jsertk's fbank defaults, checked against the model."),
    checkpoint: str = typer.Option("model.pth", help="Weights in MODEL_DIR to pack."),
) -> None:
    """Write a self-contained model folder: config, weights, tokenizer, CMVN, class list, fbank options,
    checksums. `jsertk infer OUT audio.wav` and `jsertk.infer.Recognizer.from_dir(OUT)` load it."""
    from jsertk.infer.pack import pack_model

    out = out or model_dir / "packed"
    pack_model(model_dir, out, fbank_config, checkpoint)
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


def register(app: typer.Typer) -> None:
    app.command("decode")(decode)
    app.command("pack")(pack)
    app.command("infer")(infer)
