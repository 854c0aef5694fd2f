"""Batches as the trainer sees them: tensors nested in tuples, NamedTuples, lists and dicts."""

from __future__ import annotations

from typing import Callable

import torch


def map_tensors(fn: Callable[[torch.Tensor], torch.Tensor], batch):
    """The same nesting with ``fn`` applied to every tensor (other leaves are kept)."""
    if isinstance(batch, torch.Tensor):
        return fn(batch)
    if isinstance(batch, dict):
        return {k: map_tensors(fn, v) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(map_tensors(fn, v) for v in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(map_tensors(fn, v) for v in batch)
    return batch


def tensors(batch) -> list[torch.Tensor]:
    """The tensors of a batch, depth first in the order ``map_tensors`` visits them."""
    found: list[torch.Tensor] = []
    map_tensors(lambda t: found.append(t) or t, batch)
    return found


def to_device(batch, device: torch.device):
    return map_tensors(lambda t: t.to(device, non_blocking=True), batch)
