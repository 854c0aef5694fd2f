"""DCT and DST (types II and III, scipy.fft conventions) through the DFT's Monarch factor.

Makhoul (1980): with v = [x0, x2, x4, ..., then the odd entries in reverse order] and V = F_n v,
DCT-II(x)_k = Re(2 e^{-iπk/(2n)} V_k). Since F_n = M·P, DCT-II = Re(D M) · P_reorder · P: one
Monarch factor (the output diagonal folds into it), one permutation, and a real part.
DST-II(x) = reverse(DCT-II((-1)^j x_j)): the sign folds into the factor's input, the reversal
into its output blocks. Type III is the transpose of type II with scaled inputs
(unnormalized: DCT-III = DCT-IIᵀ diag(1/2, 1, ..., 1)); orthonormal type III is the transpose.
"""

from __future__ import annotations

import math

import torch

from ..errors import check_choice
from ..monarch import Chain, Dense, Permutation, RealPart
from ..monarch.shapes import balanced_split
from .common import check_size, real_dtype_for
from .dft import dft_factor, dft_matrix, transpose_permutation

TRIG_NORMS = (None, "backward", "ortho", "forward")
TRIG_TYPES = (2, 3)


def makhoul_permutation(n: int) -> Permutation:
    """v = x[index]: even indices ascending, then odd indices descending."""
    idx = torch.arange(n)
    return Permutation(torch.cat([idx[0::2], idx[1::2].flip(0)]))


def dct2_chain(n: int, out_scale: torch.Tensor, sine: bool) -> Chain:
    """DCT-II scaled by diag(out_scale), or DST-II scaled by diag(out_scale reversed), in complex128.

    The reversal is the DST's: its output n-1-k is the DCT's output k, so one scale table serves both.
    """
    k = torch.arange(n)
    twiddle = 2 * torch.polar(torch.ones(n, dtype=torch.float64), -math.pi * k.double() / (2 * n))
    reorder = makhoul_permutation(n)
    n1, n2 = balanced_split(n)
    if n1 == 1:  # prime n: the dense DFT in place of the factor
        core, perm = Dense(dft_matrix(n)), reorder
    else:
        core, perm = dft_factor(n1, n2), reorder.then(transpose_permutation(n1, n2))
    core = core.scale_output(twiddle * out_scale)
    if sine:
        sign = (1 - 2 * (perm.index % 2)).to(torch.float64)  # (-1)^j of the gathered input
        core = core.scale_input(sign).permute_outputs(torch.arange(n - 1, -1, -1))
    return Chain([perm, RealPart(core)])


def _scales(n: int, norm: str | None, type: int) -> torch.Tensor:
    """Output scale of the type-II chain whose (scaled) transpose is the requested transform."""
    if norm == "ortho":
        f = torch.full((n,), math.sqrt(1 / (2 * n)), dtype=torch.float64)
        f[0] = math.sqrt(1 / (4 * n))
        return f
    base = 1 / (2 * n) if norm == "forward" else 1.0
    f = torch.full((n,), base, dtype=torch.float64)
    if type == 3:
        f[0] *= 0.5  # DCT-III = DCT-II^T diag(1/2, 1, ..., 1)
    return f


def _trig(n: int, type: int, norm: str | None, dtype, sine: bool) -> Chain:
    what = "dst" if sine else "dct"
    check_size(n, what)
    check_choice(f"{what} type", type, TRIG_TYPES)
    check_choice(f"{what} norm", norm, TRIG_NORMS)
    dtype = real_dtype_for(dtype)
    chain = dct2_chain(n, _scales(n, norm, type), sine)
    if type == 3:
        chain = chain.transpose()
    name = f"{what.upper()}-{'II' if type == 2 else 'III'}({n})"
    return Chain(chain.stages, cls="(MM*)^2", name=name).to(dtype)


def dct(n: int, type: int = 2, norm: str | None = None, dtype: torch.dtype | None = None) -> Chain:
    """DCT of type 2 or 3 as in ``scipy.fft.dct(x, type, norm=norm)``, as a Monarch chain.

    Real input gives real output; complex input is transformed in its real and imaginary parts.
    norm: None / "backward" (scipy default), "ortho" (orthonormal) or "forward".
    Class (MM*)^2 (Proposition 3.2): one Monarch factor, a permutation and a real part.
    """
    return _trig(n, type, norm, dtype, sine=False)


def dst(n: int, type: int = 2, norm: str | None = None, dtype: torch.dtype | None = None) -> Chain:
    """DST of type 2 or 3 as in ``scipy.fft.dst(x, type, norm=norm)``, as a Monarch chain."""
    return _trig(n, type, norm, dtype, sine=True)
