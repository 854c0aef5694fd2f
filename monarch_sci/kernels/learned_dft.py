"""Triton kernels for a learned 2-D forward DFT on the kept modes (Monarch-NO's spectral layers).

For every sample n = (b, c) of a real field x (B, C, n1, n2), one program computes the kept modes

    Z_n = D · (x_n · W),    W = Wr + i Wi (n2, m2),  D (m1, n1) complex,  Z_n (m1, m2) complex,

the learned DFT along the last dim (real input: W holds the columns of the kept rfft modes) and then
along the other dim, with x_n, x_n W and Z_n on chip: one launch instead of two GEMMs, the complex
layout copies between them and the mode-major copy of the mode mixing (Z is stored (m1, m2, B, C)).
The backward recomputes x_n W and, per program over a run of samples,

    dY = Dᴴ G,   dx = Re(dY Wᴴ) = dYr Wrᵀ + dYi Wiᵀ,   dD += G Yᴴ,   dW += x_nᵀ dY,

writing dx per sample and one partial (dD, dW) per program, summed afterwards: deterministic, no
atomics. W arrives in the interleaved real layout of ``nn.spectral.real_input_columns`` (n2, 2 m2).
Float32 data; products in 3xTF32 (TF32 when ``torch.backends.cuda.matmul.allow_tf32``), float32
accumulation. Imported through ``monarch_sci.kernels.learned_rfft2`` only.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

# at most about this many backward programs (each a run of samples): two per SM on an H200 for the
# FNO batch (400 samples)
BACKWARD_PROGRAMS = 256


@triton.jit
def _operands(d_ptr, w_ptr, N1, N2, M1, M2, BN1: tl.constexpr, BN2: tl.constexpr, BM1: tl.constexpr,
              BM2: tl.constexpr):
    """Dr, Di (BM1, BN1) and Wr, Wi (BN2, BM2), zero outside the matrices."""
    k1 = tl.arange(0, BM1)[:, None]
    i1 = tl.arange(0, BN1)[None, :]
    dmask = (k1 < M1) & (i1 < N1)
    dr = tl.load(d_ptr + (k1 * N1 + i1) * 2, mask=dmask, other=0.0)
    di = tl.load(d_ptr + (k1 * N1 + i1) * 2 + 1, mask=dmask, other=0.0)
    i2 = tl.arange(0, BN2)[:, None]
    k2 = tl.arange(0, BM2)[None, :]
    wmask = (i2 < N2) & (k2 < M2)
    wr = tl.load(w_ptr + i2 * (2 * M2) + 2 * k2, mask=wmask, other=0.0)
    wi = tl.load(w_ptr + i2 * (2 * M2) + 2 * k2 + 1, mask=wmask, other=0.0)
    return dr, di, wr, wi


@triton.jit
def _forward_kernel(x_ptr, d_ptr, w_ptr, z_ptr, C, N1, N2, M1, M2, sxb, sxc, sx1, sx2, szb, szc, sz1, sz2,
                    BN1: tl.constexpr, BN2: tl.constexpr, BM1: tl.constexpr, BM2: tl.constexpr,
                    PREC: tl.constexpr):
    """Program n: Z_n = D (x_n W); strides in real elements (z: of its (re, im) view, complex units x 2)."""
    n = tl.program_id(0)
    b, c = (n // C).to(tl.int64), (n % C).to(tl.int64)
    dr, di, wr, wi = _operands(d_ptr, w_ptr, N1, N2, M1, M2, BN1, BN2, BM1, BM2)
    i1 = tl.arange(0, BN1)[:, None]
    i2 = tl.arange(0, BN2)[None, :]
    x = tl.load(x_ptr + b * sxb + c * sxc + i1 * sx1 + i2 * sx2, mask=(i1 < N1) & (i2 < N2), other=0.0)
    yr = tl.dot(x, wr, input_precision=PREC)
    yi = tl.dot(x, wi, input_precision=PREC)
    zr = tl.dot(dr, yr, input_precision=PREC)
    zr = tl.dot(-di, yi, zr, input_precision=PREC)
    zi = tl.dot(dr, yi, input_precision=PREC)
    zi = tl.dot(di, yr, zi, input_precision=PREC)
    k1 = tl.arange(0, BM1)[:, None]
    k2 = tl.arange(0, BM2)[None, :]
    at = z_ptr + b * szb + c * szc + k1 * sz1 + k2 * sz2
    zmask = (k1 < M1) & (k2 < M2)
    tl.store(at, zr, mask=zmask)
    tl.store(at + 1, zi, mask=zmask)


@triton.jit
def _backward_kernel(x_ptr, d_ptr, w_ptr, g_ptr, dx_ptr, part_ptr, C, N1, N2, M1, M2, per_program,
                     sxb, sxc, sx1, sx2, sgb, sgc, sg1, sg2,
                     BN1: tl.constexpr, BN2: tl.constexpr, BM1: tl.constexpr, BM2: tl.constexpr,
                     STORE_DX: tl.constexpr, PREC: tl.constexpr):
    """Program p over samples [p * per_program, (p + 1) * per_program) (per_program divides their
    number): dx_n for each (contiguous (B, C, n1, n2)), and the programs' partial dD (m1, n1, 2) followed
    by dW (n2, m2, 2) as row p of ``part``."""
    p = tl.program_id(0)
    dr, di, wr, wi = _operands(d_ptr, w_ptr, N1, N2, M1, M2, BN1, BN2, BM1, BM2)
    i1 = tl.arange(0, BN1)[:, None]
    i2 = tl.arange(0, BN2)[None, :]
    k1 = tl.arange(0, BM1)[:, None]
    k2 = tl.arange(0, BM2)[None, :]
    xmask = (i1 < N1) & (i2 < N2)
    gmask = (k1 < M1) & (k2 < M2)
    dd_r = tl.zeros((BM1, BN1), dtype=tl.float32)
    dd_i = tl.zeros((BM1, BN1), dtype=tl.float32)
    dw_r = tl.zeros((BN2, BM2), dtype=tl.float32)
    dw_i = tl.zeros((BN2, BM2), dtype=tl.float32)
    drt, dit = tl.trans(dr), tl.trans(di)
    for j in range(per_program):
        n = p * per_program + j
        b, c = (n // C).to(tl.int64), (n % C).to(tl.int64)
        x = tl.load(x_ptr + b * sxb + c * sxc + i1 * sx1 + i2 * sx2, mask=xmask, other=0.0)
        g_at = g_ptr + b * sgb + c * sgc + k1 * sg1 + k2 * sg2
        gr = tl.load(g_at, mask=gmask, other=0.0)
        gi = tl.load(g_at + 1, mask=gmask, other=0.0)
        yr = tl.dot(x, wr, input_precision=PREC)
        yi = tl.dot(x, wi, input_precision=PREC)
        dyr = tl.dot(drt, gr, input_precision=PREC)
        dyr = tl.dot(dit, gi, dyr, input_precision=PREC)
        dyi = tl.dot(drt, gi, input_precision=PREC)
        dyi = tl.dot(-dit, gr, dyi, input_precision=PREC)
        if STORE_DX:
            dx = tl.dot(dyr, tl.trans(wr), input_precision=PREC)
            dx = tl.dot(dyi, tl.trans(wi), dx, input_precision=PREC)
            tl.store(dx_ptr + n.to(tl.int64) * N1 * N2 + i1 * N2 + i2, dx, mask=xmask)
        yrt, yit = tl.trans(yr), tl.trans(yi)
        dd_r = tl.dot(gr, yrt, dd_r, input_precision=PREC)
        dd_r = tl.dot(gi, yit, dd_r, input_precision=PREC)
        dd_i = tl.dot(gi, yrt, dd_i, input_precision=PREC)
        dd_i = tl.dot(-gr, yit, dd_i, input_precision=PREC)
        xt = tl.trans(x)
        dw_r = tl.dot(xt, dyr, dw_r, input_precision=PREC)
        dw_i = tl.dot(xt, dyi, dw_i, input_precision=PREC)
    row = part_ptr + p.to(tl.int64) * (2 * M1 * N1 + 2 * N2 * M2)
    d_at = row + (tl.arange(0, BM1)[:, None] * N1 + tl.arange(0, BN1)[None, :]) * 2
    dmask = (tl.arange(0, BM1)[:, None] < M1) & (tl.arange(0, BN1)[None, :] < N1)
    tl.store(d_at, dd_r, mask=dmask)
    tl.store(d_at + 1, dd_i, mask=dmask)
    w_at = row + 2 * M1 * N1 + (tl.arange(0, BN2)[:, None] * M2 + tl.arange(0, BM2)[None, :]) * 2
    wmask = (tl.arange(0, BN2)[:, None] < N2) & (tl.arange(0, BM2)[None, :] < M2)
    tl.store(w_at, dw_r, mask=wmask)
    tl.store(w_at + 1, dw_i, mask=wmask)


def _tiles(N1: int, N2: int, M1: int, M2: int) -> dict:
    pad = [max(16, triton.next_power_of_2(v)) for v in (N1, N2, M1, M2)]
    return {"BN1": pad[0], "BN2": pad[1], "BM1": pad[2], "BM2": pad[3], "num_warps": 4 if pad[0] * pad[1] <= 4096 else 8}


def _precision() -> str:
    return "tf32" if torch.backends.cuda.matmul.allow_tf32 else "tf32x3"


def _forward(x: torch.Tensor, D: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    B, C, N1, N2 = x.shape
    M1, M2 = D.shape[0], W.shape[1] // 2
    z = torch.empty(M1, M2, B, C, dtype=D.dtype, device=x.device)
    zs = [2 * s for s in z.stride()]
    _forward_kernel[(B * C,)](x, torch.view_as_real(D), W, torch.view_as_real(z), C, N1, N2, M1, M2, *x.stride(),
                              zs[2], zs[3], zs[0], zs[1], PREC=_precision(), **_tiles(N1, N2, M1, M2))
    return z


def _backward(x: torch.Tensor, D: torch.Tensor, W: torch.Tensor, g: torch.Tensor, need_dx: bool):
    """(dx or None, dD, dW) for the output gradient g (B, C, m1, m2), any strides."""
    B, C, N1, N2 = x.shape
    M1, M2 = D.shape[0], W.shape[1] // 2
    N = B * C
    most = triton.cdiv(N, BACKWARD_PROGRAMS)
    per_program = max(d for d in range(1, most + 1) if N % d == 0)
    programs = N // per_program
    part = torch.empty(programs, 2 * M1 * N1 + 2 * N2 * M2, dtype=x.dtype, device=x.device)
    dx = torch.empty(B, C, N1, N2, dtype=x.dtype, device=x.device) if need_dx else part
    gv = torch.view_as_real(g.resolve_conj())
    _backward_kernel[(programs,)](x, torch.view_as_real(D), W, gv, dx, part, C, N1, N2, M1, M2, per_program,
                                  *x.stride(), *gv.stride()[:4], STORE_DX=need_dx, PREC=_precision(),
                                  **_tiles(N1, N2, M1, M2))
    total = part.sum(0)
    dD = torch.view_as_complex(total[: 2 * M1 * N1].view(M1, N1, 2))
    dW = total[2 * M1 * N1:].view(N2, 2 * M2)
    return (dx if need_dx else None), dD, dW


class _LearnedRfft2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, D, W):
        ctx.save_for_backward(x, D, W)
        return _forward(x, D, W)

    @staticmethod
    def backward(ctx, g):
        x, D, W = ctx.saved_tensors
        dx, dD, dW = _backward(x, D, W, g.permute(2, 3, 0, 1), ctx.needs_input_grad[0])
        return dx, (dD if ctx.needs_input_grad[1] else None), (dW if ctx.needs_input_grad[2] else None)


def learned_rfft2(x: torch.Tensor, D: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """Z (B, C, m1, m2) complex, a view of a mode-major (m1, m2, B, C) tensor: Z[b, c] = D x[b, c] W with
    x (B, C, n1, n2) float32, D (m1, n1) complex64, W (n2, 2 m2) float32 in ``real_input_columns`` layout.
    Differentiable in x, D and W."""
    return _LearnedRfft2.apply(x, D.contiguous(), W.contiguous()).permute(2, 3, 0, 1)
