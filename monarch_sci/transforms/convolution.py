"""Circulant (circular convolution) and Toeplitz matrices as M · diag · M^H, class MM*.

With F_N = M P (see ``dft``), a circulant C = F diag(n F^-1 c) F^-1 = M diag(P ĝ / N) M^H where
ĝ = sum_j c_j w^(-jk). A Toeplitz matrix is the top-left block of a circulant of size
N >= m + n - 1; cropping rows of M keeps whole rows of its L blocks, so crop · C · pad is the
product of two rectangular factors M_m diag M_n^H.
"""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError
from ..monarch import Chain, Dense, RealPart
from ..monarch.shapes import balanced_split, divisors
from .dft import dft_factor, dft_matrix, transpose_permutation


def _vector(v, what: str) -> torch.Tensor:
    v = torch.as_tensor(v)
    if v.ndim != 1 or v.numel() == 0:
        raise MonarchError(f"{what} must be a non-empty 1-D tensor, got shape {tuple(v.shape)}")
    if not (v.dtype.is_floating_point or v.dtype.is_complex):
        v = v.to(torch.get_default_dtype())
    return v


def _finish(core: Chain | Dense, real: bool, dtype: torch.dtype, name: str) -> Chain:
    """Real inputs give the real matrix (its imaginary part is rounding only), cast to ``dtype``."""
    stage = RealPart(core) if real else core
    return Chain([stage], cls=None if isinstance(core, Dense) else "MM*", name=name).to(dtype)


def _embedded(c: torch.Tensor, r: torch.Tensor, m: int, n: int):
    """Split size N >= m + n - 1 as n1 * n2 with n1 dividing m and n, n1 near sqrt(N); and c' of length N."""
    need = m + n - 1
    n1 = max(divisors(math.gcd(m, n)), key=lambda d: (-abs(math.log(d * d / need)), d))
    n2 = -(-need // n1)
    N = n1 * n2
    col = torch.zeros(N, dtype=torch.complex128)
    col[:m] = c.to(torch.complex128)
    col[N - n + 1 :] = r[1:].flip(0).to(torch.complex128)
    return n1, n2, col


def _conjugate_spectrum(col: torch.Tensor) -> torch.Tensor:
    """ĝ_k = sum_j col_j w^(-jk) (the unnormalized inverse DFT)."""
    return dft_matrix(col.numel()).conj() @ col


def toeplitz(c, r=None) -> Chain:
    """T[i, j] = c[i - j] (i >= j), r[j - i] (i < j), as scipy.linalg.toeplitz(c, r); r defaults to conj(c).

    Shape (len(c), len(r)). Built as M_m diag(ĝ/N) M_n^H with rectangular Monarch factors, class MM*.
    Sizes without a balanced split (n1 dividing both sizes, n1 <= n2, e.g. a prime square size)
    fall back to a dense matrix, reported as such.
    """
    c = _vector(c, "toeplitz column c")
    r = c.conj() if r is None else _vector(r, "toeplitz row r")
    m, n = c.numel(), r.numel()
    dtype = torch.promote_types(c.dtype, r.dtype)
    real = not dtype.is_complex
    name = f"Toeplitz({m}x{n})"
    n1, n2, col = _embedded(c, r, m, n)
    if n1 == 1 or n1 > n2:  # no balanced split (e.g. a prime size): dense is cheaper
        i, j = torch.arange(m)[:, None], torch.arange(n)[None, :]
        full = torch.where(i >= j, c.to(torch.complex128)[(i - j).clamp(min=0)], r.to(torch.complex128)[(j - i).clamp(min=0)])
        return _finish(Dense(full), real, dtype, name)
    N = n1 * n2
    M = dft_factor(n1, n2)
    spectrum = transpose_permutation(n1, n2)(_conjugate_spectrum(col)) / N
    first_m, first_n = M.select_rows(torch.arange(m // n1)), M.select_rows(torch.arange(n // n1))  # rows of F_N
    core = Chain([first_n.adjoint(), first_m.scale_input(spectrum)])
    return _finish(core, real, dtype, name)


def circulant(c) -> Chain:
    """C[i, j] = c[(i - j) mod n] (scipy.linalg.circulant(c): circular convolution with c).

    Built as M diag(ĝ/n) M^H from the DFT's factor, class MM*; prime n falls back to dense.
    """
    c = _vector(c, "circulant column c")
    n = c.numel()
    dtype = c.dtype
    name = f"Circulant({n})"
    n1, n2 = balanced_split(n)
    if n1 == 1:
        idx = torch.arange(n)
        return _finish(Dense(c.to(torch.complex128)[(idx[:, None] - idx[None, :]) % n]), not dtype.is_complex, dtype, name)
    M = dft_factor(n1, n2)
    spectrum = transpose_permutation(n1, n2)(_conjugate_spectrum(c.to(torch.complex128))) / n
    return _finish(Chain([M.adjoint(), M.scale_input(spectrum)]), not dtype.is_complex, dtype, name)
