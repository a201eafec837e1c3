"""What a training run leaves for people to read: train.log, TensorBoard scalars, history.json
and a PNG of the loss curves. Only the main process writes."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from jsertk.utils.atomic import atomic_write_text

log = logging.getLogger("jsertk.train")


def setup_logging(expdir: Path | None, rank: int = 0) -> None:
    """Log INFO to stderr and (main process) append to expdir/train.log; other ranks log warnings only."""
    log.setLevel(logging.INFO)
    log.propagate = False
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    fmt = logging.Formatter(f"%(asctime)s [%(levelname)s]{f' rank{rank}' if rank else ''} %(message)s",
                            "%Y-%m-%d %H:%M:%S")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(fmt)
    console.setLevel(logging.INFO if rank == 0 else logging.WARNING)
    log.addHandler(console)
    if expdir is not None and rank == 0:
        fh = logging.FileHandler(expdir / "train.log", encoding="utf-8")
        fh.setFormatter(fmt)
        log.addHandler(fh)


class Scalars:
    """TensorBoard scalars under expdir/tensorboard (no-op when disabled)."""

    def __init__(self, expdir: Path | None):
        self.writer = None
        if expdir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(expdir / "tensorboard"))

    def add(self, values: dict[str, float], step: int) -> None:
        if self.writer is not None:
            for k, v in values.items():
                self.writer.add_scalar(k, v, step)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def write_history(expdir: Path, history: list[dict]) -> None:
    atomic_write_text(expdir / "history.json", json.dumps(history, indent=1) + "\n")


def plot_curves(history: list[dict], path: Path, metric: str | None = None) -> None:
    """Loss curves per epoch (train and valid loss, and every loss_* term), plus `metric` if given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    loss_keys = sorted({k for h in history for k in h if k.split("/")[-1].startswith("loss")})
    panels = 2 if metric and not metric.split("/")[-1].startswith("loss") else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    for k in loss_keys:
        axes[0][0].plot(epochs, [h.get(k, float("nan")) for h in history], marker="o", ms=3, label=k,
                        linestyle="-" if k.startswith("train") else "--")
    from matplotlib.ticker import MaxNLocator

    for ax in axes[0]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0][0].set(xlabel="epoch", ylabel="loss", title="losses")
    axes[0][0].legend(fontsize=8)
    axes[0][0].grid(alpha=0.3)
    if panels == 2:
        axes[0][1].plot(epochs, [h.get(metric, float("nan")) for h in history], marker="o", ms=3)
        axes[0][1].set(xlabel="epoch", ylabel=metric, title=metric)
        axes[0][1].grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)
