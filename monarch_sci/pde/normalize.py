"""Normalizers fitted on training data, as in FNO's ``utilities3`` and neuraloperator.

UnitGaussianNormalizer: x ↦ (x − μ) / (σ + ε) with μ, σ the mean and the (unbiased) standard deviation
over ``dim`` (default the sample dim 0: pointwise statistics, FNO's choice for Darcy); ``dim=None``
reduces over everything (FNO's scalar GaussianNormalizer). ``decode`` inverts it. Statistics are
buffers, so the normalizer moves with ``.to(device)`` and is saved in a model's state dict.

>>> x = torch.randn(100, 16, 16) * 3 + 1
>>> norm = UnitGaussianNormalizer.fit(x)
>>> torch.allclose(norm.decode(norm.encode(x)), x, atol=1e-5)
True
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..errors import MonarchError


class UnitGaussianNormalizer(nn.Module):
    """Pointwise (or global) Gaussian normalizer; ``mean`` and ``std`` keep their reduced dims as size 1."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, eps: float = 1e-5):
        super().__init__()
        if mean.shape != std.shape:
            raise MonarchError(
                f"normalizer mean {tuple(mean.shape)} and std {tuple(std.shape)} must have the same shape"
            )
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.eps = eps

    @classmethod
    def fit(cls, x: torch.Tensor, dim: int | Sequence[int] | None = 0, eps: float = 1e-5) -> "UnitGaussianNormalizer":
        """Statistics of x over ``dim`` (None: all dims)."""
        if not x.is_floating_point():
            x = x.float()
        dims = tuple(range(x.ndim)) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
        return cls(x.mean(dim=dims, keepdim=True), x.std(dim=dims, keepdim=True), eps)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / (self.std + self.eps)

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x * (self.std + self.eps) + self.mean

    forward = encode
    transform = encode  # neuraloperator's names
    inverse_transform = decode
