"""Triton kernels for the Navier–Stokes solver step (``pde.navier_stokes``, ``impl="triton"``).

The step's pointwise work in two passes around cuFFT, each reading and writing every field once:

    spectral_pass  ŵ, N̂ (, N̂₂) (B, n, n/2+1)  →  ŵ' and Ẑ (B, 2, n, n)
                       ŵ' = ŵ + (ŝ + d ŵ − c N̂) per mode (Heun: N̂ = ½(N̂ + N̂₂)), then the packed
                       spectra of the next evaluation, Ẑ₀ = a₀ ŵ', Ẑ₁ = a₁ ŵ' on the full spectrum
                       (ŵ'(−k) = conj ŵ'(k) filling the half rfft2 leaves out); either part optional
    (torch.fft.ifft2, unnormalized)
                       Z = (u + i v, w_x + i w_y): two complex inverse FFTs give the four real fields,
                       and a C2C transform keeps its input (torch copies every C2R input first, since
                       cuFFT overwrites it)
    advection      Z  →  N (B, n, n) = Re Z₀ Re Z₁ + Im Z₀ Im Z₁ = u w_x + v w_y
    (torch.fft.rfft2)  N̂ (B, n, n/2+1)

Complex tensors arrive as real views (..., 2); the per-mode tables a, d, c, ŝ (batch-independent,
cache-resident) come from the solver. Float32 and float64. Imported only by the solver when it runs
on CUDA with ``impl="triton"`` (or "auto"), and by the tests under Triton's interpreter.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

# modes per program and warps: an H200 sweep at 256², batch 1200 gave 0.60–0.65 ms a pass (≈ 3.6 TB/s)
# for 128–2048 modes and 2–8 warps alike
BLOCK, WARPS = 1024, 2


@triton.jit
def _spectral_kernel(w_ptr, n1_ptr, n2_ptr, d_ptr, c_ptr, s_ptr, a_ptr, w_out_ptr, z_ptr, n, m, blocks,
                     UPDATE: tl.constexpr, HAS_SECOND: tl.constexpr, HAS_SOURCE: tl.constexpr,
                     STORE: tl.constexpr, PACK: tl.constexpr, BLOCK: tl.constexpr):
    """Program (sample b, block of BLOCK modes k = (i, j) of the half spectrum; ``blocks`` per sample):
    optionally update ŵ[b, k] and store it, optionally pack it: Ẑ[b, f, i, j] = a[f, i, j] ŵ[b, i, j],
    and for 0 < j < n/2 also the mirrored mode Ẑ[b, f, −i, n − j] = a[f, −i, n − j] conj ŵ[b, i, j]
    (every Ẑ entry once). Tiles are (mode, re/im)."""
    b = (tl.program_id(0) // blocks).to(tl.int64)
    k = (tl.program_id(0) % blocks) * BLOCK + tl.arange(0, BLOCK)[:, None]
    pair = tl.arange(0, 2)[None, :]
    ok = (k < n * m) & (pair < 2)
    i, j = k // m, k % m
    at = (b * n * m + k) * 2 + pair
    w = tl.load(w_ptr + at, mask=ok)
    if UPDATE:
        d = tl.load(d_ptr + k, mask=k < n * m)
        c = tl.load(c_ptr + k, mask=k < n * m)
        nl = tl.load(n1_ptr + at, mask=ok)
        if HAS_SECOND:
            nl = 0.5 * (nl + tl.load(n2_ptr + at, mask=ok))
        increment = d * w
        if HAS_SOURCE:
            increment = tl.load(s_ptr + k * 2 + pair, mask=ok) + increment
        w = w + (increment - c * nl)
        if STORE:
            tl.store(w_out_ptr + at, w, mask=ok)
    if PACK:
        wr, wi = tl.split(w)
        direct = (i * n + j) * 2 + pair
        a0r, a0i = tl.split(tl.load(a_ptr + direct, mask=ok))
        a1r, a1i = tl.split(tl.load(a_ptr + 2 * n * n + direct, mask=ok))
        z = z_ptr + b * 4 * n * n
        tl.store(z + direct, tl.join(a0r * wr - a0i * wi, a0r * wi + a0i * wr), mask=ok)
        tl.store(z + 2 * n * n + direct, tl.join(a1r * wr - a1i * wi, a1r * wi + a1i * wr), mask=ok)
        mirror = ok & (j > 0) & (2 * j < n)
        mirrored = (((n - i) % n) * n + n - j) * 2 + pair
        m0r, m0i = tl.split(tl.load(a_ptr + mirrored, mask=mirror))
        m1r, m1i = tl.split(tl.load(a_ptr + 2 * n * n + mirrored, mask=mirror))
        tl.store(z + mirrored, tl.join(m0r * wr + m0i * wi, m0i * wr - m0r * wi), mask=mirror)
        tl.store(z + 2 * n * n + mirrored, tl.join(m1r * wr + m1i * wi, m1i * wr - m1r * wi), mask=mirror)


@triton.jit
def _advection_kernel(z_ptr, out_ptr, total, nn, BLOCK: tl.constexpr):
    """out[b, p] = Re Z₀ Re Z₁ + Im Z₀ Im Z₁ at point p = e mod n², b = e div n²."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    ok = e < total
    b, p = e // nn, e % nn
    pair = tl.arange(0, 2)
    first = (b * 2 * nn + p)[:, None] * 2 + pair[None, :]
    ok2 = ok[:, None] & (pair[None, :] < 2)
    z0r, z0i = tl.split(tl.load(z_ptr + first, mask=ok2))
    z1r, z1i = tl.split(tl.load(z_ptr + first + 2 * nn, mask=ok2))
    tl.store(out_ptr + e, z0r * z1r + z0i * z1i, mask=ok)


def spectral_pass(w_hat: torch.Tensor, packing: torch.Tensor, n_hat: torch.Tensor | None = None,
                  damping: torch.Tensor | None = None, nonlinear: torch.Tensor | None = None,
                  source: torch.Tensor | None = None, n_hat2: torch.Tensor | None = None,
                  store: bool = True, pack: bool = True) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """One pass over the half spectrum: (ŵ', Ẑ).

    With ``n_hat`` the update ŵ' = ŵ + (ŝ + d ŵ − c N̂), N̂ = ``n_hat`` or ½(``n_hat`` + ``n_hat2``)
    (d, c (n, n/2+1) real, ŝ complex or None), returned when ``store``; without it ŵ' = ŵ. With ``pack``
    Ẑ (B, 2, n, n) = ``packing`` (2, n, n) · ŵ' on the full spectrum. ŵ, N̂ (B, n, n/2+1) complex.
    """
    w_hat = w_hat.contiguous()
    B, n, m = w_hat.shape
    update = n_hat is not None
    w_out = torch.empty_like(w_hat) if update and store else None
    z = torch.empty(B, 2, n, n, dtype=w_hat.dtype, device=w_hat.device) if pack else None
    w = torch.view_as_real(w_hat)

    def real(t: torch.Tensor | None) -> torch.Tensor:  # a pointer the kernel does not use may be any tensor
        return w if t is None else torch.view_as_real(t)

    blocks = triton.cdiv(n * m, BLOCK)
    _spectral_kernel[(B * blocks,)](
        w, real(n_hat), real(n_hat2), damping if update else w, nonlinear if update else w, real(source),
        torch.view_as_real(packing), real(w_out), real(z), n, m, blocks,
        UPDATE=update, HAS_SECOND=n_hat2 is not None, HAS_SOURCE=source is not None, STORE=w_out is not None,
        PACK=pack, BLOCK=BLOCK, num_warps=WARPS,
    )
    return w_out if update else w_hat, z


def advection(fields: torch.Tensor) -> torch.Tensor:
    """N (B, n, n) real = Re Z₀ Re Z₁ + Im Z₀ Im Z₁ for fields Z (B, 2, n, n) complex."""
    B, _, n, _ = fields.shape
    out = torch.empty(B, n, n, dtype=fields.real.dtype, device=fields.device)
    block = 1024
    _advection_kernel[(triton.cdiv(B * n * n, block),)](
        torch.view_as_real(fields), out, B * n * n, n * n, BLOCK=block, num_warps=4
    )
    return out
