"""Structured random-feature and layer transforms built from Hadamard, DFT and DCT factors.

Fastfood (Le et al. 2013)   V = S H G Π H B
(HD)^3 (Yu et al. 2016)     V = H D1 H D2 H D3         (H orthonormal)
AFDF (Moczulski et al.)     V = A F D F^-1             (complex diagonals)
ACDC (Moczulski et al.)     V = A C D C^-1             (C the orthonormal DCT-II, real diagonals)

Diagonals fold into the neighbouring Monarch factors; H is symmetric, so the middle Hadamard of
(HD)^3 is written as the adjoint factor H^H (the same matrix) to show the M·M*·M pattern.
"""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError
from ..monarch import Chain, Dense, Monarch, Permutation, RealPart
from ..monarch.shapes import balanced_split
from .common import cast, check_size, complex_dtype_for, real_dtype_for
from .dct import dct2_chain
from .dft import dft_factor, dft_matrix, transpose_permutation
from .hadamard import hadamard_factor


def _diag(d, n: int, what: str, default) -> torch.Tensor:
    if d is None:
        return default()
    d = torch.as_tensor(d)
    if d.shape != (n,):
        raise MonarchError(f"{what} must have shape ({n},), got {tuple(d.shape)}")
    return d.to(torch.complex128 if d.dtype.is_complex else torch.float64)


def _gaussian(n: int, generator) -> torch.Tensor:
    return torch.randn(n, dtype=torch.float64, generator=generator)


def _chi(n: int, generator) -> torch.Tensor:
    """Samples of the chi distribution with n degrees of freedom (norms of standard normal n-vectors)."""
    return torch.randn(n, n, dtype=torch.float64, generator=generator).norm(dim=1)


def _signs(n: int, generator) -> torch.Tensor:
    return torch.randint(0, 2, (n,), generator=generator).double() * 2 - 1


def monarch_permutation(n: int, generator: torch.Generator | None = None) -> Monarch:
    """A uniformly random permutation among those that are Monarch factors (float64).

    Block permutations in R and L around the Monarch transpose: (m!)^(2m) of the n! permutations
    for n = m^2, enough to decorrelate the two Hadamards of Fastfood while staying in class M.
    """
    n1, n2 = balanced_split(n)
    eye1, eye2 = torch.eye(n1, dtype=torch.float64), torch.eye(n2, dtype=torch.float64)
    R = torch.stack([eye1[torch.randperm(n1, generator=generator)] for _ in range(n2)])
    L = torch.stack([eye2[torch.randperm(n2, generator=generator)] for _ in range(n1)])
    return Monarch(R, L)


def fastfood(
    n: int,
    B=None,
    G=None,
    S=None,
    perm=None,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> Chain:
    """Fastfood V = S H G Π H B (n a power of 2, H unnormalized Hadamard), class (MM*)^2.

    Omitted parts are drawn as in Le et al.: B random signs, G standard normal, S = chi_n
    samples / ||G||, Π a random Monarch permutation (see ``monarch_permutation``). An explicit
    ``perm`` (y = x[perm]) of any kind is held as a fixed permutation stage instead.
    """
    check_size(n, "fastfood")
    H = hadamard_factor(n)
    B = _diag(B, n, "fastfood B", lambda: _signs(n, generator))
    G = _diag(G, n, "fastfood G", lambda: _gaussian(n, generator))
    S = _diag(S, n, "fastfood S", lambda: _chi(n, generator) / G.norm())
    mixing = monarch_permutation(n, generator) if perm is None else Permutation(perm)
    stages = [H.adjoint().scale_input(B), mixing, H.scale_input(G).scale_output(S)]
    return cast(Chain(stages, name=f"Fastfood({n})"), dtype)


def hd3(n: int, D1=None, D2=None, D3=None, generator=None, dtype=None) -> Chain:
    """(HD)^3 = H D1 H D2 H D3 with orthonormal H (n a power of 2); D default random signs. Class (MM*)^2."""
    check_size(n, "hd3")
    H = hadamard_factor(n).scale_input(1 / math.sqrt(n))
    D1, D2, D3 = (_diag(d, n, f"hd3 D{i}", lambda: _signs(n, generator)) for i, d in enumerate((D1, D2, D3), 1))
    stages = [H.scale_input(D3), H.adjoint().scale_input(D2), H.scale_input(D1)]
    return cast(Chain(stages, name=f"(HD)^3({n})"), dtype)


def afdf(n: int, A=None, D=None, generator=None, dtype=None) -> Chain:
    """AFDF = diag(A) F diag(D) F^-1 (F the DFT), complex; default A, D complex normal. Class MM*.

    With F = M P: A M P D P^T M^H / n = M' M^H, the diagonals folded into M'.
    """
    check_size(n, "afdf")
    A = _diag(A, n, "afdf A", lambda: torch.randn(n, dtype=torch.complex128, generator=generator))
    D = _diag(D, n, "afdf D", lambda: torch.randn(n, dtype=torch.complex128, generator=generator))
    n1, n2 = balanced_split(n)
    if n1 == 1:
        F = dft_matrix(n)
        return Chain([Dense(A[:, None] * F @ (D[:, None] * F.conj().T) / n)], name=f"AFDF({n})").to(complex_dtype_for(dtype))
    M = dft_factor(n1, n2)
    inner = transpose_permutation(n1, n2)(D) / n
    return Chain([M.adjoint(), M.scale_input(inner).scale_output(A)], name=f"AFDF({n})").to(complex_dtype_for(dtype))


def acdc(n: int, A=None, D=None, generator=None, dtype=None) -> Chain:
    """ACDC = diag(A) C diag(D) C^-1, C = orthonormal DCT-II (scipy norm="ortho"), real.

    C = Re(M) P from ``dct``, so A C D C^T = Re(A M P D P^T) Re(M^T) = Re(M') Re(M^T): two
    factors with real parts; class (MM*)^2 (Proposition 3.2). Default A, D standard normal.
    """
    check_size(n, "acdc")
    A = _diag(A, n, "acdc A", lambda: _gaussian(n, generator))
    D = _diag(D, n, "acdc D", lambda: _gaussian(n, generator))
    if A.is_complex() or D.is_complex():
        raise MonarchError("acdc takes real diagonals A and D (use afdf for complex ones)")
    ortho = torch.full((n,), math.sqrt(1 / (2 * n)), dtype=torch.float64)
    ortho[0] = math.sqrt(1 / (4 * n))
    perm, real = dct2_chain(n, ortho, sine=False).stages
    core = real.inner
    outer = core.scale_input(perm(D)).scale_output(A)
    return Chain([RealPart(core.transpose()), RealPart(outer)], cls="(MM*)^2", name=f"ACDC({n})").to(
        real_dtype_for(dtype)
    )
