"""Process group set-up for torchrun (DDP), and the small collectives the trainer needs.

Under `torchrun` the environment holds RANK, WORLD_SIZE and LOCAL_RANK; without it the trainer
runs as a single process. The backend is nccl on GPUs and gloo on CPU unless given.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from jsertk.utils.config import ConfigError


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(preference: str, local_rank: int) -> torch.device:
    if preference not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"config key 'train.device': '{preference}' is not one of auto, cpu, cuda")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ConfigError("config key 'train.device' is cuda but no GPU is visible")
    if preference != "cpu" and torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def init_distributed(backend: str | None, device_preference: str) -> DistInfo:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_preference, local_rank)
    if world > 1 and not dist.is_initialized():
        backend = backend or ("nccl" if device.type == "cuda" else "gloo")
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistInfo(rank, world, local_rank, device)


def all_reduce_sum(values: list[float], info: DistInfo) -> list[float]:
    if not info.distributed:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=info.device if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(t)
    return t.tolist()


class AlwaysLoss(torch.nn.Module):
    """Wraps a model for DDP: a batch without any label the model learns from (loss None) gets a
    zero loss tied to every parameter, so each process can run the backward pass that keeps DDP's
    gradient reduction in step; `empty` marks it."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, batch: dict) -> dict:
        out = self.model(batch)
        if out["loss"] is None:
            zero = sum(p.sum() for p in self.model.parameters() if p.requires_grad) * 0.0
            out = {**out, "loss": zero, "empty": True}
        return out


def gather_objects(obj, info: DistInfo) -> list:
    if not info.distributed:
        return [obj]
    out = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def barrier(info: DistInfo) -> None:
    if info.distributed:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    if info.distributed and dist.is_initialized():
        dist.destroy_process_group()
