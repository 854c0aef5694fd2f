"""Factorization of a matrix in MM* into two Monarch factors (Section 3.4, Theorem 2, Algorithm 2).

Square n = m^2, P the "view (m, m), transpose, flatten" permutation (P = P^T). Every A = M1 M2^H in
MM* is A = (P L1 P) R (P L2 P) with L1, R, L2 block-diagonal (m blocks of m x m), R = R1 R2^H.
With Mt = P A P, its (i, j) block of size m x m is

    Mt_ij = A_i D_ij C_j,    A_i = L1 block i,  C_j = L2 block j,  D_ij = diag_a R[a, i, j].

For a pivot row i0 and column j0 of invertible blocks (the paper uses i0 = j0 = 0),

    F(i, j) = Mt_{i j0}^{-1} Mt_ij Mt_{i0 j}^{-1} Mt_{i0 j0} = C_{j0}^{-1} Lambda_ij C_{j0}

with Lambda_ij diagonal, so the eigenvectors V of a random combination of all F(i, j) give
C_{j0} = V^{-1} up to scaling and order of the diagonal positions. Then A_i = Mt_{i j0} V,
C_j = A_{i0}^{-1} Mt_{i0 j} and D_ij = A_i^{-1} Mt_ij C_j^{-1}. Every step is batched over blocks.
"""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError
from .chain import Chain
from .factor import Monarch
from .stage import complex_dtype, real_dtype

_EPS = torch.finfo(torch.float64).eps
_SWEEPS = 8  # at most this many refinement sweeps; each must halve the error to continue

Factors = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # A (m, m, m), d (m, m, m), C (m, m, m)


def factorize_mm_star(A: torch.Tensor, rtol: float = 1e-6, generator: torch.Generator | None = None) -> Chain:
    """Factor A (n, n), n = m^2, as ``Chain([M2.H, M1])``, the product M1 @ M2^H.

    M1 = Monarch(R, L1) = P L1 P R and M2 = Monarch(I, L2^H), so M2^H = P L2 P and
    M1 @ M2^H = (P L1 P) R (P L2 P). All work is in complex128; the factors come back complex in
    A's precision (complex64 for float32/complex64 input, else complex128). ``generator`` seeds
    the random combination of the F(i, j). The factorization is not unique: diagonal scalings
    and a common reordering of the m diagonal positions move between the factors.

    Steps: pick the pivot row and column of blocks of P A P with the smallest worst condition
    number; Algorithm 2 as above; then a few alternating least-squares sweeps on
    Mt_ij = A_i D_ij C_j (each solving for all A_i, all C_j, all D_ij in turn), which repair the
    accuracy lost to ill-conditioned blocks. Assumptions (Theorem 2), each checked with a
    MonarchError that names what failed:

    - n is a perfect square;
    - some row i0 and column j0 of blocks are invertible, condition numbers at most rtol / eps;
    - the eigenvalues of the combined F(i, j) are distinct (relative gap above sqrt(eps));
    - the recovered D_ij are diagonal up to a relative off-diagonal part of sqrt(rtol)
      (otherwise A is not in MM*);
    - the returned chain reproduces A to relative Frobenius error ``rtol``.

    >>> M1, M2 = Monarch.random(16, dtype=torch.float64), Monarch.random(16, dtype=torch.float64)
    >>> A = M1.to_dense() @ M2.to_dense().T
    >>> C = factorize_mm_star(A)
    >>> bool(torch.allclose(C.to_dense(), A.to(C.dtype)))
    True
    """
    if not isinstance(A, torch.Tensor) or A.ndim != 2 or A.shape[0] != A.shape[1]:
        got = tuple(A.shape) if isinstance(A, torch.Tensor) else type(A).__name__
        raise MonarchError(f"factorize_mm_star expects a square matrix (n, n), got {got}")
    if real_dtype(A.dtype) not in (torch.float32, torch.float64):
        raise MonarchError(f"factorize_mm_star needs a float32, float64 or complex matrix, got {A.dtype}")
    n = A.shape[0]
    m = math.isqrt(n)
    if m * m != n:
        raise MonarchError(f"factorize_mm_star needs n = m^2 (a perfect square), got n = {n}")

    work = A.detach().to(torch.complex128)
    Mt = work.reshape(m, m, m, m).permute(1, 3, 0, 2)  # Mt[i, j] = block (i, j) of P A P
    i0, j0 = _pivots(Mt, rtol)
    factors = _algorithm2(Mt, i0, j0, rtol, generator)
    L1, d, L2 = _refine(Mt, factors)

    eye = torch.eye(m, dtype=torch.complex128, device=A.device).expand(m, m, m)
    M1 = Monarch(d.permute(2, 0, 1).contiguous(), L1.contiguous())  # R[a, i, j] = d[i, j, a]
    M2 = Monarch(eye.contiguous(), L2.mH.contiguous())
    chain = Chain([M2.H, M1])
    error = ((chain.to_dense() - work).norm() / work.norm()).item()
    if not error <= rtol:
        raise MonarchError(f"A is not in MM* to tolerance: relative error {error:.3g} (rtol {rtol:g})")
    return chain.to(complex_dtype(A.dtype))


def _pivots(Mt: torch.Tensor, rtol: float) -> tuple[int, int]:
    """Row i0 and column j0 of blocks whose worst condition number is smallest; checked."""
    limit, m = rtol / _EPS, Mt.shape[0]
    cond = torch.nan_to_num(torch.linalg.cond(Mt), nan=math.inf)  # (m, m)
    row_worst, row_at = cond.max(dim=1)  # per row i: worst block over j
    col_worst, col_at = cond.max(dim=0)  # per column j: worst block over i
    i0, j0 = int(row_worst.argmin()), int(col_worst.argmin())
    for kind, worst, block in (
        ("row", row_worst[i0].item(), (i0, int(row_at[i0]))),
        ("column", col_worst[j0].item(), (int(col_at[j0]), j0)),
    ):
        if not worst <= limit:
            raise MonarchError(
                f"every {kind} of {m} x {m} blocks of P A P has a singular or badly conditioned block; the best "
                f"{kind} still has block {block} with condition number {worst:.3g} > rtol/eps = {limit:.3g}. "
                f"Theorem 2 needs a full row and column of invertible blocks"
            )
    return i0, j0


def _algorithm2(Mt: torch.Tensor, i0: int, j0: int, rtol: float, generator: torch.Generator | None) -> Factors:
    """A_i, d_ij = diag(D_ij), C_j from the eigenvectors of a random combination of the F(i, j)."""
    m = Mt.shape[0]
    rows = _rows(Mt)  # rows[i] = [Mt_i0, ..., Mt_i,m-1], (m, m, m*m)
    left = torch.linalg.solve(Mt[:, j0], rows).reshape(m, m, m, m)  # [i, b, j, c] = (Mt_{i j0}^-1 Mt_ij)[b, c]
    right = torch.linalg.solve(Mt[i0], Mt[i0, j0].expand(m, m, m))  # [j] = Mt_{i0 j}^-1 Mt_{i0 j0}
    weights = torch.randn(m, m, dtype=torch.complex128, generator=generator).to(Mt.device)
    G = torch.einsum("ij,ibjc,jcd->bd", weights, left, right)
    eigenvalues, V = torch.linalg.eig(G)
    _check_gap(eigenvalues)

    A_hat = Mt[:, j0] @ V
    C_hat = torch.linalg.solve(A_hat[i0], Mt[i0])
    AinvM = torch.linalg.solve(A_hat, rows).reshape(m, m, m, m).permute(2, 0, 1, 3)  # [j, i, a, c]
    D = torch.linalg.solve(C_hat, AinvM.reshape(m, m * m, m), left=False).reshape(m, m, m, m).transpose(0, 1)
    d = torch.diagonal(D, dim1=-2, dim2=-1)
    residue = ((D - torch.diag_embed(d)).norm() / D.norm()).item()
    if not residue <= math.sqrt(rtol):
        raise MonarchError(
            f"A is not in MM*: the blocks D_ij = A_i^-1 Mt_ij C_j^-1 should be diagonal but keep a relative "
            f"off-diagonal part of {residue:.3g} (allowed sqrt(rtol) = {math.sqrt(rtol):.3g})"
        )
    return A_hat, d, C_hat


def _check_gap(eigenvalues: torch.Tensor) -> None:
    """The eigenvalues must be distinct for the eigenvectors to determine C_{j0}^{-1}."""
    m = eigenvalues.numel()
    if m < 2:
        return
    distance = (eigenvalues[:, None] - eigenvalues[None, :]).abs()
    distance.fill_diagonal_(math.inf)
    gap = (distance.min() / eigenvalues.abs().max()).item()
    if not gap > math.sqrt(_EPS):
        a, b = divmod(int(distance.argmin()), m)
        raise MonarchError(
            f"the eigenvalues of the combined F(i, j) are not separated: relative gap {gap:.3g} between "
            f"eigenvalues {a} and {b} (needs > {math.sqrt(_EPS):.3g}); the diagonal factor R does not tell "
            f"those positions apart, which Theorem 2 assumes"
        )


def _refine(Mt: torch.Tensor, factors: Factors) -> Factors:
    """Alternating least-squares sweeps while each one at least halves the error; the best is kept."""
    best, best_error = factors, _error(Mt, factors)
    for _ in range(_SWEEPS):
        candidate = _sweep(Mt, best)
        error = _error(Mt, candidate)
        if not error < best_error:
            break
        halved = error < best_error / 2
        best, best_error = candidate, error
        if not halved or error <= 10 * _EPS:
            break
    return best


def _error(Mt: torch.Tensor, factors: Factors) -> float:
    A, d, C = factors
    return ((torch.einsum("iba,ija,jac->ijbc", A, d, C) - Mt).norm() / Mt.norm()).item()


def _rows(blocks: torch.Tensor) -> torch.Tensor:
    """(m, m, a, c) blocks [i, j] -> (m, a, m*c): block row i laid side by side."""
    m, _, a, c = blocks.shape
    return blocks.permute(0, 2, 1, 3).reshape(m, a, m * c)


def _sweep(Mt: torch.Tensor, factors: Factors) -> Factors:
    """One sweep: all A_i, then all C_j (least squares), then all diagonals d_ij (normal equations)."""
    A, d, C = factors
    m = Mt.shape[0]
    # Row i of blocks: Mt[i, :] (m, m*m) = A_i [D_i0 C_0, ..., D_i,m-1 C_m-1].
    B = _rows(d[..., None] * C[None])
    A = torch.linalg.lstsq(B.mT, _rows(Mt).mT).solution.mT
    # Column j of blocks: Mt[:, j] (m*m, m) = [A_0 D_0j; ...; A_m-1 D_m-1,j] C_j.
    K = (A[:, None] * d[:, :, None, :]).permute(1, 0, 2, 3).reshape(m, m * m, m)
    cols = Mt.permute(1, 0, 2, 3).reshape(m, m * m, m)
    C = torch.linalg.lstsq(K, cols).solution
    # Mt_ij = sum_a d_ija A_i[:, a] C_j[a, :]: Gram (A_i^H A_i) * (C_j C_j^H)^T, right side diag(A_i^H Mt_ij C_j^H).
    gram = (A.mH @ A)[:, None] * (C @ C.mH).mT[None]
    rhs = torch.diagonal(A.mH[:, None] @ Mt @ C.mH[None], dim1=-2, dim2=-1)
    d = torch.linalg.solve(gram, rhs)
    return A, d, C


__all__ = ["factorize_mm_star"]
