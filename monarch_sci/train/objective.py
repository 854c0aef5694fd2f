"""What the trainer optimizes and reports, as a small protocol, with the plain supervised case.

An objective sees one collated batch on the device and returns

    losses(model, batch)  → (b,) per-sample training loss (the trainer sums or averages it)
    metrics(model, batch) → {name: (b,) or (b, k)} per-sample values, averaged over the test set
    predict(model, batch) → the model's prediction, for plots

Batches are tuples (x, y, ...) or NamedTuples whose first two entries are input and target.
"""

from __future__ import annotations

from typing import Protocol

import torch

from ..errors import MonarchError
from .losses import relative_h1, relative_l2


class Objective(Protocol):
    def losses(self, model: torch.nn.Module, batch) -> torch.Tensor: ...

    def metrics(self, model: torch.nn.Module, batch) -> dict[str, torch.Tensor]: ...

    def predict(self, model: torch.nn.Module, batch) -> torch.Tensor: ...


def input_target(batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) of a batch: its first two entries."""
    if isinstance(batch, dict):
        if "x" in batch and "y" in batch:
            return batch["x"], batch["y"]
        raise MonarchError(f"batch dict needs keys 'x' and 'y', got {sorted(batch)}")
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise MonarchError(f"a batch must be (input, target, ...), got {type(batch).__name__}")
    return batch[0], batch[1]


class Supervised:
    """y ≈ model(x); per-sample relative L2 (or H1 on the last ``h1_ndim`` dims) as the loss.

    Metrics: rel_l2 (and rel_h1 when h1_ndim is set), per sample.
    """

    def __init__(self, loss: str = "l2", h1_ndim: int | None = None):
        if loss not in ("l2", "h1"):
            raise MonarchError(f"loss must be 'l2' or 'h1', got {loss!r}")
        if loss == "h1" and not h1_ndim:
            raise MonarchError("loss 'h1' needs h1_ndim, the number of spatial dims to differentiate")
        self.loss, self.h1_ndim = loss, h1_ndim

    def predict(self, model, batch) -> torch.Tensor:
        x, _ = input_target(batch)
        return model(x)

    def losses(self, model, batch) -> torch.Tensor:
        pred, (_, y) = self.predict(model, batch), input_target(batch)
        if self.loss == "h1":
            return relative_h1(pred, y, self.h1_ndim)
        return relative_l2(pred, y)

    def metrics(self, model, batch) -> dict[str, torch.Tensor]:
        pred, (_, y) = self.predict(model, batch), input_target(batch)
        out = {"rel_l2": relative_l2(pred, y)}
        if self.h1_ndim:
            out["rel_h1"] = relative_h1(pred, y, self.h1_ndim)
        return out
