"""Factorization of a matrix in MM* into two Monarch factors (Section 3.4, Theorem 2, Algorithm 2).

Square n = m^2, P the "view (m, m), transpose, flatten" permutation (P = P^T). Every A = M1 M2^H in
MM* is A = (P L1 P) R (P L2 P) with L1, R, L2 block-diagonal (m blocks of m x m); R = R1 R2^H.
With Mt = P A P, its (i, j) block of size m x m is

    Mt_ij = A_i D_ij C_j,    A_i = L1 block i,  C_j = L2 block j,  D_ij = diag_a R[a, i, j].

Then F(i, j) = Mt_i0^{-1} Mt_ij Mt_0j^{-1} Mt_00 = C_0^{-1} (diagonal) C_0 for every (i, j), so the
eigenvectors V of a random combination of all F(i, j) give C_0 = V^{-1} up to scaling and order, and
A_i = Mt_i0 V, C_j = A_0^{-1} Mt_0j, D_ij = A_i^{-1} Mt_ij C_j^{-1}. Everything is batched over blocks.
"""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError
from .chain import Chain
from .factor import Monarch
from .stage import complex_dtype, real_dtype

_EPS = torch.finfo(torch.float64).eps


def factorize_mm_star(A: torch.Tensor, rtol: float = 1e-6, generator: torch.Generator | None = None) -> Chain:
    """Factor A (n, n), n = m^2, as ``Chain([M2.H, M1])`` = M1 @ M2^H with M1, M2 Monarch factors.

    M1 = Monarch(R, L1) = P L1 P R and M2 = Monarch(I, L2^H), so M2^H = P L2 P and
    M1 @ M2^H = (P L1 P) R (P L2 P). Works in complex128; the factors come back complex, in the
    precision of A (complex64 for float32/complex64 input). ``generator`` seeds the random
    combination of the F(i, j). The factorization is not unique (diagonal scalings and a common
    reordering of the m diagonal positions move between factors).

    Assumptions (Theorem 2), each checked with a MonarchError naming what failed: the blocks
    Mt_i0 and Mt_0j are invertible (condition number at most rtol / eps), the diagonal factors
    separate the eigenvalues of the combination, the recovered D_ij are diagonal to ``rtol``
    (otherwise A is not in MM*), and the chain reproduces A to relative Frobenius error ``rtol``.

    >>> M1, M2 = Monarch.random(16, dtype=torch.float64), Monarch.random(16, dtype=torch.float64)
    >>> A = M1.to_dense() @ M2.to_dense().T
    >>> C = factorize_mm_star(A)
    >>> bool(torch.allclose(C.to_dense(), A.to(C.dtype)))
    True
    """
    if not isinstance(A, torch.Tensor) or A.ndim != 2 or A.shape[0] != A.shape[1]:
        got = tuple(A.shape) if isinstance(A, torch.Tensor) else type(A).__name__
        raise MonarchError(f"factorize_mm_star expects a square matrix (n, n), got {got}")
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or real_dtype(A.dtype) not in (
        torch.float32,
        torch.float64,
    ):
        raise MonarchError(f"factorize_mm_star needs a float32/float64/complex matrix, got {A.dtype}")
    n = A.shape[0]
    m = math.isqrt(n)
    if m * m != n:
        raise MonarchError(f"factorize_mm_star needs n = m^2 (a perfect square), got n = {n}")

    work = A.detach().to(torch.complex128)
    Mt = work.reshape(m, m, m, m).permute(1, 3, 0, 2)  # Mt[i, j] = (P A P) block (i, j), (m, m, m, m)
    _check_blocks(Mt, rtol)

    # F(i, j) = (Mt_i0^{-1} Mt_ij) (Mt_0j^{-1} Mt_00), combined with random complex weights.
    left = torch.linalg.solve(Mt[:, :1], Mt)  # (m, m, m, m)
    right = torch.linalg.solve(Mt[0], Mt[0, :1])  # (m, m, m), indexed by j
    weights = torch.randn(m, m, dtype=torch.complex128, generator=generator, device=A.device)
    G = torch.einsum("ij,ijab,jbc->ac", weights, left, right)
    eigenvalues, V = torch.linalg.eig(G)
    _check_gap(eigenvalues)

    A_hat = Mt[:, 0] @ V  # (m, m, m): blocks of L1
    C_hat = torch.linalg.solve(A_hat[0], Mt[0])  # (m, m, m): blocks of L2
    D = torch.linalg.solve(C_hat, torch.linalg.solve(A_hat[:, None], Mt), left=False)  # (m, m, m, m)
    diag = torch.diagonal(D, dim1=-2, dim2=-1)  # (m, m, m): diag[i, j, a] = R[a, i, j]
    residue = (D - torch.diag_embed(diag)).norm() / D.norm()
    if residue > rtol:
        raise MonarchError(
            f"A is not in MM*: the recovered blocks D_ij = A_i^-1 Mt_ij C_j^-1 should be diagonal but "
            f"keep a relative off-diagonal part of {residue.item():.3g} (rtol {rtol:g})"
        )

    eye = torch.eye(m, dtype=torch.complex128, device=A.device).expand(m, m, m)
    M1 = Monarch(diag.permute(2, 0, 1).contiguous(), A_hat.contiguous())
    M2 = Monarch(eye.contiguous(), C_hat.mH.contiguous())
    chain = Chain([M2.H, M1])
    error = (chain.to_dense() - work).norm() / work.norm()
    if error > rtol:
        raise MonarchError(f"A is not in MM* to tolerance: relative error {error.item():.3g} (rtol {rtol:g})")
    return chain.to(complex_dtype(A.dtype))


def _check_blocks(Mt: torch.Tensor, rtol: float) -> None:
    """The blocks Mt_i0 and Mt_0j must be invertible well enough to reach rtol."""
    limit = rtol / _EPS
    for label, blocks in (("Mt[i, 0]", Mt[:, 0]), ("Mt[0, j]", Mt[0])):
        cond = torch.linalg.cond(blocks)
        worst = int(torch.argmax(torch.nan_to_num(cond, nan=math.inf)))
        if not cond[worst] <= limit:
            raise MonarchError(
                f"block {label.replace('i', str(worst)).replace('j', str(worst))} of P A P is singular or badly "
                f"conditioned (condition number {cond[worst].item():.3g} > rtol/eps = {limit:.3g}); "
                f"factorize_mm_star needs every block Mt[i, 0] and Mt[0, j] invertible"
            )


def _check_gap(eigenvalues: torch.Tensor) -> None:
    """The m eigenvalues of the combination must be distinct for its eigenvectors to be C_0^{-1}."""
    m = eigenvalues.numel()
    if m < 2:
        return
    distance = (eigenvalues[:, None] - eigenvalues[None, :]).abs()
    distance.fill_diagonal_(math.inf)
    gap = distance.min() / eigenvalues.abs().max()
    if not gap > math.sqrt(_EPS):
        a, b = divmod(int(torch.argmin(distance)), m)
        raise MonarchError(
            f"the eigenvalues of the combined F(i, j) are not separated: relative gap {gap.item():.3g} between "
            f"eigenvalues {a} and {b} (needs > {math.sqrt(_EPS):.3g}); the diagonal factor does not tell "
            f"those positions apart, so A is outside the assumptions of Theorem 2"
        )


__all__ = ["factorize_mm_star"]
