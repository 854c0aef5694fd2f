"""The (centered) discrete Fourier transform over some trailing dims, numpy's norm conventions."""

from __future__ import annotations

from typing import Sequence

import torch

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
    convention of fastMRI, sigpy and deepinv (zero frequency at index n // 2).

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
        if self.centered:
            x = torch.fft.ifftshift(x, dim=self.dims)
        transform = torch.fft.ifftn if self.inverse else torch.fft.fftn
        y = transform(x, dim=self.dims, norm=self.norm)
        if self.centered:
            y = torch.fft.fftshift(y, dim=self.dims)
        return y

    @property
    def H(self) -> "FFT":
        # (S2 F S1)^H = S1^-1 F^H S2^-1 with S1 = ifftshift, S2 = fftshift: the same shift pattern.
        return FFT(self.ishape, self.dims, _ADJOINT_NORM[self.norm], self.centered, not self.inverse)


__all__ = ["FFT", "NORMS"]
