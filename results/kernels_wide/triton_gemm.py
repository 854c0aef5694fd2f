"""Frozen (results/kernels_wide/README.md): the first wide-block design, every multiply a Triton strided grouped GEMM
whose addresses carry the permutations. Measured by probe2_triton_gemm.py on an H200 and not shipped: its stage-1
GEMM took 151-196 us where cuBLAS takes 101, and z written with a stride of l took 571-606 us.

    U2[ll, b, kk*Q + j] = sum_p R[kk, j*l + ll, p] x[b, kk*p + p]   (Q = q / l; R's rows read with stride l)
    z[b, ss*l + ll] = sum_r L[ll, ss, r] U2[ll, b, r]              (z written with stride l)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from monarch_sci.kernels._triton import _transpose_kernel


@triton.jit
def _gemm_kernel(a_ptr, b_ptr, c_ptr, M, N, KSEG, SEGS, GROUPS2, NUM_GROUPS,
                 a_g1, a_g2, a_m, a_seg, a_k, b_g1, b_g2, b_seg, b_k, b_n, c_g1, c_g2, c_m, c_n,
                 BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, PREC: tl.constexpr):
    """C[g][m, n] = sum_{s < SEGS, j < KSEG} A[g][m, (s, j)] B[g][(s, j), n] for the group g = g1 * GROUPS2 + g2."""
    pid = tl.program_id(0)
    g = pid % NUM_GROUPS
    tile = pid // NUM_GROUPS
    n_tiles = tl.cdiv(N, BN)
    g1 = (g // GROUPS2).to(tl.int64)
    g2 = (g % GROUPS2).to(tl.int64)
    m = (tile // n_tiles) * BM + tl.arange(0, BM)
    n = (tile % n_tiles) * BN + tl.arange(0, BN)
    a_rows = a_ptr + g1 * a_g1 + g2 * a_g2 + m[:, None].to(tl.int64) * a_m
    b_cols = b_ptr + g1 * b_g1 + g2 * b_g2 + n[None, :].to(tl.int64) * b_n
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    steps = tl.cdiv(KSEG, BK)
    for i in range(SEGS * steps):
        seg = (i // steps).to(tl.int64)
        j = (i % steps) * BK + tl.arange(0, BK)
        a = tl.load(a_rows + seg * a_seg + j[None, :].to(tl.int64) * a_k, mask=(m[:, None] < M) & (j[None, :] < KSEG),
                    other=0.0)
        b = tl.load(b_cols + seg * b_seg + j[:, None].to(tl.int64) * b_k, mask=(j[:, None] < KSEG) & (n[None, :] < N),
                    other=0.0)
        acc = tl.dot(a, b, acc, input_precision=PREC)
    c = c_ptr + g1 * c_g1 + g2 * c_g2 + m[:, None].to(tl.int64) * c_m + n[None, :].to(tl.int64) * c_n
    tl.store(c, acc.to(c_ptr.dtype.element_ty), mask=(m[:, None] < M) & (n[None, :] < N))


def tiles(itemsize: int) -> dict:
    return {"BM": 128, "BN": 128, "BK": 64 if itemsize == 2 else 32, "warps": 8, "stages": 3}


def _gemm(a, b, c, M, N, K, groups, sa, sb, sc, cfg, prec, segs=1):
    G1, G2 = groups
    grid = (G1 * G2 * triton.cdiv(M, cfg["BM"]) * triton.cdiv(N, cfg["BN"]),)
    _gemm_kernel[grid](a, b, c, M, N, K, segs, G2, G1 * G2, *sa, *sb, *sc, cfg["BM"], cfg["BN"], cfg["BK"], prec,
                       num_warps=cfg["warps"], num_stages=cfg["stages"])
    return c


def stage1(x, R, l, cfg, prec):
    k, q, p = R.shape
    B, Q = x.shape[0], q // l
    u = torch.empty(l, B, k * Q, dtype=x.dtype, device=x.device)
    return _gemm(x, R, u, B, Q, p, (k, l), (p, 0, x.stride(0), 0, 1), (q * p, p, 0, 1, l * p), (Q, B * k * Q, k * Q, 1),
                 cfg, prec)


def stage2(u, L, cfg, prec):
    l, s, r = L.shape
    B = u.shape[1]
    z = torch.empty(B, s * l, dtype=u.dtype, device=u.device)
    return _gemm(u, L, z, B, s, r, (l, 1), (B * r, 0, r, 0, 1), (s * r, 0, 0, 1, r), (1, 0, s * l, l), cfg, prec)


def gather_blocks(g, l, cfg):
    B, n = g.shape
    out = torch.empty(l, B, n // l, dtype=g.dtype, device=g.device)
    rows, T = B * (n // l), 1024
    _transpose_kernel[(triton.cdiv(rows, T), 1)](g, out, rows, l, l, rows, T, triton.next_power_of_2(l), num_warps=4)
    return out


class WideMonarch(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, R, L, cfg, prec):
        ctx.save_for_backward(x, R, L)
        ctx.cfg, ctx.prec = cfg, prec
        return stage2(stage1(x, R, L.shape[0], cfg, prec), L, cfg, prec)

    @staticmethod
    def backward(ctx, g):
        x, R, L = ctx.saved_tensors
        cfg, prec = ctx.cfg, ctx.prec
        k, q, p = R.shape
        l, s, r = L.shape
        B, Q = x.shape[0], q // l
        g2 = gather_blocks(g.contiguous(), l, cfg)
        u = stage1(x, R, l, cfg, prec)
        dL = _gemm(g2, u, torch.empty_like(L), s, r, B, (l, 1), (B * s, 0, 1, 0, s), (B * r, 0, 0, r, 1),
                   (s * r, 0, r, 1), cfg, prec)
        du = _gemm(g2, L, torch.empty(l, B, r, dtype=x.dtype, device=x.device), B, r, s, (l, 1),
                   (B * s, 0, s, 0, 1), (s * r, 0, 0, r, 1), (B * r, 0, r, 1), cfg, prec)
        gx = _gemm(du, R, torch.empty_like(x), B, p, Q, (k, 1), (Q, 0, r, B * r, 1), (q * p, 0, p, l * p, 1),
                   (p, 0, x.shape[1], 1), cfg, prec, segs=l)
        dR = _gemm(du, x, torch.empty_like(R), Q, p, B, (k, l), (Q, B * r, 1, 0, r), (p, 0, 0, x.shape[1], 1),
                   (q * p, p, l * p, 1), cfg, prec)
        return gx, dR, dL, None, None
