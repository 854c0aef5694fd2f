"""Batched conjugate gradient for Hermitian positive (semi)definite operators.

Solves A x = b independently for every leading batch index (every slice), with A a
``LinearOperator`` whose ishape = oshape. Used for SENSE: (Aᴴ A + λ I) x = Aᴴ y.
"""

from __future__ import annotations

import torch

from ..errors import MonarchError
from ..linops import LinearOperator


def _dot(a: torch.Tensor, b: torch.Tensor, ndim: int) -> torch.Tensor:
    """Re Σ conj(a) b over the trailing ``ndim`` dims (A Hermitian: the CG scalars are real), as the real
    dot product of the (re, im) views: no conjugate is materialized, forward or backward."""
    if not a.is_complex():
        return (a * b).sum(dim=tuple(range(-ndim, 0)), keepdim=True)
    products = torch.view_as_real(a.resolve_conj()) * torch.view_as_real(b.resolve_conj())
    return products.sum(dim=tuple(range(-ndim - 1, 0)), keepdim=True)[..., 0]


def _axpy(y: torch.Tensor, alpha: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """y + alpha x for a real alpha (..., 1, ..., 1) and complex x, y through their (re, im) views, so the
    backward of alpha is a real dot product (a complex product would materialize conj(x))."""
    if not x.is_complex():
        return y + alpha * x
    return torch.view_as_complex(torch.view_as_real(y.resolve_conj()) + alpha[..., None] * torch.view_as_real(x.resolve_conj()))


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
    bnorm = _dot(b, b, nd).clamp_min(torch.finfo(rs.dtype).tiny) if tol > 0 else None
    it = 0
    for it in range(1, max_iter + 1):
        if tol > 0 and bool((rs <= tol**2 * bnorm).all()):
            return x, it - 1
        Ap = A(p)
        pAp = _dot(p, Ap, nd)
        alpha = torch.where(pAp > 0, rs / pAp.clamp_min(torch.finfo(rs.dtype).tiny), torch.zeros_like(rs))
        x = _axpy(x, alpha, p)
        r = _axpy(r, -alpha, Ap)
        rs_new = _dot(r, r, nd)
        beta = torch.where(rs > 0, rs_new / rs.clamp_min(torch.finfo(rs.dtype).tiny), torch.zeros_like(rs))
        p = _axpy(r, beta, p)
        rs = rs_new
    return x, it


__all__ = ["conjugate_gradient"]
