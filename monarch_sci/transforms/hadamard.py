"""The Walsh–Hadamard transform: a Kronecker product, so a single Monarch factor."""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError, check_choice
from ..monarch import Chain, Monarch
from ..monarch.shapes import balanced_split
from .common import check_size, real_dtype_for

HADAMARD_NORMS = (None, "ortho")


def sylvester(n: int) -> torch.Tensor:
    """Sylvester's Hadamard matrix H[i, j] = (-1)^popcount(i & j), float64 (n a power of 2)."""
    idx = torch.arange(n)
    bits = idx[:, None] & idx[None, :]
    parity = torch.zeros_like(bits)
    while bool(bits.any()):
        parity ^= bits & 1
        bits = bits >> 1
    return (1 - 2 * parity).to(torch.float64)


def hadamard_factor(n: int) -> Monarch:
    """H_n = H_n1 ⊗ H_n2 as one factor (float64), n1 * n2 = n both powers of 2."""
    check_size(n, "hadamard")
    if n & (n - 1):
        raise MonarchError(f"hadamard needs a power of 2 (as scipy.linalg.hadamard), got n={n}")
    n1, n2 = balanced_split(n)
    return Monarch.from_kron(sylvester(n1), sylvester(n2))


def hadamard(n: int, norm: str | None = None, dtype: torch.dtype | None = None) -> Chain:
    """The n x n Sylvester Hadamard matrix (scipy.linalg.hadamard(n)) as one Monarch factor.

    norm: None (entries ±1) or "ortho" (scaled by 1/sqrt(n), orthogonal). Class M.
    """
    check_choice("hadamard norm", norm, HADAMARD_NORMS)
    H = hadamard_factor(n)
    if norm == "ortho":
        H = H.scale_input(1 / math.sqrt(n))
    return Chain([H.to(real_dtype_for(dtype))], name=f"Hadamard({n})")
