"""Optimal projection of a dense matrix onto one Monarch factor (Theorem 1 of Dao et al. 2022).

In the canonical layout (R: (k, q, p), L: (l, s, r), k*q == l*r) the entry of M = Monarch(R, L) at
output o = s_o*l + l_o and input i = k_i*p + p_i is a sum over middle indices m = k(m)*q + q(m)
= r(m)*l + l(m):

    M[o, i] = sum_{m : k(m) = k_i, l(m) = l_o}  L[l_o, s_o, r(m)] * R[k_i, q(m), p_i].

So the (s, p) sub-block A[(:, l_o), (k_i, :)] is a sum of |S(k_i, l_o)| rank-one terms, one per
middle index in S(k, l) = {m : m // q = k, m % l = l}. Every middle index belongs to exactly one
pair (k, l) and owns one column of L and one row of R, so the pairs share no parameters and the
truncated SVD of each sub-block (Eckart–Young) gives the best approximation in Frobenius norm.
All k*l sub-blocks go through one batched SVD.
"""

from __future__ import annotations

import torch

from ..errors import MonarchError
from .factor import Monarch
from .shapes import block_shape

_SVD_DTYPES = (torch.float32, torch.float64, torch.complex64, torch.complex128)

Layout = tuple[tuple[int, int, int], tuple[int, int, int]]


def project(
    A: torch.Tensor,
    nblocks: int | None = None,
    mid: int | None = None,
    *,
    shape: Layout | None = None,
) -> Monarch:
    """The Monarch factor closest to A in Frobenius norm.

    A: (n_out, n_in), float32/float64/complex64/complex128. The layout is
    ``block_shape(n_in, n_out, nblocks, mid)`` unless ``shape=((k, q, p), (l, s, r))`` gives it
    explicitly (then ``nblocks`` and ``mid`` must be left out). Returns ``Monarch(R, L)`` with R
    (k, q, p) and L (l, s, r) in A's dtype; each singular value is split evenly, sqrt(sigma) into
    the column of L and sqrt(sigma) into the row of R. If A is a Monarch matrix of that layout, it
    is recovered exactly (to rounding). No gradient flows back to A.

    Cost: one batched SVD of k*l blocks of size (s, p), O(n^{5/2}) for square n with sqrt(n) blocks.

    >>> M = Monarch.random(16, dtype=torch.float64)
    >>> bool(torch.allclose(project(M.to_dense()).to_dense(), M.to_dense()))
    True
    """
    if not isinstance(A, torch.Tensor) or A.ndim != 2:
        got = tuple(A.shape) if isinstance(A, torch.Tensor) else type(A).__name__
        raise MonarchError(f"project expects a 2-D matrix A of shape (n_out, n_in), got {got}")
    if A.dtype not in _SVD_DTYPES:
        raise MonarchError(
            f"project needs A in one of {[str(d) for d in _SVD_DTYPES]}, got {A.dtype}; convert it first"
        )
    n_out, n_in = A.shape
    (k, q, p), (l, s, r) = _layout(n_in, n_out, nblocks, mid, shape)

    # blocks[b, c] = A[(:, b), (c, :)]: rows o = s_o*l + b, columns i = c*p + p_i.
    blocks = A.detach().reshape(s, l, k, p).permute(1, 2, 0, 3)  # (l, k, s, p)
    U, S, Vh = torch.linalg.svd(blocks, full_matrices=False)  # (l, k, s, t), (l, k, t), (l, k, t, p)
    t = S.shape[-1]

    # For every middle index m: its pair (k_m, l_m) and its rank j_m within S(k_m, l_m).
    m = torch.arange(k * q, device=A.device)
    k_m, l_m = m // q, m % l
    first = k_m * q + (l_m - k_m * q) % l  # smallest member of S(k_m, l_m)
    j_m = (m - first) // l
    keep = j_m < t  # ranks beyond min(s, p) stay zero
    j_m = j_m.clamp(max=t - 1)
    root = (S[l_m, k_m, j_m].sqrt() * keep).to(A.dtype)  # (k*q,)

    L_cols = U.transpose(-1, -2)[l_m, k_m, j_m] * root[:, None]  # (k*q, s): column r_m of L block l_m
    R_rows = Vh[l_m, k_m, j_m] * root[:, None]  # (k*q, p): row q_m of R block k_m
    # m = r_m*l + l_m = k_m*q + q_m, so both are plain reshapes of the middle index.
    L = L_cols.reshape(r, l, s).permute(1, 2, 0).contiguous()
    R = R_rows.reshape(k, q, p).contiguous()
    return Monarch(R, L)


def _layout(n_in: int, n_out: int, nblocks: int | None, mid: int | None, shape: Layout | None) -> Layout:
    """((k, q, p), (l, s, r)) from ``block_shape`` or an explicit ``shape``, checked against A."""
    if shape is None:
        return block_shape(n_in, n_out, nblocks, mid)
    if nblocks is not None or mid is not None:
        raise MonarchError(f"give either shape={shape!r} or nblocks/mid, not both (got nblocks={nblocks}, mid={mid})")
    try:
        (k, q, p), (l, s, r) = shape
    except (TypeError, ValueError):
        raise MonarchError(f"shape must be ((k, q, p), (l, s, r)), got {shape!r}") from None
    if not all(isinstance(v, int) and v >= 1 for v in (k, q, p, l, s, r)):
        raise MonarchError(f"shape entries must be positive ints, got {shape!r}")
    if k * p != n_in or l * s != n_out or k * q != l * r:
        raise MonarchError(
            f"shape {shape!r} does not fit A of shape ({n_out}, {n_in}): need k*p = n_in ({k * p} vs {n_in}), "
            f"l*s = n_out ({l * s} vs {n_out}) and k*q = l*r ({k * q} vs {l * r})"
        )
    return (k, q, p), (l, s, r)


__all__ = ["project"]
