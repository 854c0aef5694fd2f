"""2-D incompressible Navier–Stokes in vorticity form on the unit torus: the FNO paper's data generator.

    ∂t w + u·∇w = ν Δw + f,   u = (∂y ψ, −∂x ψ),   −Δψ = w,   x ∈ [0, 1)², periodic

Pseudo-spectral on an n × n grid (x along dim −2, y along dim −1, points j / n). One step of size dt,
with λ = 4π²|k|² and ŵ on the rfft2 half spectrum:

    ψ̂ = ŵ / λ;  û = i2πk_y ψ̂,  v̂ = −i2πk_x ψ̂,  ŵ_x = i2πk_x ŵ,  ŵ_y = i2πk_y ŵ   (4 inverse FFTs)
    N̂ = D · rfft2(u w_x + v w_y)                      (1 forward FFT, D the 2/3-rule mask |k_i| ≤ n/3)
    ŵ ← [(1 − ½ dt ν λ) ŵ − dt N̂ + dt f̂] / (1 + ½ dt ν λ)        (Crank–Nicolson / forward Euler)

Crank–Nicolson on the viscous term, forward Euler on advection and forcing (``scheme="euler"``): the
scheme of FNO's ``ns_2d.py``, first order in dt through the explicit advection, which acts like an
extra viscosity −½ dt |u|² (REFERENCE.md §2 lists measured dt and grid sensitivities).
``scheme="heun"`` is an option, never a silent change: the same Crank–Nicolson linear part with Heun's
predictor–corrector on the explicit terms (N̂ replaced by ½(N̂(ŵ) + N̂(ŵ*)), ŵ* the Euler step), second
order in dt at two nonlinear evaluations per step, which lets the small CPU recipes take large steps.

Implementation notes. The update is applied in increment form, ŵ + [(decay − 1) ŵ − c N̂ + c f̂] with
decay − 1 = −dtνλ/(1 + ½dtνλ) precomputed in float64: in float32 the factor decay ≈ 1 − 4e-6 (dt = 1e-4,
low modes) is itself representable only to about 1.5 %, which biases the slow modes' viscous decay (FNO's
float32 generator has that bias). Odd-derivative multipliers are zero on the Nyquist row/column (FNO's
full-spectrum code gives that mode the wavenumber −n/2; the difference is far below the discretization
error). The step is batched over samples, with no Python loop per sample; its pointwise work is one
broadcast multiply building the 4 spectra (with the inverse FFT's 1/n², so the FFTs run unnormalized),
the product and the update, in reused buffers (details in ``_nonlinear_into``). On CUDA (``impl="auto"``
or ``"triton"``) the pointwise work is two Triton kernels instead (``kernels.navier_stokes``): one pass
updates ŵ and writes the next evaluation's u + iv and w_x + iw_y on the full spectrum, so two complex
inverse FFTs replace four C2R ones (which torch runs on a copy of their input); one forms the product.
``compile=True`` hands the plain functional step to ``torch.compile`` instead.

>>> solver = NavierStokes2d(64, visc=1e-3, dt=1e-3, forcing=fno_forcing(64))
>>> w0 = torch.zeros(2, 64, 64, dtype=torch.float64)
>>> frames, t = solver.solve(w0, T=0.01, record_every=0.005)
>>> frames.shape, t.tolist()
(torch.Size([2, 2, 64, 64]), [0.005, 0.01])
"""

from __future__ import annotations

import math
import os
from typing import Callable

import torch

from ..errors import MonarchError, check_choice
from ..kernels import triton_available
from .resample import downsample_periodic

SCHEMES = ("euler", "heun")
IMPLS = ("auto", "torch", "triton")


def fno_forcing(n: int, amplitude: float = 0.1, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """f(x, y) = amplitude · (sin 2π(x + y) + cos 2π(x + y)) on the n × n grid (x, y) = (i, j) / n."""
    x = torch.arange(n, dtype=torch.float64) / n
    s = x[:, None] + x[None, :]
    return (amplitude * (torch.sin(2 * math.pi * s) + torch.cos(2 * math.pi * s))).to(dtype)


class NavierStokes2d:
    """Batched pseudo-spectral vorticity solver; state ŵ (B, n, n//2 + 1) complex on ``device``."""

    def __init__(
        self,
        n: int,
        visc: float,
        dt: float,
        forcing: torch.Tensor | None = None,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float64,
        scheme: str = "euler",
        compile: bool = False,
        impl: str = "auto",
    ):
        if n < 4 or n % 2:
            raise MonarchError(f"Navier–Stokes solver grid must be even and >= 4, got {n}")
        if visc < 0 or dt <= 0:
            raise MonarchError(f"Navier–Stokes needs visc >= 0 and dt > 0, got visc={visc}, dt={dt}")
        if dtype not in (torch.float32, torch.float64):
            raise MonarchError(f"Navier–Stokes dtype must be float32 or float64, got {dtype}")
        if scheme not in SCHEMES:
            raise MonarchError(f"unknown Navier–Stokes scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
        check_choice("Navier–Stokes impl", impl, IMPLS)
        interpreted = os.environ.get("TRITON_INTERPRET") == "1"  # Triton's interpreter runs kernels on the CPU
        if impl == "triton" and not ((torch.device(device).type == "cuda" or interpreted) and triton_available()):
            raise MonarchError(f"Navier–Stokes impl='triton' needs a CUDA device and Triton, got device={device}")
        if impl == "triton" and compile:
            raise MonarchError("Navier–Stokes: compile=True compiles the torch step; it excludes impl='triton'")
        if forcing is not None and tuple(forcing.shape) != (n, n):
            raise MonarchError(f"forcing must have shape ({n}, {n}) like the solver grid, got {tuple(forcing.shape)}")
        self.n, self.visc, self.dt, self.dtype, self.scheme = n, float(visc), float(dt), dtype, scheme
        self.device = torch.device(device)
        cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        kx = torch.fft.fftfreq(n, 1.0 / n, dtype=torch.float64)[:, None]  # (n, 1), along x = dim -2
        ky = torch.fft.rfftfreq(n, 1.0 / n, dtype=torch.float64)[None, :]  # (1, n//2+1), along y = dim -1
        lam = 4 * math.pi**2 * (kx**2 + ky**2)
        lam[0, 0] = 1.0  # ψ̂_0 = ŵ_0 = 0 anyway
        dx = 2j * math.pi * torch.where(kx.abs() == n // 2, 0.0, kx)
        dy = 2j * math.pi * torch.where(ky.abs() == n // 2, 0.0, ky)
        # û, v̂, ŵ_x, ŵ_y = multipliers · ŵ, stacked on a new dim -3; the inverse FFT's 1/n² folded in
        # (the inverse FFTs run unnormalized: torch's normalization is one more pass over 4 fields)
        multipliers = torch.stack(torch.broadcast_tensors(dy / lam, -dx / lam, dx, dy)) / n**2
        self.multipliers = multipliers.to(self.device, cdtype)
        dealias = ((kx.abs() <= 2 * (n // 2) / 3) & (ky.abs() <= 2 * (n // 2) / 3)).double()
        lam[0, 0] = 0.0
        half = 0.5 * dt * visc * lam
        # increment form ŵ ← ŵ + [(decay − 1) ŵ − …]: in float32, decay = 1 − O(dt ν λ) itself would round
        # the slow modes' viscous decay by up to a few per cent per step at dt = 1e-4
        self.damping = (-2 * half / (1 + half)).to(self.device, cdtype)
        self.nonlinear = (dt * dealias / (1 + half)).to(self.device, cdtype)
        if forcing is None:
            self.source = None
        else:
            f_hat = torch.fft.rfft2(forcing.to(torch.float64))
            f_hat[0, 0] = 0.0  # the forcing has zero mean; keep the vorticity mean exactly zero
            self.source = (dt * f_hat / (1 + half)).to(self.device, cdtype)
        self._buffers: dict[str, torch.Tensor] = {}
        self._buffers_batch = -1
        if impl == "auto":
            impl = "triton" if self.device.type == "cuda" and not compile and triton_available() else "torch"
        self.impl = impl
        if impl == "triton":
            self._packed = self._full_spectrum_multipliers(kx[:, 0], n).to(self.device, cdtype)
            self._real_damping, self._real_nonlinear = self.damping.real.contiguous(), self.nonlinear.real.contiguous()
        else:
            self._step = torch.compile(self._step_reference, dynamic=False) if compile else self._step_buffered

    @staticmethod
    def _full_spectrum_multipliers(k: torch.Tensor, n: int) -> torch.Tensor:
        """(2, n, n) complex128: ẑ₀ = (û + i v̂) / ŵ and ẑ₁ = (ŵ_x + i ŵ_y) / ŵ on the full fft2 grid, with
        the inverse FFT's 1/n² and the Nyquist zeros of the half-spectrum multipliers; k = fftfreq (n,)."""
        kx, ky = k[:, None], k[None, :]
        lam = 4 * math.pi**2 * (kx**2 + ky**2)
        lam[0, 0] = 1.0
        gx = 2 * math.pi * torch.where(kx.abs() == n // 2, 0.0, kx)
        gy = 2 * math.pi * torch.where(ky.abs() == n // 2, 0.0, ky)
        # û = i g_y ψ̂, v̂ = −i g_x ψ̂ (ψ̂ = ŵ/λ): û + i v̂ = (g_x + i g_y) ŵ/λ;  ŵ_x + i ŵ_y = (−g_y + i g_x) ŵ
        return torch.stack(torch.broadcast_tensors(torch.complex(gx, gy) / lam, torch.complex(-gy, gx))) / n**2

    def nonlinear_term(self, w_hat: torch.Tensor) -> torch.Tensor:
        """rfft2(u·∇w) (B, n, n//2 + 1), not yet dealiased; 4 inverse FFTs and 1 forward FFT."""
        n = self.n
        fields = torch.fft.irfft2(w_hat.unsqueeze(-3) * self.multipliers, s=(n, n), norm="forward")  # (B, 4, n, n)
        return torch.fft.rfft2(torch.addcmul(fields[:, 0] * fields[:, 2], fields[:, 1], fields[:, 3]))

    def _step_reference(self, w_hat: torch.Tensor) -> torch.Tensor:
        """One step, plainly written (functional; the path ``torch.compile`` gets, and the tests' reference)."""
        increment = w_hat * self.damping if self.source is None else torch.addcmul(self.source, w_hat, self.damping)
        n_hat = self.nonlinear_term(w_hat)
        if self.scheme == "heun":
            predicted = w_hat + torch.addcmul(increment, n_hat, self.nonlinear, value=-1)
            n_hat = 0.5 * (n_hat + self.nonlinear_term(predicted))
        return w_hat + torch.addcmul(increment, n_hat, self.nonlinear, value=-1)

    def _workspace(self, batch: int) -> dict[str, torch.Tensor]:
        """Reused intermediates for a batch size (no allocation per step; on CPU each large allocation
        otherwise costs fresh zeroed pages, which took more time than the FFTs)."""
        if self._buffers_batch != batch:
            n, m = self.n, self.n // 2 + 1
            c = self.multipliers.dtype
            new = lambda *shape, dtype=c: torch.empty(*shape, dtype=dtype, device=self.device)  # noqa: E731
            self._buffers_batch = batch
            self._buffers = {
                "spectra": new(batch, 4, n, m),
                "product": new(batch, n, n, dtype=self.dtype),
                "base": new(batch, n, m),
                "predicted": new(batch, n, m),
            }
            if self.device.type == "cpu":
                self._buffers |= {
                    "half": new(batch, 4, n, m),
                    "fields": new(batch, 4, n, n, dtype=self.dtype),
                    "n_hat": new(batch, n, m),
                    "n_hat2": new(batch, n, m),
                }
        return self._buffers

    def _nonlinear_into(self, w_hat: torch.Tensor, ws: dict, out: str) -> torch.Tensor:
        """``nonlinear_term`` with reused buffers. On the CPU every FFT writes into a buffer (its own
        allocation costs fresh zeroed pages) and the inverse is ifft over x then irfft over y (irfft2
        allocates internally); on CUDA the FFTs allocate from the caching allocator, since their ``out=``
        is a copy after the transform (a pass over 4 fields)."""
        spectra = torch.mul(w_hat.unsqueeze(-3), self.multipliers, out=ws["spectra"])
        if self.device.type == "cpu":
            half = torch.fft.ifft(spectra, dim=-2, norm="forward", out=ws["half"])
            fields = torch.fft.irfft(half, n=self.n, dim=-1, norm="forward", out=ws["fields"])
        else:
            fields = torch.fft.irfft2(spectra, s=(self.n, self.n), norm="forward")
        product = torch.mul(fields[:, 0], fields[:, 2], out=ws["product"]).addcmul_(fields[:, 1], fields[:, 3])
        return torch.fft.rfft2(product, out=ws[out]) if self.device.type == "cpu" else torch.fft.rfft2(product)

    def _step_buffered(self, w_hat: torch.Tensor) -> torch.Tensor:
        """The same step as ``_step_reference`` with every intermediate in a reused buffer."""
        ws = self._workspace(w_hat.shape[0])
        if self.source is None:
            increment = torch.mul(w_hat, self.damping, out=ws["base"])
        else:
            increment = torch.addcmul(self.source, w_hat, self.damping, out=ws["base"])
        n_hat = self._nonlinear_into(w_hat, ws, "n_hat")
        if self.scheme == "heun":
            predicted = torch.addcmul(increment, n_hat, self.nonlinear, value=-1, out=ws["predicted"]).add_(w_hat)
            n_hat.add_(self._nonlinear_into(predicted, ws, "n_hat2")).mul_(0.5)
        change = torch.addcmul(increment, n_hat, self.nonlinear, value=-1, out=ws["predicted"])
        return w_hat + change  # a fresh tensor: callers may keep states

    def _steps_triton(self, w_hat: torch.Tensor, steps: int) -> torch.Tensor:
        """``steps`` steps of ``_step_reference`` with the pointwise work in the Triton kernels (CUDA): each
        update also packs the next evaluation's spectra, so ŵ is read once per evaluation."""
        from ..kernels import navier_stokes as kernels

        tables = {"damping": self._real_damping, "nonlinear": self._real_nonlinear, "source": self.source}

        def nonlinear(packed: torch.Tensor) -> torch.Tensor:  # N̂ from the packed spectra Ẑ (B, 2, n, n)
            return torch.fft.rfft2(kernels.advection(torch.fft.ifft2(packed, norm="forward")))

        w_hat, packed = kernels.spectral_pass(w_hat, self._packed)
        for step in range(steps):
            n_hat, n_hat2 = nonlinear(packed), None
            if self.scheme == "heun":
                _, predicted = kernels.spectral_pass(w_hat, self._packed, n_hat, **tables, store=False)
                n_hat2 = nonlinear(predicted)
            w_hat, packed = kernels.spectral_pass(
                w_hat, self._packed, n_hat, **tables, n_hat2=n_hat2, pack=step < steps - 1
            )
        return w_hat

    def step(self, w_hat: torch.Tensor, steps: int = 1) -> torch.Tensor:
        """Advance ŵ (B, n, n//2 + 1) by ``steps`` steps of dt."""
        if self.impl == "triton":
            return self._steps_triton(w_hat, steps) if steps > 0 else w_hat
        for _ in range(steps):
            w_hat = self._step(w_hat)
        return w_hat

    def to_spectral(self, w: torch.Tensor) -> torch.Tensor:
        """w (B, n, n) real → ŵ (B, n, n//2 + 1) on the solver's device and precision."""
        if w.ndim != 3 or tuple(w.shape[-2:]) != (self.n, self.n):
            raise MonarchError(f"vorticity must have shape (B, {self.n}, {self.n}), got {tuple(w.shape)}")
        return torch.fft.rfft2(w.to(self.device, self.dtype))

    def solve(
        self,
        w0: torch.Tensor,
        T: float,
        record_every: float = 1.0,
        output_grid: int | None = None,
        downsample: str = "subsample",
        callback: Callable[[int, int], None] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Integrate w0 (B, n, n) to time T, recording every ``record_every`` time units.

        Returns frames (B, R, s, s) at times t (R,) = record_every · (1, …, R), R = round(T / record_every),
        s = ``output_grid`` (default n) reached by ``downsample`` ("subsample" or "spectral", see
        :func:`downsample_periodic`). ``callback(r, R)`` runs after each record (progress bars).
        """
        steps_per_record = round(record_every / self.dt)
        n_records = round(T / record_every)
        if steps_per_record < 1 or abs(steps_per_record * self.dt - record_every) > 1e-9 * record_every:
            raise MonarchError(f"record_every={record_every} must be a whole number of steps dt={self.dt}")
        if n_records < 1 or abs(n_records * record_every - T) > 1e-9 * T:
            raise MonarchError(f"T={T} must be a whole number of record intervals record_every={record_every}")
        s = output_grid or self.n
        w_hat = self.to_spectral(w0)
        frames = torch.empty(w0.shape[0], n_records, s, s, dtype=self.dtype, device=self.device)
        for r in range(n_records):
            w_hat = self.step(w_hat, steps_per_record)
            w = torch.fft.irfft2(w_hat, s=(self.n, self.n))
            frames[:, r] = downsample_periodic(w, s, method=downsample)
            if callback is not None:
                callback(r + 1, n_records)
        times = record_every * torch.arange(1, n_records + 1, dtype=torch.float64)
        return frames, times
