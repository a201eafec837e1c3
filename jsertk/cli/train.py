"""`jsertk train`: train a model from a YAML config on feature dirs (also under torchrun)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def train(
    data: List[Path] = typer.Argument(..., metavar="DATA...", help="Training feature dirs (each with feats.scp)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML config (see conf/train_asr.yaml); "
                                          "with --resume it defaults to OUTDIR/config.yaml."),
    valid: List[Path] = typer.Option([], "--valid", help="Validation feature dir (repeatable)."),
    outdir: Path = typer.Option(Path("exp/asr_train"), help="Experiment dir for checkpoints, logs and model.pth."),
    overrides: List[str] = typer.Option([], "--set", help="Override a config key: --set train.max_epochs=5."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in OUTDIR from its last checkpoint."),
    init: Optional[Path] = typer.Option(None, "--init", help="Experiment dir whose model initialises this one "
                                        "(models with an `init` config key, e.g. jser from an ASR experiment)."),
    dist_backend: Optional[str] = typer.Option(None, help="torch.distributed backend under torchrun: nccl or "
                                               "gloo (default: nccl on GPU, gloo on CPU)."),
) -> None:
    """Train (model chosen by the config's `model:`); writes OUTDIR/model.pth, the n-best average."""
    from jsertk.train import run_training
    from jsertk.train.trainer import TrainingError

    if init is not None:
        overrides = [*overrides, f"init={init}"]
    try:
        best = run_training(config, data, valid, outdir, overrides, resume=resume, dist_backend=dist_backend)
    except TrainingError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    if best:
        typer.echo(f"{outdir}/model.pth: average of epochs {', '.join(str(e) for e, _ in best)}")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
