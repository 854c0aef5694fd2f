"""Gaussian random fields on [0, 1]^d: the one sampler behind every PDE initial condition and coefficient.

A mean-zero field with covariance C = σ² (−Δ + τ² I)^{−α}, drawn by its Karhunen–Loève expansion:

  periodic (unit torus, FNO's Navier–Stokes and Burgers data), on the grid x_j = j / s:
      u(x) = Σ_k σ λ_k^{−α/2} ξ_k e^{2πi k·x},  λ_k = 4π²|k|² + τ²,  k ∈ {−s/2, …, s/2 − 1}^d
  neumann (cosine modes, FNO's Darcy coefficient, MATLAB ``GRF.m``), on cell centres x_j = (j + ½) / s:
      u(x) = Σ_k σ λ_k^{−α/2} ξ_k φ_k(x),  λ_k = π²|k|² + τ²,  φ_k = Π_i √(2 − δ_{k_i 0}) cos(π k_i x_i)

with the k = 0 mode removed (zero mean) and ξ standard normal (Hermitian for the periodic case). σ
defaults to τ^{α − d/2}, the default of FNO's ``GaussianRF``. Note that FNO's periodic sampler takes the
real part of a non-Hermitian sum, which doubles the covariance: its samples are this field with
σ = √2 τ^{α − d/2} (the Navier–Stokes recipes say so). The noise is drawn as FNO does (``randn(..., 2)``
viewed as complex, or ``randn`` for the cosine case) so a transcription of its sampler fed the same
generator gives the same fields.

>>> grf = GaussianRandomField((64, 64), alpha=2.5, tau=7.0)
>>> grf.sample(3, generator=torch.Generator().manual_seed(0)).shape
torch.Size([3, 64, 64])
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ..errors import MonarchError

BOUNDARIES = ("periodic", "neumann")


class GaussianRandomField:
    """Sampler of N(0, σ²(−Δ + τ²I)^{−α}) on a grid of ``shape`` (1-D or 2-D, any sizes)."""

    def __init__(
        self,
        shape: int | Sequence[int],
        alpha: float,
        tau: float,
        sigma: float | None = None,
        boundary: str = "periodic",
        dtype: torch.dtype = torch.float64,
    ):
        shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
        if len(shape) not in (1, 2) or min(shape) < 2:
            raise MonarchError(f"GaussianRandomField shape must be 1-D or 2-D with sizes >= 2, got {shape}")
        if boundary not in BOUNDARIES:
            raise MonarchError(f"unknown GRF boundary {boundary!r}; valid: {', '.join(BOUNDARIES)}")
        if alpha <= len(shape) / 2:
            raise MonarchError(f"GRF alpha must exceed d/2 = {len(shape) / 2} for a finite variance, got {alpha}")
        self.shape, self.alpha, self.tau, self.boundary, self.dtype = shape, float(alpha), float(tau), boundary, dtype
        self.sigma = float(tau ** (alpha - len(shape) / 2) if sigma is None else sigma)
        self.sqrt_eig = self._sqrt_eigenvalues()

    def _sqrt_eigenvalues(self) -> torch.Tensor:
        """σ λ_k^{−α/2} times the transform's scale, zero at k = 0; shape ``self.shape``."""
        if self.boundary == "periodic":
            freqs = [torch.fft.fftfreq(s, 1.0 / s, dtype=torch.float64) for s in self.shape]
            factor = 4 * math.pi**2
        else:
            freqs = [torch.arange(s, dtype=torch.float64) for s in self.shape]
            factor = math.pi**2
        grids = torch.meshgrid(*freqs, indexing="ij")
        lam = factor * sum(k**2 for k in grids) + self.tau**2
        out = self.sigma * lam ** (-self.alpha / 2)
        out[(0,) * len(self.shape)] = 0.0
        if self.boundary == "periodic":  # ifftn divides by prod(shape)
            out = out * math.prod(self.shape)
        else:  # idct (orthonormal) times sqrt(prod(shape)) gives the L2-normalized cosines
            out = out * math.sqrt(math.prod(self.shape))
        return out

    def sample(
        self, n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """n independent fields, shape (n, *shape), ``self.dtype``; noise drawn on the generator's device."""
        gen_device = generator.device if generator is not None else torch.device("cpu")
        if self.boundary == "periodic":
            noise = torch.randn(n, *self.shape, 2, generator=generator, dtype=torch.float64, device=gen_device)
            coeff = torch.view_as_complex(noise) * self.sqrt_eig.to(gen_device)
            field = torch.fft.ifftn(coeff, dim=tuple(range(1, len(self.shape) + 1))).real
        else:
            noise = torch.randn(n, *self.shape, generator=generator, dtype=torch.float64, device=gen_device)
            field = noise * self.sqrt_eig.to(gen_device)
            for dim in range(1, len(self.shape) + 1):
                field = idct_ortho(field, dim)
        return field.to(device=device or gen_device, dtype=self.dtype)

    def covariance_diagonal(self) -> float:
        """The pointwise variance Σ_k σ² λ_k^{−α} of the sampled grid field (same at every periodic point)."""
        if self.boundary != "periodic":
            raise MonarchError("covariance_diagonal is only defined for the periodic field (stationary)")
        return float((self.sqrt_eig / math.prod(self.shape)).pow(2).sum())


def idct_ortho(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Orthonormal inverse DCT-II (= DCT-III, scipy ``idct(norm="ortho")``, MATLAB ``idct``) along ``dim``.

    x_j = Σ_k w_k X_k cos(πk(2j + 1) / (2n)), w_0 = √(1/n), w_k = √(2/n); one FFT of length 2n.
    """
    n = x.shape[dim]
    x = x.movedim(dim, -1)
    k = torch.arange(n, dtype=torch.float64, device=x.device)
    w = torch.full((n,), math.sqrt(2.0 / n), dtype=torch.float64, device=x.device)
    w[0] = math.sqrt(1.0 / n)
    twiddle = w * torch.exp(1j * math.pi * k / (2 * n))
    y = torch.fft.ifft(x.to(torch.complex128) * twiddle, n=2 * n, dim=-1)[..., :n].real * (2 * n)
    return y.to(x.dtype).movedim(-1, dim)
