"""1-D viscous Burgers on the periodic unit interval: u_t + (u²/2)_x = ν u_xx, x ∈ [0, 1).

Fourier pseudo-spectral in space (n points j/n, rfft; the Nyquist mode's derivative is zero), ETDRK4 in
time (Cox & Matthews 2002, with the φ-functions by Kassam & Trefethen's contour integral, 2005): the
stiff linear part L = −ν(2πk)² is integrated exactly, the nonlinear part N(û) = −iπk·rfft(u²) to fourth
order, so dt is set by accuracy rather than by the diffusive limit. Unlike FNO's chebfun ``spin`` script
this is torch, batched over samples, on CPU or CUDA; no dealiasing (at ν = 0.1 the solution's spectrum
reaches round-off well below the grid's Nyquist mode).

>>> solver = Burgers1d(256, visc=0.1, dt=1e-3)
>>> x = torch.arange(256, dtype=torch.float64) / 256
>>> frames, t = solver.solve(torch.sin(2 * torch.pi * x)[None], T=0.5, record_every=0.5)
>>> frames.shape
torch.Size([1, 1, 256])
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from ..errors import MonarchError
from .resample import downsample_periodic


def _etdrk4_coefficients(hL: torch.Tensor, contour_points: int = 64) -> dict[str, torch.Tensor]:
    """E = e^{hL}, E2 = e^{hL/2} and Kassam–Trefethen's Q, f1, f2, f3 (divided by h) for real hL ≤ 0."""
    r = torch.exp(1j * math.pi * (torch.arange(1, contour_points + 1, dtype=torch.float64) - 0.5) / contour_points)
    LR = hL.to(torch.complex128)[:, None] + r[None, :]
    mean = lambda z: z.mean(dim=-1).real  # noqa: E731
    return {
        "E": torch.exp(hL),
        "E2": torch.exp(hL / 2),
        "Q": mean((torch.exp(LR / 2) - 1) / LR),
        "f1": mean((-4 - LR + torch.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3),
        "f2": mean((2 + LR + torch.exp(LR) * (LR - 2)) / LR**3),
        "f3": mean((-4 - 3 * LR - LR**2 + torch.exp(LR) * (4 - LR)) / LR**3),
    }


class Burgers1d:
    """Batched spectral ETDRK4 Burgers solver; state û (B, n//2 + 1) complex on ``device``."""

    def __init__(
        self,
        n: int,
        visc: float = 0.1,
        dt: float = 1e-4,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float64,
    ):
        if n < 4 or n % 2:
            raise MonarchError(f"Burgers grid must be even and >= 4, got {n}")
        if visc < 0 or dt <= 0:
            raise MonarchError(f"Burgers needs visc >= 0 and dt > 0, got visc={visc}, dt={dt}")
        if dtype not in (torch.float32, torch.float64):
            raise MonarchError(f"Burgers dtype must be float32 or float64, got {dtype}")
        self.n, self.visc, self.dt, self.dtype = n, float(visc), float(dt), dtype
        self.device = torch.device(device)
        k = torch.fft.rfftfreq(n, 1.0 / n, dtype=torch.float64)
        cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        coeff = _etdrk4_coefficients(dt * (-visc * (2 * math.pi * k) ** 2))
        self.E, self.E2 = (coeff[key].to(self.device, dtype) for key in ("E", "E2"))
        self.Q, self.f1, self.f2, self.f3 = (dt * coeff[key].to(self.device, dtype) for key in ("Q", "f1", "f2", "f3"))
        self.g = (-1j * math.pi * torch.where(k == n // 2, 0.0, k)).to(self.device, cdtype)  # N = g · rfft(u²)

    def nonlinear(self, u_hat: torch.Tensor) -> torch.Tensor:
        """N(û) = −(u²/2)_x in Fourier space, (B, n//2 + 1)."""
        u = torch.fft.irfft(u_hat, n=self.n)
        return self.g * torch.fft.rfft(u * u)

    def step(self, v: torch.Tensor, steps: int = 1) -> torch.Tensor:
        """Advance û (B, n//2 + 1) by ``steps`` ETDRK4 steps of dt."""
        for _ in range(steps):
            Nv = self.nonlinear(v)
            a = self.E2 * v + self.Q * Nv
            Na = self.nonlinear(a)
            b = self.E2 * v + self.Q * Na
            Nb = self.nonlinear(b)
            c = self.E2 * a + self.Q * (2 * Nb - Nv)
            Nc = self.nonlinear(c)
            v = self.E * v + Nv * self.f1 + 2 * (Na + Nb) * self.f2 + Nc * self.f3
        return v

    def solve(
        self,
        u0: torch.Tensor,
        T: float,
        record_every: float | None = None,
        output_grid: int | None = None,
        downsample: str = "subsample",
        callback: Callable[[int, int], None] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Integrate u0 (B, n) to T; frames (B, R, s) at t (R,) = record_every · (1, …, R) (default: only T)."""
        if u0.ndim != 2 or u0.shape[-1] != self.n:
            raise MonarchError(f"Burgers initial condition must have shape (B, {self.n}), got {tuple(u0.shape)}")
        record_every = T if record_every is None else record_every
        steps_per_record = round(record_every / self.dt)
        n_records = round(T / record_every)
        if steps_per_record < 1 or abs(steps_per_record * self.dt - record_every) > 1e-9 * record_every:
            raise MonarchError(f"record_every={record_every} must be a whole number of steps dt={self.dt}")
        if n_records < 1 or abs(n_records * record_every - T) > 1e-9 * T:
            raise MonarchError(f"T={T} must be a whole number of record intervals record_every={record_every}")
        s = output_grid or self.n
        v = torch.fft.rfft(u0.to(self.device, self.dtype))
        frames = torch.empty(u0.shape[0], n_records, s, dtype=self.dtype, device=self.device)
        for r in range(n_records):
            v = self.step(v, steps_per_record)
            frames[:, r] = downsample_periodic(torch.fft.irfft(v, n=self.n), s, method=downsample, ndim=1)
            if callback is not None:
                callback(r + 1, n_records)
        return frames, record_every * torch.arange(1, n_records + 1, dtype=torch.float64)
