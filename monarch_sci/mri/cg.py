"""Batched conjugate gradient for Hermitian positive (semi)definite operators.

Solves A x = b independently for every leading batch index (every slice), with A a
``LinearOperator`` whose ishape = oshape. Used for SENSE: (Aᴴ A + λ I) x = Aᴴ y.
"""

from __future__ import annotations

import torch

from ..errors import MonarchError
from ..linops import LinearOperator


def _dot(a: torch.Tensor, b: torch.Tensor, ndim: int) -> torch.Tensor:
    """Σ conj(a) b over the trailing ``ndim`` dims, real part (A Hermitian: the CG scalars are real)."""
    return (a.conj() * b).real.sum(dim=tuple(range(-ndim, 0)), keepdim=True)


def conjugate_gradient(
    A: LinearOperator,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    max_iter: int = 50,
    tol: float = 1e-6,
) -> tuple[torch.Tensor, int]:
    """Approximate A⁻¹ b by CG; stops when every batch entry has ‖r‖ ≤ tol ‖b‖ or after max_iter.

    b: (..., *A.ishape); returns (x, iterations run). Each batch entry has its own step sizes.
    tol = 0 runs exactly max_iter iterations without reading anything back to the host (the learned
    reconstructions' fixed-K CG, which a CUDA graph can record); an exactly zero residual then stays zero.
    """
    if A.ishape != A.oshape:
        raise MonarchError(f"conjugate_gradient needs a square operator, got {A.name} {A.ishape} -> {A.oshape}")
    nd = len(A.ishape)
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b - A(x) if x0 is not None else b.clone()
    p = r.clone()
    rs = _dot(r, r, nd)
    bnorm = _dot(b, b, nd).clamp_min(torch.finfo(rs.dtype).tiny)
    it = 0
    for it in range(1, max_iter + 1):
        if tol > 0 and bool((rs <= tol**2 * bnorm).all()):
            return x, it - 1
        Ap = A(p)
        pAp = _dot(p, Ap, nd)
        alpha = torch.where(pAp > 0, rs / pAp.clamp_min(torch.finfo(rs.dtype).tiny), torch.zeros_like(rs))
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = _dot(r, r, nd)
        beta = torch.where(rs > 0, rs_new / rs.clamp_min(torch.finfo(rs.dtype).tiny), torch.zeros_like(rs))
        p = r + beta * p
        rs = rs_new
    return x, it


__all__ = ["conjugate_gradient"]
