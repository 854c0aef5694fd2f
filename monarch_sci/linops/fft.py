"""The (centered) discrete Fourier transform over some trailing dims, numpy's norm conventions."""

from __future__ import annotations

import cmath
import math
from typing import Sequence

import torch

from ..device_cache import device_cached
from ..errors import check_choice
from .base import LinearOperator, as_dims, as_shape

NORMS = ("backward", "ortho", "forward")
# F_norm^H as an inverse transform: the unscaled DFT's adjoint is the unscaled inverse, etc.
_ADJOINT_NORM = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


class FFT(LinearOperator):
    """The DFT over ``dims`` of tensors (..., *shape), as ``torch.fft.fftn`` / ``numpy.fft.fftn``.

    y[k] = c Σ_j x[j] exp(∓2πi j·k / n) with the sign − for the forward transform and + for
    ``inverse=True``; c = 1, 1/√n or 1/n following numpy's ``norm`` ("backward", "ortho",
    "forward"; the inverse scales the other way round, so ifft(fft(x)) = x for every norm).
    ``centered=True`` wraps it in shifts, ifftshift → fft → fftshift over ``dims``: the k-space
    convention of fastMRI, sigpy and deepinv (zero frequency at index n // 2). It is computed without
    the shifts' copies: with h = n // 2, (fftshift F ifftshift)[k, j] = w^(h²) w^(-hk) w^(kj) w^(-hj), so
    the input and the output are multiplied by phase ramps, which are signs ±1 for even n.

    The adjoint is again an FFT: the inverse direction with norm backward ↔ forward swapped
    (ortho stays ortho), so with norm="ortho" Aᴴ = A⁻¹.

    >>> F = FFT((320, 320), dims=(-2, -1), centered=True)   # fastMRI's fft2c
    >>> F.H                                                 # fastMRI's ifft2c
    IFFT2c((320, 320) -> (320, 320))
    """

    def __init__(
        self,
        shape: int | Sequence[int],
        dims: int | Sequence[int] = (-1,),
        norm: str = "ortho",
        centered: bool = False,
        inverse: bool = False,
    ):
        shape = as_shape(shape, "FFT shape")
        check_choice("FFT norm", norm, NORMS)
        super().__init__(shape, shape)
        self.dims = as_dims(dims, shape, "FFT")
        self.norm, self.centered, self.inverse = norm, bool(centered), bool(inverse)
        k = len(self.dims)
        self.name = ("IFFT" if inverse else "FFT") + (str(k) if k > 1 else "") + ("c" if centered else "")

    def _apply(self, x):
        transform = torch.fft.ifftn if self.inverse else torch.fft.fftn
        if not self.centered:
            return transform(x, dim=self.dims, norm=self.norm)
        cdtype = torch.complex128 if x.dtype in (torch.float64, torch.complex128) else torch.complex64
        ramp_in, ramp_out = centered_ramps(self.ishape, self.dims, self.inverse, cdtype, x.device)
        return transform(x * ramp_in, dim=self.dims, norm=self.norm) * ramp_out

    @property
    def H(self) -> "FFT":
        # (S2 F S1)^H = S1^-1 F^H S2^-1 with S1 = ifftshift, S2 = fftshift: the same shift pattern.
        return FFT(self.ishape, self.dims, _ADJOINT_NORM[self.norm], self.centered, not self.inverse)


@device_cached
def centered_ramps(shape: tuple[int, ...], dims: tuple[int, ...], inverse: bool, dtype: torch.dtype,
                   device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Input and output phase ramps of the centered DFT over ``dims`` of (..., *shape), broadcasting:
    per dim w^(-hj) on the input and w^(h²) w^(-hk) on the output, h = n // 2, w = exp(∓2πi / n);
    exactly ±1 when every size is even. Built once per arguments (``device_cached``)."""
    sign = 1 if inverse else -1
    ramp_in = ramp_out = torch.ones((), dtype=torch.complex128, device=device)
    for dim in dims:
        n, h = shape[dim], shape[dim] // 2
        k = torch.arange(n, device=device)
        phase = torch.exp(sign * 2j * math.pi * ((-h * k) % n).double() / n)
        view = [1] * len(shape)
        view[dim] = n
        ramp_in = ramp_in * phase.reshape(view)
        ramp_out = ramp_out * (phase * cmath.exp(sign * 2j * math.pi * (h * h % n) / n)).reshape(view)
    if all(shape[d] % 2 == 0 for d in dims):  # signs: drop the rounding of exp
        ramp_in, ramp_out = ramp_in.real.round(), ramp_out.real.round()
    return ramp_in.to(dtype), ramp_out.to(dtype)


__all__ = ["FFT", "NORMS", "centered_ramps"]
