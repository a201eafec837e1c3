"""Training: dataset over feature dirs and label files, length-bucketed batching, the trainer."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence


def run_training(config: str | Path | None, train_dirs: Sequence[str | Path], valid_dirs: Sequence[str | Path],
                 outdir: str | Path, overrides: Sequence[str] = (), resume: bool = False,
                 dist_backend: str | None = None, trainer_class=None):
    """Train a model as configured; returns the (epoch, metric) list averaged into outdir/model.pth.

    Under torchrun (WORLD_SIZE > 1) each process calls this and they train together with DDP.
    """
    from jsertk.tasks.config import load_train_config
    from jsertk.train.distributed import init_distributed, shutdown
    from jsertk.train.reporting import log, setup_logging
    from jsertk.train.trainer import Trainer

    outdir = Path(outdir)
    if config is None and resume and (outdir / "config.yaml").is_file():
        config = outdir / "config.yaml"
    cfg = load_train_config(config, overrides)
    info = init_distributed(dist_backend, cfg["train"]["device"])
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        setup_logging(outdir, info.rank)
        log.info("training %s -> %s (config %s)", ", ".join(map(str, train_dirs)), outdir, config)
        trainer = (trainer_class or Trainer)(cfg, [str(d) for d in train_dirs], [str(d) for d in valid_dirs],
                                             outdir, info, resume=resume)
        return trainer.run()
    finally:
        shutdown(info)
