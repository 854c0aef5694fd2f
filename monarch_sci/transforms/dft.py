"""The DFT as one Monarch factor and an input permutation (four-step / Bailey FFT).

For n = n1 * n2, input index j = j1*n2 + j2 and frequency k = k1 + n1*k2,
w_n^(jk) = w_n1^(j1 k1) · w_n^(j2 k1) · w_n2^(j2 k2), so

    F_n = P_(n1,n2) (I_n1 ⊗ F_n2) P_(n2,n1) D (I_n2 ⊗ F_n1) P_(n1,n2)

which in the canonical layout is the factor R[j2, k1, j1] = w_n^(j2 k1) w_n1^(j1 k1) (k = n2 blocks),
L[k1, k2, j2] = w_n2^(j2 k2) (l = n1 blocks), after the input permutation P_(n1,n2).
"""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError, check_choice
from ..monarch import Chain, Dense, Monarch, Permutation, Selection
from ..monarch.shapes import balanced_split
from .common import check_size, complex_dtype_for, norm_scale

FFT_NORMS = ("backward", "ortho", "forward")


def transpose_permutation(n1: int, n2: int) -> Permutation:
    """P_(n1,n2): view a length n1*n2 vector as (n1, n2), transpose, flatten."""
    return Permutation(torch.arange(n1 * n2).reshape(n1, n2).T.reshape(-1))


def roots(exponent: torch.Tensor, n: int) -> torch.Tensor:
    """w_n^exponent = exp(-2πi exponent / n) in complex128, reducing exponent mod n first (exact angles)."""
    return torch.polar(torch.ones((), dtype=torch.float64), -2 * math.pi * (exponent % n).double() / n)


def dft_factor(n1: int, n2: int) -> Monarch:
    """The Monarch factor M with F_(n1 n2) = M · P_(n1,n2), complex128."""
    n = n1 * n2
    j1 = torch.arange(n1)
    k1 = torch.arange(n1)
    j2 = torch.arange(n2)
    k2 = torch.arange(n2)
    R = roots(j2[:, None, None] * k1[None, :, None], n) * roots(j1[None, None, :] * k1[None, :, None], n1)
    L = roots(j2[None, None, :] * k2[None, :, None], n2).expand(n1, n2, n2)
    return Monarch(R, L.contiguous())


def dft_matrix(n: int) -> torch.Tensor:
    """The dense DFT matrix F[k, j] = w_n^(jk), complex128 (for the prime fallback and tests)."""
    idx = torch.arange(n)
    return roots(idx[:, None] * idx[None, :], n)


def dft(
    n: int,
    norm: str = "backward",
    inverse: bool = False,
    centered: bool = False,
    dtype: torch.dtype | None = None,
) -> Chain:
    """The n-point DFT (numpy.fft.fft conventions) as a Monarch chain in (MM*)^2.

    norm: "backward" (no scaling forward, 1/n inverse), "ortho" (1/sqrt(n)) or "forward" (1/n forward).
    inverse: the inverse DFT (numpy.fft.ifft). centered: fftshift ∘ F ∘ ifftshift, the MRI
    convention (fastMRI, sigpy use it with norm="ortho"); the shifts fold into the factor as phase
    ramps, since (fftshift F ifftshift)[k, j] = w^(h^2) w^(-hk) w^(jk) w^(-hj) with h = n // 2.
    dtype: complex64 or complex128 (default: complex version of torch's default dtype).
    Prime n has no Monarch factorization: the chain holds the dense matrix and reports it.

    >>> T = dft(8, norm="ortho")
    >>> x = torch.randn(8, dtype=torch.complex64)
    >>> torch.allclose(T(x), torch.fft.fft(x, norm="ortho"), atol=1e-6)
    True
    """
    check_size(n, "dft")
    check_choice("dft norm", norm, FFT_NORMS)
    dtype = complex_dtype_for(dtype)
    scale = norm_scale(n, norm, inverse)
    n1, n2 = balanced_split(n)
    h = n // 2
    idx = torch.arange(n)
    phase = roots(-h * idx, n)  # w^(-h·j) and w^(-h·k), the same ramp on both sides
    if n1 == 1:
        A = dft_matrix(n) * scale
        if centered:
            A = roots(torch.tensor(h * h), n) * phase[:, None] * A * phase[None, :]
        A = A.conj() if inverse else A
        return Chain([Dense(A.to(dtype))], name=_name(n, inverse, centered))
    M = dft_factor(n1, n2).scale_input(scale)
    P = transpose_permutation(n1, n2)
    if centered:
        M = M.scale_input(P(phase) * roots(torch.tensor(h * h), n)).scale_output(phase)
    if inverse:
        M = M.conj()
    return Chain([P, M.to(dtype)], name=_name(n, inverse, centered))


def _name(n: int, inverse: bool, centered: bool) -> str:
    return f"{'centered ' if centered else ''}{'inverse ' if inverse else ''}DFT({n})"


def dft_modes(
    n: int, modes, norm: str = "backward", inverse: bool = False, dtype: torch.dtype | None = None
) -> Chain:
    """Only some frequencies of the n-point DFT, as a rectangular Monarch chain.

    forward: x (..., n) -> X[..., modes] (rows ``modes`` of the DFT; only the L-block rows that
    hold them are computed); inverse: X (..., len(modes)) -> the inverse DFT of the spectrum that
    is zero outside ``modes`` (columns ``modes`` of the inverse DFT = the adjoint of the forward
    rows, up to the norm's scale). This is what a spectral layer keeping a few modes needs.
    """
    check_size(n, "dft_modes")
    check_choice("dft_modes norm", norm, FFT_NORMS)
    modes = torch.as_tensor(modes, dtype=torch.long)
    if modes.ndim != 1 or modes.numel() == 0 or int(modes.min()) < 0 or int(modes.max()) >= n:
        raise MonarchError(f"dft_modes needs 1-D frequency indices in [0, {n}), got {modes.tolist()[:8]}")
    dtype = complex_dtype_for(dtype)
    scale = norm_scale(n, norm, inverse)
    n1, n2 = balanced_split(n)
    if n1 == 1:
        rows = dft_matrix(n)[modes] * scale
        return Chain([Dense((rows.conj().T if inverse else rows).to(dtype))], name=f"DFT({n})[modes]")
    rows = torch.unique(modes // n1)
    position = torch.searchsorted(rows, modes // n1) * n1 + modes % n1
    M = dft_factor(n1, n2).select_rows(rows).scale_input(scale)
    forward = Chain([transpose_permutation(n1, n2), M, Selection(position, rows.numel() * n1)])
    chain = forward.adjoint() if inverse else forward
    return Chain(chain.stages, name=f"{'inverse ' if inverse else ''}DFT({n})[{modes.numel()} modes]").to(dtype)
