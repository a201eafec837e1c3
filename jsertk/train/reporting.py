"""What a training run leaves for people to read: train.log, TensorBoard scalars, history.json
and a PNG of the loss curves. Only the main process writes."""
from __future__ import annotations

import json
import logging
import math
import sys
from pathlib import Path

from jsertk.utils.atomic import atomic_open, atomic_write_text

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


# ---------------------------------------------------------------------------------------- loss curves
# Panels of loss_curves.png, in order: (title, y label, stat names without the train/ valid/ prefix and
# without the _pseudo suffix). A loss_* stat none of them names goes to "other losses".
_LOSS_PANELS = (
    ("total loss", "loss", ("loss",)),
    ("ASR", "loss", ("loss_ctc", "loss_att", "loss_asr")),
    ("emotion", "loss", ("loss_emotion", "loss_emotion_acoustic", "loss_emotion_lexical", "loss_ccc")),
    ("auxiliary", "loss", ("loss_gender", "loss_speaker")),
    ("semi-supervised", "loss", ("loss_dm", "loss_aae_recon", "loss_aae_adv", "loss_aae_class")),
)
_OTHER_LOSSES = "other losses"
_METRIC_PANELS = (
    ("ASR metrics", "accuracy / error rate", ("acc", "cer", "wer")),
    ("emotion / auxiliary metrics", "accuracy", ("ua", "wa", "acc_gender", "acc_speaker")),
)
# stat name -> (panel index, position in the panel: also its colour, the same in every run)
_ORDER = {name: (i, j) for i, (_, _, names) in enumerate(_LOSS_PANELS + _METRIC_PANELS)
          for j, name in enumerate(names)}
_LOG_SPAN = 100.0  # a panel gets a log y axis when its positive values span more than this factor


def _split_key(key: str) -> tuple[str, str, bool] | None:
    """'train/loss_asr_pseudo' -> ('train', 'loss_asr', True); None for keys that are no curve."""
    split, _, name = key.partition("/")
    if split not in ("train", "valid") or not name:
        return None
    pseudo = name.endswith("_pseudo")
    return split, name[: -len("_pseudo")] if pseudo else name, pseudo


def curve_panels(keys, metric: str | None = None) -> list[tuple[str, str, list[str]]]:
    """Group history keys into the panels of loss_curves.png: [(title, y label, keys)], only panels that
    have keys. Losses by group (ASR, emotion, auxiliary, semi-supervised; pseudo-label variants with their
    group), then the rate metrics (acc, cer, wer, ua, wa, head accuracies); keys within a panel in the
    panel's order, train before valid. Throughput, timing, lr and per-class recalls are not drawn, except
    `metric` (the best_metric), which gets a panel of its own when no other panel holds it."""
    keys = set(keys)
    n_loss = len(_LOSS_PANELS)
    buckets: dict[int, list[str]] = {}
    for key in keys:
        parts = _split_key(key)
        if parts is None:
            continue
        base = parts[1]
        if base in _ORDER:
            buckets.setdefault(_ORDER[base][0], []).append(key)
        elif base.startswith("loss_"):
            buckets.setdefault(-1, []).append(key)

    def sort_key(key: str):
        split, base, pseudo = _split_key(key)
        return _ORDER.get(base, (0, len(_ORDER)))[1], base, pseudo, split != "train"

    panels = []
    specs = [(i, t, y) for i, (t, y, _) in enumerate(_LOSS_PANELS)] + [(-1, _OTHER_LOSSES, "loss")] + \
        [(n_loss + i, t, y) for i, (t, y, _) in enumerate(_METRIC_PANELS)]
    for idx, title, ylabel in specs:
        if buckets.get(idx):
            panels.append((title, ylabel, sorted(buckets[idx], key=sort_key)))
    if metric in keys and _split_key(metric) and not any(metric in ks for _, _, ks in panels):
        panels.append((f"best_metric {metric}", metric.partition("/")[2] or metric, [metric]))
    return panels


def _log_scale(values: list[float]) -> bool:
    finite = [v for v in values if math.isfinite(v)]
    if not finite or min(finite) <= 0:
        return False
    return max(finite) / min(finite) > _LOG_SPAN


def plot_curves(history: list[dict], path: Path, metric: str | None = None) -> None:
    """Per-epoch curves written (atomically) to `path` as PNG: one panel per group of losses and of
    metrics (see curve_panels), stacked, legends right of the axes. Train solid, valid dashed, train on
    pseudo labels dotted, in the colour of the stat; `metric` drawn thicker."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs = [h.get("epoch", i + 1) for i, h in enumerate(history)]
    panels = curve_panels({k for h in history for k in h}, metric)
    # each panel tall enough for its legend (one line per curve), the figure as tall as its panels
    heights = [max(2.2, 0.3 + 0.17 * len(keys)) for _, _, keys in panels] or [2.2]
    fig = Figure(figsize=(9.0, 0.4 + sum(heights)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(heights), 1, sharex=True, squeeze=False, height_ratios=heights)[:, 0]
    colours = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    marker = {"marker": "o", "ms": 3} if len(epochs) <= 20 else {}
    styles = {"train": "-", "valid": "--"}
    for ax, (title, ylabel, keys) in zip(axes, panels):
        others: list[str] = []  # stats of no known panel, coloured in order of appearance
        everything: list[float] = []
        for key in keys:
            split, base, pseudo = _split_key(key)
            if base not in _ORDER and base not in others:
                others.append(base)
            colour = colours[(_ORDER[base][1] if base in _ORDER else others.index(base)) % len(colours)]
            values = [_as_float(h.get(key)) for h in history]
            everything += values
            bold = key == metric
            ax.plot(epochs, values, color=colour,
                    linestyle=":" if pseudo else styles[split], linewidth=2.8 if bold else 1.5,
                    label=key + (" (best_metric)" if bold else ""), **marker)
        if _log_scale(everything):
            ax.set_yscale("log")
            title += " (log scale)"
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, borderaxespad=0)
    if not panels:
        axes[0].text(0.5, 0.5, "no train/valid statistics yet", ha="center", va="center",
                     transform=axes[0].transAxes)
    axes[-1].set_xlabel("epoch")
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    pseudo_drawn = any(k.endswith("_pseudo") for _, _, keys in panels for k in keys)
    fig.suptitle("solid: train    dashed: valid" + ("    dotted: train on pseudo labels" if pseudo_drawn else ""),
                 fontsize=9)
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100, bbox_inches="tight")


def _as_float(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return v if math.isfinite(v) else float("nan")
