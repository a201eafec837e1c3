"""The training loop shared by every model of the registry.

One `Trainer` runs epochs over length-bucketed batches, with gradient accumulation, clipping,
mixed precision on GPUs, DistributedDataParallel under torchrun, validation, atomic checkpoints
after every epoch (and optionally every N updates), exact resumption, and the n-best average.
"""
from __future__ import annotations

import contextlib
import difflib
import math
import random
import time
from functools import partial
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import yaml

from jsertk.dataset.feats import AUDIO_FRAME, FeatsDataset, collate
from jsertk.dataset.sampler import BucketBatchSampler
from jsertk.models.components import min_input_frames
from jsertk.tasks.base import get_task
from jsertk.tasks.upstream import check_model_input
from jsertk.train import checkpoint as ckpt
from jsertk.train.distributed import (
    AlwaysLoss,
    DistInfo,
    all_reduce_sum,
    barrier,
    gather_objects,
)
from jsertk.train.optim import build_optimizer, build_scheduler
from jsertk.train.reporting import Scalars, log, plot_curves, write_history
from jsertk.utils import provenance
from jsertk.utils.config import ConfigError, save_config, to_plain
from jsertk.utils.errors import JsertkError

PLOT_INTERVAL_S = 60.0  # loss_curves.png is redrawn at most this often (and after the last epoch)


class TrainingError(JsertkError):
    """Training cannot go on (too many non-finite losses or gradients)."""


def _to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


def _config_changes(old: dict, new: dict, prefix: str = "") -> list[str]:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _config_changes(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: {a!r} -> {b!r}")
    return out


class Trainer:
    def __init__(self, cfg: dict, train_dirs: Sequence[str], valid_dirs: Sequence[str], expdir: str | Path,
                 dist: DistInfo, resume: bool = False):
        self.cfg, self.dist = cfg, dist
        self.expdir = Path(expdir)
        self.tcfg, self.dcfg = cfg["train"], cfg["data"]
        self.metric, self.mode = self.tcfg["best_metric"], self.tcfg["best_mode"]
        self.resume_from = self.expdir / ckpt.CHECKPOINT
        if self.resume_from.exists() and not resume:
            raise ConfigError(f"{self.expdir} already holds a training run ({ckpt.CHECKPOINT}): pass --resume to "
                              "continue it, or choose another --outdir")
        if not valid_dirs and self.metric.startswith("valid/"):
            raise ConfigError(f"config key 'train.best_metric' is {self.metric} but no validation data was given "
                              "(--valid DIR), use a train/<stat> metric or add validation data")
        self._warn_config_changes(resume)

        spec = get_task(cfg["model"])
        if dist.is_main:
            self.resources = spec.setup(cfg, self.expdir, training=True)
        barrier(dist)
        if not dist.is_main:
            self.resources = spec.setup(cfg, self.expdir, training=False)
        parsers = spec.label_parsers(self.resources)
        self.label_names = list(parsers)
        # a model whose upstream runs on waveforms reads data dirs without feats.scp as audio
        frontend = cfg.get("frontend") or {}
        audio = bool(frontend.get("upstream", {}).get("path"))
        lengths = dict(min_frames=self.dcfg["min_utt_frames"], max_frames=self.dcfg["max_utt_frames"], audio=audio,
                       speaker_stats=frontend.get("normalize") == "speaker", **spec.data_options(cfg))
        self.train_set = FeatsDataset(train_dirs, parsers, label_root=self.dcfg["label_root"], **lengths,
                                      **spec.train_data_options(cfg, len(train_dirs)))
        spec.check_data(cfg, self.resources, self.train_set)
        self.valid_set = FeatsDataset(valid_dirs, parsers, label_root=self.dcfg["label_root"], **lengths) \
            if valid_dirs else None
        log.info("train: %s", self.train_set.describe())
        if self.valid_set is not None:
            log.info("valid: %s", self.valid_set.describe())
        for line in spec.label_report(self.resources):
            log.warning(line)
        if len(self.dcfg["set_weights"]) not in (0, len(self.train_set.dirs)):
            raise ConfigError(f"config key 'data.set_weights' has {len(self.dcfg['set_weights'])} weights for "
                              f"{len(self.train_set.dirs)} training data dirs")
        if self.dcfg["max_utt_frames"] > self.dcfg["max_frames_per_batch"]:
            log.warning("data.max_utt_frames (%d) exceeds data.max_frames_per_batch (%d): longer utterances "
                        "form batches of one over the budget", self.dcfg["max_utt_frames"],
                        self.dcfg["max_frames_per_batch"])
        cfg["input_dim"] = self.train_set.input_dim
        check_model_input(cfg, list(train_dirs) + list(valid_dirs or []), cfg["input_dim"])
        spec.check_inputs(cfg, self.resources, [s for s in (self.train_set, self.valid_set) if s is not None])
        if dist.is_main:
            save_config(cfg, self.expdir / "config.yaml")
            provenance.record(self.expdir, cfg)  # command line, resolved config, versions, git revision, host

        self._seed(cfg["seed"] + dist.rank)
        self.model = spec.build(cfg, self.resources, self.train_set.input_dim, training=True).to(dist.device)
        self._drop_too_short(min_input_frames(self.model))
        n_params = sum(p.numel() for p in self.model.parameters())
        log.info("model '%s': %.2f M parameters, device %s, %d process(es)", cfg["model"], n_params / 1e6,
                 dist.device, dist.world_size)
        self.net = self.model
        if dist.distributed:
            ids = [dist.device.index] if dist.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(
                AlwaysLoss(self.model), device_ids=ids,
                find_unused_parameters=self.tcfg["ddp_find_unused_parameters"])

        self.sampler = BucketBatchSampler(
            self.train_set.lengths, self.dcfg["max_frames_per_batch"], set_ids=self.train_set.set_ids,
            set_weights=self.dcfg["set_weights"], max_batch_size=self.dcfg["max_batch_size"], seed=cfg["seed"],
            rank=dist.rank, world_size=dist.world_size, classes=self._sampling_classes())
        updates_per_epoch = math.ceil(len(self.sampler.epoch_batches(1)) / self.tcfg["accum_grad"])
        self.optimizer = build_optimizer(self.model.parameters(), cfg["optim"])
        self.scheduler = build_scheduler(self.optimizer, cfg["scheduler"],
                                         total_steps=updates_per_epoch * self.tcfg["max_epochs"])
        self.amp_dtype = self._amp_dtype()
        self.scaler = torch.amp.GradScaler(dist.device.type, enabled=self.amp_dtype == torch.float16)
        # Progress: `epoch` = completed epochs; `consumed` = batches of epoch+1 already trained on.
        self.epoch, self.step, self.consumed, self.nonfinite = 0, 0, 0, 0
        self.history: list[dict] = []
        self.epoch_sums: dict[str, list[float]] = {}
        self.scalars = Scalars(self.expdir if dist.is_main else None)
        self._last_plot = float("-inf")  # the first epoch is always drawn
        if resume and self.resume_from.exists():
            self._load_checkpoint()

    # ------------------------------------------------------------------ set-up helpers
    def _drop_too_short(self, min_frames: int) -> None:
        """Utterances the encoder cannot take (too short for its subsampling) leave the data, counted."""
        for name, data in (("train", self.train_set), ("valid", self.valid_set)):
            if data is not None and data.drop_shorter_than(min_frames):
                log.warning("%s: %d utterances shorter than the %d frames the encoder needs were filtered out",
                            name, data.report.too_short, min_frames)
                if not len(data):
                    raise ValueError(f"no {name} utterance is long enough for the encoder ({min_frames} frames)")

    def _sampling_classes(self) -> list[int] | None:
        """Per training utterance its emotion class (-1: none), when the sampler balances classes."""
        if not self.dcfg["balance_classes"]:
            return None
        labels = self.train_set.labels.get("utt2emo")
        if labels is None or all(v is None for v in labels):
            raise ConfigError("config key 'data.balance_classes' is true but the training data has no emotion "
                              f"labels (utt2emo) for model '{self.cfg['model']}' to balance")
        return [-1 if v is None else int(v) for v in labels]

    def _warn_config_changes(self, resume: bool) -> None:
        saved = self.expdir / "config.yaml"
        if resume and saved.is_file():
            old = yaml.safe_load(saved.read_text(encoding="utf-8")) or {}
            new = to_plain(self.cfg)
            new_cmp = {**new, "input_dim": old.get("input_dim")}
            for line in _config_changes(old, new_cmp):
                log.warning("resuming with a changed config: %s", line)

    def _amp_dtype(self) -> torch.dtype | None:
        mode, dev = self.tcfg["amp"], self.dist.device.type
        if mode == "auto":
            if dev != "cuda":
                return None
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if mode == "fp16" and dev != "cuda":
            raise ConfigError("config key 'train.amp' is fp16, which needs a GPU; use bf16 or off on CPU")
        return {"bf16": torch.bfloat16, "fp16": torch.float16, "off": None}[mode]

    @staticmethod
    def _seed(seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    def _loader(self, dataset: FeatsDataset, sampler, epoch: int) -> torch.utils.data.DataLoader:
        # An own generator: the loader's seed draw must not advance the global RNG, or a run resumed
        # inside an epoch would diverge from the uninterrupted one.
        gen = torch.Generator().manual_seed(self.cfg["seed"] * 100003 + epoch)
        return torch.utils.data.DataLoader(dataset, batch_sampler=sampler, num_workers=self.dcfg["num_workers"],
                                           collate_fn=partial(collate, label_names=self.label_names),
                                           pin_memory=self.dist.device.type == "cuda", generator=gen)

    # ------------------------------------------------------------------ checkpoints
    def _state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                "epoch": self.epoch, "step": self.step, "consumed": self.consumed, "nonfinite": self.nonfinite,
                "history": self.history, "epoch_sums": self.epoch_sums,
                "sampler": {"seed": self.sampler.seed, "world_size": self.dist.world_size}}

    def save_checkpoint(self) -> None:
        """All processes call this (RNG states are gathered); the main process writes."""
        rngs = gather_objects(ckpt.rng_state(), self.dist)
        if self.dist.is_main:
            ckpt.save({**self._state(), "rng": rngs}, self.resume_from)
        barrier(self.dist)

    def _load_checkpoint(self) -> None:
        state = ckpt.load(self.resume_from, ckpt.REQUIRED_KEYS)
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            self.scaler.load_state_dict(state.get("scaler", {}))
        except (RuntimeError, ValueError, KeyError) as e:
            raise ckpt.CheckpointError(f"{self.resume_from}: does not fit the model of this config: {e}") from None
        self.epoch, self.step, self.consumed = state["epoch"], state["step"], state["consumed"]
        self.nonfinite, self.history = state.get("nonfinite", 0), state["history"]
        self.epoch_sums = state.get("epoch_sums", {})
        rngs = state.get("rng", [])
        if len(rngs) == self.dist.world_size:
            ckpt.set_rng_state(rngs[self.dist.rank])
        else:
            log.warning("checkpoint was written by %d processes, this run has %d: random streams restart from "
                        "the seed, so the run will not repeat the uninterrupted one exactly", len(rngs),
                        self.dist.world_size)
        if state.get("sampler", {}).get("world_size") != self.dist.world_size and self.consumed:
            log.warning("process count changed inside epoch %d: it restarts from its first batch", self.epoch + 1)
            self.consumed, self.epoch_sums = 0, {}
        log.info("resumed from %s: %d epochs done, %d updates, %d batches into epoch %d", self.resume_from,
                 self.epoch, self.step, self.consumed, self.epoch + 1)

    # ------------------------------------------------------------------ one step
    def _forward(self, batch: dict) -> dict:
        ctx = torch.autocast(self.dist.device.type, dtype=self.amp_dtype) if self.amp_dtype \
            else contextlib.nullcontext()
        with ctx:
            return self.net(batch)

    def _loss_status(self, out: dict) -> tuple[bool, bool]:
        """(some process has a loss, every loss is finite), agreed across processes.

        A batch without any label the model learns from has no loss (None; under DDP a zero loss
        marked `empty`, see AlwaysLoss)."""
        has = out["loss"] is not None and not out.get("empty", False)
        bad = has and not bool(torch.isfinite(out["loss"].detach()))
        n_has, n_bad = all_reduce_sum([float(has), float(bad)], self.dist)
        return n_has > 0, n_bad == 0

    def _skip_nonfinite(self, what: str, utts: list[str]) -> None:
        self.nonfinite += 1
        log.warning("non-finite %s at update %d (epoch %d); step skipped (%d/%d allowed). Utterances: %s", what,
                    self.step, self.epoch + 1, self.nonfinite, self.tcfg["max_nonfinite_steps"],
                    " ".join(utts[:8]) + (" ..." if len(utts) > 8 else ""))
        if self.nonfinite > self.tcfg["max_nonfinite_steps"]:
            raise TrainingError(f"aborting: {self.nonfinite} non-finite losses or gradients exceed "
                                f"train.max_nonfinite_steps={self.tcfg['max_nonfinite_steps']}; lower the learning "
                                "rate, check the features of the utterances named above, or disable fp16")

    def _update(self, utts: list[str]) -> None:
        self.scaler.unscale_(self.optimizer)
        params = [p for p in self.model.parameters() if p.grad is not None]
        clip = self.tcfg["grad_clip"] if self.tcfg["grad_clip"] > 0 else float("inf")
        norm = torch.nn.utils.clip_grad_norm_(params, clip) if params else torch.tensor(0.0)
        if not torch.isfinite(norm) and not self.scaler.is_enabled():
            self._skip_nonfinite("gradient", utts)
        else:  # with fp16 the scaler skips inf/nan steps itself and lowers its scale
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            self.step += 1
            on_step = getattr(self.model, "on_optimizer_step", None)  # a model that schedules by updates
            if on_step is not None:
                on_step()
        self.optimizer.zero_grad(set_to_none=True)

    def _add_stats(self, sums: dict[str, list[float]], stats: dict) -> None:
        for k, (s, n) in stats.items():
            acc = sums.setdefault(k, [0.0, 0.0])
            acc[0] += s
            acc[1] += n

    def _reduce_stats(self, sums: dict[str, list[float]], prefix: str) -> dict[str, float]:
        names = sorted(set().union(*gather_objects(sorted(sums), self.dist)))
        flat = all_reduce_sum([v for k in names for v in sums.get(k, [0.0, 0.0])], self.dist)
        out = {k: flat[2 * i] / flat[2 * i + 1] for i, k in enumerate(names) if flat[2 * i + 1] > 0}
        derive = getattr(self.model, "derived_stats", None)  # metrics that are not a mean, e.g. UA
        if derive is not None:
            out.update(derive(out))
        return {f"{prefix}/{k}": v for k, v in out.items()}

    # ------------------------------------------------------------------ epochs
    def train_epoch(self) -> dict[str, float]:
        epoch, accum = self.epoch + 1, self.tcfg["accum_grad"]
        self.sampler.set_epoch(epoch, start=self.consumed)
        n_batches = len(self.sampler.epoch_batches(epoch))
        self.net.train()
        from tqdm import tqdm

        bar = tqdm(total=n_batches, initial=self.consumed, desc=f"epoch {epoch}", unit="batch", leave=False,
                   disable=None if self.dist.is_main else True, dynamic_ncols=True)
        t0, frames, window = time.time(), 0, time.time()
        pending: list[str] = []  # utterances whose gradients wait for the next update
        for i, batch in enumerate(self._loader(self.train_set, self.sampler, epoch), start=self.consumed):
            batch = _to_device(batch, self.dist.device)
            last_of_update = (i + 1) % accum == 0 or i + 1 == n_batches
            sync = contextlib.nullcontext() if last_of_update or not self.dist.distributed else self.net.no_sync()
            with sync:
                out = self._forward(batch)
                has_loss, finite = self._loss_status(out)
                if self.dist.distributed:  # every process backpropagates, or DDP's reduction falls out of step
                    self.scaler.scale(out["loss"] / accum).backward()
                if not finite:
                    self._skip_nonfinite("loss", batch["utts"])
                    self.optimizer.zero_grad(set_to_none=True)
                    pending = []
                elif has_loss:
                    if not self.dist.distributed:
                        self.scaler.scale(out["loss"] / accum).backward()
                    self._add_stats(self.epoch_sums, out["stats"])
                    pending += batch["utts"]
            if last_of_update and pending:
                self._update(pending)
                pending = []
                if self.step % self.tcfg["log_interval"] == 0:
                    self._log_progress(epoch, i + 1, n_batches, window)
                    window = time.time()
            # waveform input: samples -> 10 ms frames, the unit of the dataset's lengths
            frames += int(batch["feat_lens"].sum()) // (AUDIO_FRAME if self.train_set.audio_readers else 1)
            self.consumed = i + 1
            bar.update(1)
            if out["stats"].get("loss"):
                bar.set_postfix(loss=f"{out['stats']['loss'][0] / max(out['stats']['loss'][1], 1):.3f}",
                                refresh=False)
            every = self.tcfg["save_every_steps"]
            if every and last_of_update and self.step % every == 0 and self.consumed < n_batches:
                self.save_checkpoint()
            self.after_batch()
        bar.close()
        elapsed = time.time() - t0
        result = self._reduce_stats(self.epoch_sums, "train")
        shift_ms = 10.0 if self.train_set.audio_readers else self.dcfg["frame_shift_ms"]
        audio_s = all_reduce_sum([frames * shift_ms / 1000.0], self.dist)[0]
        result.update({"train/audio_seconds_per_second": audio_s / max(elapsed, 1e-9), "train/epoch_time_s": elapsed})
        return result

    def after_batch(self) -> None:
        """Called after every batch; a subclass may stop here (tests simulate interruptions)."""

    def _log_progress(self, epoch: int, done: int, total: int, since: float) -> None:
        sums = {k: v[0] / v[1] for k, v in self.epoch_sums.items() if v[1] > 0}
        lr = self.optimizer.param_groups[0]["lr"]
        text = " ".join(f"{k}={v:.4g}" for k, v in sorted(sums.items()))
        log.info("epoch %d batch %d/%d update %d lr=%.3g %s (%.1fs)", epoch, done, total, self.step, lr, text,
                 time.time() - since)
        self.scalars.add({**{f"train_step/{k}": v for k, v in sums.items()}, "train_step/lr": lr}, self.step)

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        if self.valid_set is None:
            return {}
        sampler = BucketBatchSampler(self.valid_set.lengths, self.dcfg["max_frames_per_batch"], shuffle=False)
        batches = sampler.all_batches(0)[self.dist.rank::self.dist.world_size]
        self.model.eval()
        sums: dict[str, list[float]] = {}
        for batch in self._loader(self.valid_set, batches, 0):
            with torch.autocast(self.dist.device.type, dtype=self.amp_dtype) if self.amp_dtype \
                    else contextlib.nullcontext():
                out = self.model(_to_device(batch, self.dist.device))
            self._add_stats(sums, out["stats"])
        return self._reduce_stats(sums, "valid")

    def _check_metric(self, record: dict) -> None:
        if self.metric not in record:
            known = ", ".join(k for k in sorted(record) if k.split("/")[0] in ("train", "valid"))
            close = difflib.get_close_matches(self.metric, list(record), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"config key 'train.best_metric': '{self.metric}' is not measured by this model"
                              f"{hint}; available: {known}")

    def run(self) -> list[tuple[int, float]]:
        """Train up to max_epochs (or until patience runs out); returns the averaged (epoch, value) list."""
        max_epochs = self.tcfg["max_epochs"]
        if self.epoch >= max_epochs:
            log.info("all %d epochs are done already", max_epochs)
        while self.epoch < max_epochs and not self._out_of_patience():
            record = {"epoch": self.epoch + 1, **self.train_epoch(), **self.validate(),
                      "lr": self.optimizer.param_groups[0]["lr"], "updates": self.step}
            self.epoch, self.consumed, self.epoch_sums = self.epoch + 1, 0, {}
            self.history.append(record)
            if self.dist.is_main:
                ckpt.save(self.model.state_dict(), ckpt.epoch_file(self.expdir, self.epoch))
            self.save_checkpoint()
            self._check_metric(record)  # after saving: fix the config and --resume
            if self.dist.is_main:
                self._after_epoch(record)
            barrier(self.dist)
        best = []
        if self.dist.is_main:
            best = ckpt.write_final_model(self.expdir, self.history, self.metric, self.mode, self.tcfg["keep_nbest"])
            log.info("model.pth = average of epochs %s by %s (%s)", [e for e, _ in best], self.metric,
                     ", ".join(f"{v:.4g}" for _, v in best))
        barrier(self.dist)
        self.scalars.close()
        return best

    def _after_epoch(self, record: dict) -> None:
        best = ckpt.nbest_epochs(self.history, self.metric, self.mode, self.tcfg["keep_nbest"])
        ckpt.prune_epochs(self.expdir, {e for e, _ in best})  # once out of the n best, never back in
        write_history(self.expdir, self.history)
        # Drawing takes ~1-2 s: redraw at most once a minute while training (and once at the end),
        # so short epochs do not spend a tenth of their time on the picture.
        if time.monotonic() - self._last_plot >= PLOT_INTERVAL_S or self._is_last_epoch():
            plot_curves(self.history, self.expdir / "loss_curves.png", self.metric)
            self._last_plot = time.monotonic()
        self.scalars.add({k: v for k, v in record.items() if "/" in k or k == "lr"}, self.epoch)
        shown = " ".join(f"{k}={v:.4g}" for k, v in record.items() if k not in ("epoch",))
        log.info("epoch %d done: %s", self.epoch, shown)

    def _is_last_epoch(self) -> bool:
        return self.epoch >= self.tcfg["max_epochs"] or self._out_of_patience(quiet=True)

    def _out_of_patience(self, quiet: bool = False) -> bool:
        patience = self.tcfg["patience"]
        if not patience or len(self.history) <= patience:
            return False
        best_epoch = ckpt.nbest_epochs(self.history, self.metric, self.mode, 1)[0][0]
        if self.epoch - best_epoch >= patience:
            if quiet:
                return True
            log.info("stopping: %s has not improved for %d epochs (best at epoch %d)", self.metric, patience,
                     best_epoch)
            return True
        return False
