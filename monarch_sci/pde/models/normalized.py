"""A model between fitted normalizers: x ↦ decode(model(encode(x))) (FNO's Darcy setup).

FNO's Darcy script normalizes inputs and targets pointwise (UnitGaussianNormalizer over the sample
dim), trains on decoded predictions against raw targets; wrapping the model does the same, and the
statistics (buffers) travel with its state dict. Pointwise statistics tie the model to its grid.
"""

from __future__ import annotations

import torch
from torch import nn


class Normalized(nn.Module):
    """model: the network; x_normalizer / y_normalizer: modules with ``encode`` / ``decode``."""

    def __init__(self, model: nn.Module, x_normalizer: nn.Module | None = None, y_normalizer: nn.Module | None = None):
        super().__init__()
        self.model, self.x_normalizer, self.y_normalizer = model, x_normalizer, y_normalizer

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        if self.x_normalizer is not None:
            x = self.x_normalizer.encode(x)
        y = self.model(x, *args, **kwargs)
        return y if self.y_normalizer is None else self.y_normalizer.decode(y)
