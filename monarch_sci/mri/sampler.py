"""Samplers over slice datasets: whole volumes per rank, and batches of equal k-space size.

``VolumeSampler`` follows fastMRI's: volumes (sorted file names) go round-robin to ranks, so every
slice of a volume is evaluated on one process; with ``pad`` (fastMRI's behaviour) each rank repeats
slices up to the longest rank's count so all ranks run the same number of steps, which duplicates
a few slices (deduplicate by (fname, slice_num) when aggregating). ``ShapeBatchSampler`` groups
slices whose k-space has the same (H, W), the batching rule for brain data of varying widths.
"""

from __future__ import annotations

import math
from collections import defaultdict

import torch
from torch.utils.data import Sampler

from ..errors import MonarchError


def _world(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    import torch.distributed as dist

    initialized = dist.is_available() and dist.is_initialized()
    if num_replicas is None:
        num_replicas = dist.get_world_size() if initialized else 1
    if rank is None:
        rank = dist.get_rank() if initialized else 0
    if not (isinstance(num_replicas, int) and num_replicas >= 1 and isinstance(rank, int) and 0 <= rank < num_replicas):
        raise MonarchError(f"VolumeSampler: need 0 ≤ rank < num_replicas, got rank={rank!r}, num_replicas={num_replicas!r}")
    return num_replicas, rank


class VolumeSampler(Sampler[int]):
    """Indices of this rank's volumes' slices (defaults: torch.distributed's world size and rank,
    or a single process). shuffle: reorder per epoch with seed + epoch (call ``set_epoch``)."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True, seed: int = 0, pad: bool = True):
        self.num_replicas, self.rank = _world(num_replicas, rank)
        self.shuffle, self.seed, self.pad, self.epoch = bool(shuffle), int(seed), bool(pad), 0
        names = sorted({str(raw.info.path) for raw in dataset.raw_samples})
        owner = {name: i % self.num_replicas for i, name in enumerate(names)}
        per_rank: list[list[int]] = [[] for _ in range(self.num_replicas)]
        for index, raw in enumerate(dataset.raw_samples):
            per_rank[owner[str(raw.info.path)]].append(index)
        self.indices = per_rank[self.rank]
        self.num_samples = max(len(ix) for ix in per_rank) if self.pad else len(self.indices)

    def __iter__(self):
        indices = list(self.indices)
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            indices = [indices[i] for i in torch.randperm(len(indices), generator=g).tolist()]
        if self.pad and indices and len(indices) < self.num_samples:
            indices = (indices * math.ceil(self.num_samples / len(indices)))[: self.num_samples]
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples if self.indices else 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)


class ShapeBatchSampler(Sampler[list[int]]):
    """Batches of indices whose k-space slices share (H, W) (coil counts may differ: the collate
    pads coils). Pass as ``DataLoader(ds, batch_sampler=ShapeBatchSampler(ds, 4), collate_fn=collate_slices)``."""

    def __init__(self, dataset, batch_size: int, shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise MonarchError(f"ShapeBatchSampler: batch_size must be a positive int, got {batch_size!r}")
        self.batch_size, self.shuffle, self.seed, self.drop_last, self.epoch = batch_size, bool(shuffle), int(seed), bool(drop_last), 0
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for index, raw in enumerate(dataset.raw_samples):
            groups[tuple(raw.info.kspace_shape[-2:])].append(index)
        self.groups = dict(sorted(groups.items()))

    def _batches(self) -> list[list[int]]:
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        batches = []
        for indices in self.groups.values():
            if self.shuffle:
                indices = [indices[i] for i in torch.randperm(len(indices), generator=g).tolist()]
            for start in range(0, len(indices), self.batch_size):
                batch = indices[start : start + self.batch_size]
                if len(batch) == self.batch_size or not self.drop_last:
                    batches.append(batch)
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]
        return batches

    def __iter__(self):
        return iter(self._batches())

    def __len__(self) -> int:
        return len(self._batches())

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)


__all__ = ["ShapeBatchSampler", "VolumeSampler"]
