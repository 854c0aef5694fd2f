"""torch.distributed plumbing: who am I, sharded sampling, summed metrics.

Launch with ``torchrun --nproc_per_node=N -m monarch_sci.cli.main fno train ...`` (or any script
calling ``DistEnv.from_env()``): RANK / WORLD_SIZE / LOCAL_RANK select the process group, NCCL on
GPUs and gloo on CPUs. One process without those variables is the ordinary single-device run.

Sampling: ``ResumableSampler`` is torch's DistributedSampler (the same permutation of the epoch on
every rank, seeded by seed + epoch; rank r takes positions r, r + W, ...) that can start mid-epoch;
with the global batch B split as B / W per rank, global batch k holds the same samples for any W.
``ShardSampler`` splits evaluation data without padding so summed metrics count each sample once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler, Sampler

from ..errors import MonarchError


@dataclass
class DistEnv:
    """rank, world_size, local_rank and the device this process uses."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str = "auto", init_method: str = "env://") -> "DistEnv":
        """Read torchrun's variables; initialize the process group when WORLD_SIZE > 1."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
        return cls.setup(rank, world, local, device=device, init_method=init_method)

    @classmethod
    def setup(cls, rank: int, world_size: int, local_rank: int | None = None, device: str = "auto",
              init_method: str = "env://") -> "DistEnv":
        """Pick the device (cuda:local_rank when CUDA is there and asked for) and join the group."""
        local_rank = rank if local_rank is None else local_rank
        dev = resolve_device(device, local_rank)
        if dev.type == "cuda":  # NCCL collectives (barrier, all_gather_object) use the current device
            torch.cuda.set_device(dev)
        if world_size > 1 and not dist.is_initialized():
            backend = "nccl" if dev.type == "cuda" else "gloo"
            dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world_size)
        return cls(rank, world_size, local_rank, dev)

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def all_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum a tensor over ranks (returns it unchanged in a single process)."""
        if self.distributed:
            tensor = tensor.clone()
            dist.all_reduce(tensor)
        return tensor

    def gather_objects(self, obj) -> list:
        if not self.distributed:
            return [obj]
        out = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def close(self) -> None:
        """Leave the process group together: a rank tearing gloo down while another still talks aborts it."""
        if self.distributed and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


def resolve_device(device: str | torch.device = "auto", local_rank: int = 0) -> torch.device:
    """"auto": cuda:local_rank when CUDA is available, else cpu; "cuda" → cuda:local_rank."""
    device = str(device)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        device = f"cuda:{local_rank}"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise MonarchError(f"device {device!r} asked for, but CUDA is not available on this machine; use --device cpu")
    if not (device == "cpu" or device.startswith("cuda") or device == "mps"):
        raise MonarchError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    return torch.device(device)


class ResumableSampler(Sampler[int]):
    """DistributedSampler (shuffled per epoch, padded to a multiple of world_size) that can skip the
    first ``start`` indices of this rank's share, to resume an epoch mid-way."""

    def __init__(self, n: int, env: DistEnv, shuffle: bool = True, seed: int = 0):
        self.inner = DistributedSampler(range(n), num_replicas=env.world_size, rank=env.rank, shuffle=shuffle, seed=seed)
        self.start = 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        self.inner.set_epoch(epoch)
        self.start = start

    def __iter__(self) -> Iterator[int]:
        indices = list(self.inner)
        return iter(indices[self.start:])

    def __len__(self) -> int:
        return len(self.inner) - self.start


class ShardSampler(Sampler[int]):
    """Positions rank, rank + W, ... of range(n): every sample exactly once over all ranks."""

    def __init__(self, n: int, env: DistEnv):
        self.indices = list(range(env.rank, n, env.world_size))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)
