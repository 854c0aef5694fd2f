"""Applying a Monarch factor: the einsum reference, the batched-matmul path, and dispatch.

Canonical layout (shared/DESIGN.md): R has shape (k, q, p), L has shape (l, s, r), k*q == l*r.

    x (..., k*p) -view-> (..., k, p) -R blocks-> (..., k, q) -flatten, view-> (..., r, l)
      -transpose-> (..., l, r) -L blocks-> (..., l, s) -transpose, flatten-> (..., s*l)

With k = q = p = l = s = r = m this is the paper's M = P L P^T R. The adjoint runs the same steps
backwards with conjugate-transposed blocks (``conj_physical``, so the factors' gradients come back as
plain tensors rather than lazy conjugate views, which foreach ops reject). All paths agree to rounding;
tests pin that.
"""

from __future__ import annotations

import torch


def _shapes(R: torch.Tensor, L: torch.Tensor):
    k, q, p = R.shape
    l, s, r = L.shape
    return k, q, p, l, s, r


def forward_einsum(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """Reference: y = M x along the last dim. x (..., k*p) -> (..., s*l)."""
    k, q, p, l, s, r = _shapes(R, L)
    batch = x.shape[:-1]
    y = torch.einsum("kqp,...kp->...kq", R, x.reshape(*batch, k, p))
    y = y.reshape(*batch, r, l).transpose(-1, -2)
    z = torch.einsum("lsr,...lr->...ls", L, y)
    return z.transpose(-1, -2).reshape(*batch, s * l)


def adjoint_einsum(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """Reference: y = M^H x along the last dim. x (..., s*l) -> (..., k*p)."""
    k, q, p, l, s, r = _shapes(R, L)
    batch = x.shape[:-1]
    z = x.reshape(*batch, s, l).transpose(-1, -2)
    y = torch.einsum("lsr,...ls->...lr", torch.conj_physical(L), z)
    y = y.transpose(-1, -2).reshape(*batch, k, q)
    return torch.einsum("kqp,...kq->...kp", torch.conj_physical(R), y).reshape(*batch, k * p)


def _blocks(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """Block-diagonal multiply as one bmm: x (nb, B, a), W (nb, b, a) -> (nb, B, b)."""
    return torch.bmm(x, W.transpose(1, 2))


def forward_bmm(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """Two batched matmuls with the permutations as copies between them."""
    k, q, p, l, s, r = _shapes(R, L)
    batch = x.shape[:-1]
    xb = x.reshape(-1, k, p).transpose(0, 1)  # (k, B, p)
    y = _blocks(xb, R)  # (k, B, q)
    y = y.permute(1, 0, 2).reshape(-1, r, l).permute(2, 0, 1)  # (l, B, r)
    z = _blocks(y, L)  # (l, B, s)
    return z.permute(1, 2, 0).reshape(*batch, s * l)


def adjoint_bmm(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """The adjoint through two batched matmuls."""
    k, q, p, l, s, r = _shapes(R, L)
    batch = x.shape[:-1]
    z = x.reshape(-1, s, l).permute(2, 0, 1)  # (l, B, s)
    y = _blocks(z, torch.conj_physical(L).transpose(1, 2))  # (l, B, r)
    y = y.permute(1, 2, 0).reshape(-1, k, q).transpose(0, 1)  # (k, B, q)
    out = _blocks(y, torch.conj_physical(R).transpose(1, 2))  # (k, B, p)
    return out.transpose(0, 1).reshape(*batch, k * p)


IMPLEMENTATIONS = {
    "einsum": (forward_einsum, adjoint_einsum),
    "bmm": (forward_bmm, adjoint_bmm),
}


def monarch_apply(
    x: torch.Tensor, R: torch.Tensor, L: torch.Tensor, adjoint: bool = False, impl: str = "auto"
) -> torch.Tensor:
    """y = M x (or M^H x) along the last dim, shapes already checked and dtypes already common.

    impl: "einsum" (reference), "bmm", or "auto" (the fused GPU kernel where it applies, else bmm).
    Inside an autocast region a real x runs in the region's dtype (x, R and L cast), as autocast runs
    nn.Linear and torch.bmm; the fused kernels would otherwise keep float32 there.
    """
    if x.is_floating_point() and torch.is_autocast_enabled(x.device.type):
        dtype = torch.get_autocast_dtype(x.device.type)
        x, R, L = x.to(dtype), R.to(dtype), L.to(dtype)
    if impl == "auto":
        from ..kernels import fused_apply, use_fused  # lazy; Triton itself loads only on use

        if use_fused(x, R, L, adjoint):
            return fused_apply(x, R, L, adjoint=adjoint)
        impl = "bmm"
    forward, backward = IMPLEMENTATIONS[impl]
    return backward(x, R, L) if adjoint else forward(x, R, L)
