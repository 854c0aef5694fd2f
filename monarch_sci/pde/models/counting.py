"""Parameter counts, three ways, and why the FNO paper's Table 1 says 414,517.

- ``torch``: ``sum(p.numel())``; a complex entry counts once.
- ``real``: a complex entry counts as two reals (the original FNO code's ``count_params``:
  ``p.size() + (2,)`` for complex tensors; its first version stored spectral weights as (..., 2) reals).
- ``paper``: ``real`` plus the four BatchNorm layers (2 · width parameters each) that the original
  ``fourier_2d_time.py`` / ``fourier_3d.py`` construct and never use in forward. Our models do not
  carry them. FNO-2D+time at modes 8, width 20: torch 209,717; real 414,357; paper 414,517 (Table 1).
  FNO-3D at modes 8, width 20: paper 6,558,537 (Table 1).
"""

from __future__ import annotations

from torch import nn

from .fno import FNO

UNUSED_BATCHNORMS = 4  # bn0..bn3 of the original NS scripts


def count_parameters(model: nn.Module) -> dict[str, int]:
    """{"torch", "real", "paper", "transforms"}: see the module docstring; ``transforms`` counts the
    learnable transform factors (parameters under ``transforms.``, complex once)."""
    params = list(model.named_parameters())
    torch_count = sum(p.numel() for _, p in params)
    real = sum(p.numel() * (2 if p.is_complex() else 1) for _, p in params)
    transforms = sum(p.numel() for n, p in params if "transforms." in n)
    trunks = [m for m in model.modules() if isinstance(m, FNO)]
    unused = sum(UNUSED_BATCHNORMS * 2 * t.width for t in trunks)
    return {"torch": torch_count, "real": real, "paper": real + unused, "transforms": transforms}
