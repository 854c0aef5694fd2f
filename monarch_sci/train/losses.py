"""Relative L2 and H1 losses (neuraloperator's LpLoss / H1Loss definitions, checked against them).

Per sample i (all dims after the batch dim flattened, channels included):

    rel_l2(ŷ, y)_i = ‖ŷ_i − y_i‖₂ / ‖y_i‖₂
    rel_h1(ŷ, y)_i = sqrt(Σ|e|² + Σ_k |D_k e|²) / sqrt(Σ|y|² + Σ_k |D_k y|²),   e = ŷ − y

D_k: periodic central difference (f[j+1] − f[j−1]) / (2h) along spatial dim k, h = 1 / n_k.
``reduction="sum"`` adds over the batch (the FNO paper's training loss), "mean" averages (reporting),
"none" returns the (batch,) vector.

>>> loss = LpLoss(reduction="sum")
>>> y = torch.ones(2, 1, 4, 4)
>>> float(loss(1.1 * y, y))
0.2...
"""

from __future__ import annotations

import torch

from ..errors import MonarchError, check_choice

REDUCTIONS = ("sum", "mean", "none")


def _reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "sum":
        return values.sum()
    if reduction == "mean":
        return values.mean()
    return values


def _check(pred: torch.Tensor, target: torch.Tensor, who: str) -> None:
    if pred.shape != target.shape:
        raise MonarchError(f"{who}: prediction shape {tuple(pred.shape)} differs from target shape {tuple(target.shape)}")
    if pred.ndim < 2:
        raise MonarchError(f"{who}: expected (batch, ...) tensors with at least 2 dims, got shape {tuple(pred.shape)}")


def relative_l2(pred: torch.Tensor, target: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """(batch, ...) → (batch,): ‖pred_i − target_i‖₂ / (‖target_i‖₂ + eps), computed in float32 or wider."""
    _check(pred, target, "relative_l2")
    dtype = torch.promote_types(pred.dtype, torch.float32)
    diff = (pred.to(dtype) - target.to(dtype)).flatten(1)
    return diff.norm(dim=1) / (target.to(dtype).flatten(1).norm(dim=1) + eps)


def periodic_gradient(u: torch.Tensor, ndim: int) -> list[torch.Tensor]:
    """Central differences (u[j+1] − u[j−1]) · n / 2 along each of the last ``ndim`` dims (unit domain)."""
    return [(u.roll(-1, d) - u.roll(1, d)) * (u.shape[d] / 2) for d in range(-ndim, 0)]


def relative_h1(pred: torch.Tensor, target: torch.Tensor, ndim: int, eps: float = 0.0) -> torch.Tensor:
    """(batch, ..., *grid) → (batch,): relative H1 with periodic central differences on the last ``ndim`` dims."""
    _check(pred, target, "relative_h1")
    if not 1 <= ndim <= pred.ndim - 1:
        raise MonarchError(f"relative_h1: ndim must be between 1 and {pred.ndim - 1} for shape {tuple(pred.shape)}, got {ndim}")
    dtype = torch.promote_types(pred.dtype, torch.float32)
    e, y = pred.to(dtype) - target.to(dtype), target.to(dtype)
    num = e.square().flatten(1).sum(1) + sum(g.square().flatten(1).sum(1) for g in periodic_gradient(e, ndim))
    den = y.square().flatten(1).sum(1) + sum(g.square().flatten(1).sum(1) for g in periodic_gradient(y, ndim))
    return num.sqrt() / (den.sqrt() + eps)


class LpLoss(torch.nn.Module):
    """Relative L2 loss, summed (default, as the FNO paper trains) or averaged over the batch."""

    def __init__(self, reduction: str = "sum", eps: float = 0.0):
        super().__init__()
        check_choice("reduction", reduction, REDUCTIONS)
        self.reduction, self.eps = reduction, eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return _reduce(relative_l2(pred, target, self.eps), self.reduction)


class H1Loss(torch.nn.Module):
    """Relative H1 loss on the last ``ndim`` (periodic) dims, summed or averaged over the batch."""

    def __init__(self, ndim: int, reduction: str = "sum", eps: float = 0.0):
        super().__init__()
        check_choice("reduction", reduction, REDUCTIONS)
        self.ndim, self.reduction, self.eps = ndim, reduction, eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return _reduce(relative_h1(pred, target, self.ndim, self.eps), self.reduction)


LOSSES = {"l2": LpLoss, "h1": H1Loss}
