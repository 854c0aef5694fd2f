"""Small helpers shared by the transform constructions."""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError
from ..monarch.stage import complex_dtype, real_dtype


def check_size(n, what: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise MonarchError(f"{what} needs a positive integer size, got {n!r}")


def complex_dtype_for(dtype: torch.dtype | None) -> torch.dtype:
    """The complex dtype a transform is stored in (default: complex of torch's default dtype)."""
    return complex_dtype(dtype or torch.get_default_dtype())


def real_dtype_for(dtype: torch.dtype | None) -> torch.dtype:
    """The real dtype a real transform works in (default: torch's default dtype)."""
    dtype = real_dtype(dtype or torch.get_default_dtype())
    if dtype not in (torch.float32, torch.float64):
        raise MonarchError(f"transforms are built in float32 or float64 (or their complex types), got {dtype}")
    return dtype


def norm_scale(n: int, norm: str, inverse: bool) -> float:
    """numpy.fft's scaling: "backward" scales the inverse by 1/n, "forward" the forward, "ortho" both by 1/sqrt(n)."""
    if norm == "ortho":
        return 1 / math.sqrt(n)
    return 1 / n if (norm == "forward") != inverse else 1.0


def cast(chain, dtype: torch.dtype | None):
    """The chain in the requested precision, staying complex if it is complex."""
    return chain.to(complex_dtype_for(dtype) if chain.dtype.is_complex else real_dtype_for(dtype))
