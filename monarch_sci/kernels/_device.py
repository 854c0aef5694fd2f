"""Cached facts about CUDA devices, by index."""

from __future__ import annotations

import functools

import torch


def index_of(t: torch.Tensor) -> int:
    """The CUDA device index of ``t``."""
    return t.device.index if t.device.index is not None else torch.cuda.current_device()


@functools.lru_cache(maxsize=None)
def capability(device_index: int) -> tuple[int, int]:
    return torch.cuda.get_device_capability(device_index)


@functools.lru_cache(maxsize=None)
def sm_count(device_index: int) -> int:
    return torch.cuda.get_device_properties(device_index).multi_processor_count


def has_room(device_index: int, shared_bytes: int) -> bool:
    """Whether a block with ``shared_bytes`` of dynamic shared memory fits an SM (less the 1 KiB the system
    keeps a block)."""
    return torch.cuda.get_device_properties(device_index).shared_memory_per_multiprocessor - 1024 >= shared_bytes
