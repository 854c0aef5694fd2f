"""Monarch factors with wide blocks (MonarchLinear's default: 4 blocks of 1024 at n = 4096): cuBLAS GEMMs, and
the permutations as Triton copies that move tiles.

With wide blocks the two block multiplies are compute-bound GEMMs. The torch bmm path makes its permutations
with torch copies that gather with a stride of l elements (n = 4096, 4 blocks, bf16, batch 8192, on an H200:
eight copies of 113 us against six GEMMs of 92 us in forward + backward). Here, where l divides q
(Q = q / l, qq = j*l + ll):

    Y (k, B, q):  Y[kk, b, qq] = sum_p R[kk, qq, p] x[b, kk*p + p]        one bmm (x read in place)
    U2 (l, B, r): U2[ll, b, kk*Q + j] = Y[kk, b, j*l + ll]                ``_middle``
    Z2 (l, B, s): Z2[ll, b, ss] = sum_r L[ll, ss, r] U2[ll, b, r]         one bmm
    z (B, s*l):   z[b, ss*l + ll] = Z2[ll, b, ss]                         ``_interleave``, a transpose of (l, B*s)

and the backward runs the transposes of these steps (four bmm: dU2 = G2 L, dL = G2^T U2, dx, dR). U2 is kept for
the backward, as autograd keeps the bmm path's intermediate: recomputing it would cost a GEMM and a copy.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from ._triton import _transpose_kernel


def _interleave(a: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """a viewed as (rows, cols), transposed and made contiguous: (cols, rows). For z from Z2 (cols = B*s, rows = l)
    and G2 from g (rows = B*s, cols = l): one of the two sides is l wide, so a tile is (l, 1024) or (1024, l)."""
    out = torch.empty(a.numel(), dtype=a.dtype, device=a.device)
    TR, TC = (triton.next_power_of_2(rows), 1024) if rows < cols else (1024, triton.next_power_of_2(cols))
    _transpose_kernel[(triton.cdiv(rows, TR), triton.cdiv(cols, TC))](a, out, rows, cols, cols, rows, TR, TC,
                                                                      num_warps=4)
    return out


@triton.jit
def _middle_kernel(y_ptr, u_ptr, B, Q, l, TO_U2: tl.constexpr, BB: tl.constexpr, BJ: tl.constexpr, LP: tl.constexpr):
    """U2[ll, b, kk*Q + j] = Y[kk, b, j*l + ll] (TO_U2), else the inverse, on a (BB rows, BJ j's, all ll) tile of
    block kk = program_id(2); Y (k, B, Q*l), U2 (l, B, k*Q). Each side is addressed in its own order, (b, j, ll)
    and (ll, b, j), so that loads and stores both run along contiguous memory."""
    b = tl.program_id(0) * BB + tl.arange(0, BB)
    j = tl.program_id(1) * BJ + tl.arange(0, BJ)
    ll = tl.arange(0, LP)
    kk = tl.program_id(2).to(tl.int64)
    k = tl.num_programs(2)
    y = (y_ptr + kk * B * Q * l + b[:, None, None].to(tl.int64) * (Q * l) + j[None, :, None] * l
         + ll[None, None, :])
    y_mask = (b[:, None, None] < B) & (j[None, :, None] < Q) & (ll[None, None, :] < l)
    u = (u_ptr + ll[:, None, None].to(tl.int64) * B * k * Q + b[None, :, None].to(tl.int64) * (k * Q) + kk * Q
         + j[None, None, :])
    u_mask = (ll[:, None, None] < l) & (b[None, :, None] < B) & (j[None, None, :] < Q)
    if TO_U2:
        tl.store(u, tl.permute(tl.load(y, mask=y_mask), (2, 0, 1)), mask=u_mask)
    else:
        tl.store(y, tl.permute(tl.load(u, mask=u_mask), (1, 2, 0)), mask=y_mask)


def _middle(t: torch.Tensor, k: int, l: int, to_u2: bool) -> torch.Tensor:
    """Y (k, B, q) -> U2 (l, B, r) (to_u2), or U2 -> Y: the middle permutation between the two bmm, or its
    inverse."""
    planes, B, width = t.shape
    Q = width // l if to_u2 else width // k
    out = torch.empty((l, B, k * Q) if to_u2 else (k, B, Q * l), dtype=t.dtype, device=t.device)
    LP = triton.next_power_of_2(l)
    BJ = min(triton.next_power_of_2(Q), max(1, 256 // LP))
    BB = max(1, 8192 // (BJ * LP))
    _middle_kernel[(triton.cdiv(B, BB), triton.cdiv(Q, BJ), k)](*((t, out) if to_u2 else (out, t)), B, Q, l, to_u2,
                                                               BB, BJ, LP, num_warps=8)
    return out


class WideMonarch(torch.autograd.Function):
    """z (B, s*l) = M x for x (B, k*p) with factors R (k, q, p), L (l, s, r), l | q (``kernels.wide_blocks``)."""

    @staticmethod
    def forward(ctx, x, R, L):
        k, q, p = R.shape
        l, s, r = L.shape
        B = x.shape[0]
        u = _middle(torch.bmm(x.view(B, k, p).transpose(0, 1), R.transpose(1, 2)), k, l, True)  # (l, B, r)
        ctx.save_for_backward(x, R, L, u)
        return _interleave(torch.bmm(u, L.transpose(1, 2)), l, B * s).view(B, s * l)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        x, R, L, u = ctx.saved_tensors
        need_x, need_R, need_L = ctx.needs_input_grad[:3]
        k, q, p = R.shape
        l, s, r = L.shape
        B = x.shape[0]
        g2 = _interleave(g.contiguous(), B * s, l).view(l, B, s)
        gx = dR = dL = None
        if need_L:
            dL = torch.bmm(g2.transpose(1, 2), u)
        if need_x or need_R:
            dy = _middle(torch.bmm(g2, L), k, l, False)  # (k, B, q)
            if need_x:
                gx = torch.empty_like(x)
                torch.bmm(dy, R, out=gx.view(B, k, p).transpose(0, 1))
            if need_R:
                dR = torch.bmm(dy.transpose(1, 2), x.view(B, k, p).transpose(0, 1))
        return gx, dR, dL
