"""Diagnostics of 2-D periodic vorticity fields: shell-summed energy spectrum, energy and enstrophy.

For w on the n × n grid of the unit torus with Fourier coefficients ŵ_k = rfft2(w)_k / n²:

    E(κ) = ½ Σ_{κ − ½ ≤ |k| < κ + ½} |ŵ_k|² / (4π²|k|²)       (velocity spectrum; Σ_κ E(κ) = ½⟨|u|²⟩)
    energy = ½⟨|u|²⟩,   enstrophy Z = ½⟨w²⟩                   (⟨·⟩ the mean over the torus)

>>> x = torch.arange(32, dtype=torch.float64) / 32
>>> w = torch.cos(2 * torch.pi * 3 * x)[:, None].expand(32, 32)       # one mode, |k| = 3
>>> k, E = energy_spectrum(w)
>>> int(E.argmax()), round(float(E.sum() / energy(w)), 12)
(3, 1.0)
"""

from __future__ import annotations

import math

import torch


def _power(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """|ŵ_k|² on the full spectrum via rfft2 (columns 1..n/2−1 counted twice) and |k| (n, n//2+1)."""
    n = w.shape[-1]
    w_hat = torch.fft.rfft2(w.to(torch.float64)) / n**2
    power = w_hat.abs() ** 2
    weight = torch.full((n // 2 + 1,), 2.0, dtype=torch.float64)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    kx = torch.fft.fftfreq(n, 1.0 / n, dtype=torch.float64)[:, None]
    ky = torch.fft.rfftfreq(n, 1.0 / n, dtype=torch.float64)[None, :]
    return power * weight, torch.sqrt(kx**2 + ky**2)


def energy_spectrum(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Shells κ = 0..⌊n/√2⌉ and E(κ) (..., K) of vorticity w (..., n, n)."""
    power, kabs = _power(w)
    k2 = (4 * math.pi**2) * kabs**2
    k2[0, 0] = math.inf
    density = 0.5 * power / k2
    shells = torch.round(kabs).long()
    K = int(shells.max()) + 1
    E = torch.zeros(*density.shape[:-2], K, dtype=torch.float64)
    E.index_add_(-1, shells.flatten(), density.flatten(-2))
    return torch.arange(K), E


def energy(w: torch.Tensor) -> torch.Tensor:
    """½⟨|u|²⟩ of the velocity induced by vorticity w (..., n, n)."""
    return energy_spectrum(w)[1].sum(-1)


def enstrophy(w: torch.Tensor) -> torch.Tensor:
    """½⟨w²⟩ of vorticity w (..., n, n)."""
    return 0.5 * (w.to(torch.float64) ** 2).mean(dim=(-2, -1))
