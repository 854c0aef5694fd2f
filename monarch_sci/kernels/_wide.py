"""Monarch factors with wide blocks (MonarchLinear's default: 4 blocks of 1024 at n = 4096): cuBLAS GEMMs, and
the permutations as Triton copies that move tiles.

With wide blocks the two block multiplies are compute-bound GEMMs. The torch bmm path makes its permutations
with torch copies that gather with a stride of l elements (n = 4096, 4 blocks, bf16, batch 8192, on an H200:
eight copies of 113 us against six GEMMs of 92 us in forward + backward). Here, where l divides q
(Q = q / l, qq = j*l + ll):

    Y (k, B, q):  Y[kk, b, qq] = sum_pp R[kk, qq, pp] x[b, kk*p + pp]     one bmm (x read in place)
    U2 (l, B, r): U2[ll, b, kk*Q + j] = Y[kk, b, j*l + ll]                ``_middle``
    Z2 (l, B, s): Z2[ll, b, ss] = sum_rr L[ll, ss, rr] U2[ll, b, rr]      one bmm
    z (B, s*l):   z[b, ss*l + ll] = Z2[ll, b, ss]                         ``_interleave``, a transpose of (l, B*s)

and the backward runs the transposes of these steps (four bmm: dU2 = G2 L, dL = G2^T U2, dx, dR). U2 is kept for
the backward, as autograd keeps the bmm path's intermediate: recomputing it would cost a GEMM and a copy.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from ._triton import _transpose_kernel


GRID_Y = 65535  # CUDA's limit on a grid's second axis


def _interleave(a: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """a viewed as (rows, cols), transposed and made contiguous: (cols, rows). For z from Z2 (cols = B*s, rows = l)
    and G2 from g (rows = B*s, cols = l): one of the two sides is l wide, so a tile is (l, 1024) or (1024, l). Column
    tiles beyond ``GRID_Y`` go in further launches."""
    src, out = a.view(-1), torch.empty(a.numel(), dtype=a.dtype, device=a.device)
    TR, TC = (triton.next_power_of_2(rows), 1024) if rows < cols else (1024, triton.next_power_of_2(cols))
    for c0 in range(0, cols, GRID_Y * TC):
        width = min(cols - c0, GRID_Y * TC)
        _transpose_kernel[(triton.cdiv(rows, TR), triton.cdiv(width, TC))](src[c0:], out[c0 * rows:], rows, width, cols,
                                                                           rows, TR, TC, num_warps=4)
    return out


@triton.jit
def _middle_kernel(y_ptr, u_ptr, B, Q, L_: tl.constexpr, TO_U2: tl.constexpr, BB: tl.constexpr, BJ: tl.constexpr,
                   LP: tl.constexpr):
    """U2[ll, b, kk*Q + j] = Y[kk, b, j*l + ll] (TO_U2), else the inverse, on a (BB rows, BJ j's, all ll) tile of
    block kk = program_id(2); Y (k, B, Q*l), U2 (l, B, k*Q), l = L_ (LP: l rounded up to a power of two), BJ dividing
    Q. Each side is addressed in its own order, Y's (j, ll) flattened, so that loads and stores both run along
    contiguous memory in 16-byte vectors (no mask varies along a row)."""
    b = tl.program_id(0) * BB + tl.arange(0, BB)
    j0 = tl.program_id(1) * BJ
    kk = tl.program_id(2).to(tl.int64)
    k = tl.num_programs(2)
    m = tl.arange(0, BJ * LP)  # Y's (j - j0, ll), ll fastest
    j, ll = j0 + m // LP, m % LP
    col = j0 * L_ + m if LP == L_ else j * L_ + ll
    y = y_ptr + kk * B * Q * L_ + b[:, None].to(tl.int64) * (Q * L_) + col[None, :]
    y_mask = (b[:, None] < B) & (ll[None, :] < L_)
    lu, ju = tl.arange(0, LP), j0 + tl.arange(0, BJ)
    u = (u_ptr + lu[:, None, None].to(tl.int64) * B * k * Q + b[None, :, None].to(tl.int64) * (k * Q) + kk * Q
         + ju[None, None, :])
    u_mask = (lu[:, None, None] < L_) & (b[None, :, None] < B)
    if TO_U2:
        tile = tl.reshape(tl.load(y, mask=y_mask), (BB, BJ, LP))
        tl.store(u, tl.permute(tile, (2, 0, 1)), mask=u_mask)
    else:
        tile = tl.permute(tl.load(u, mask=u_mask), (1, 2, 0))
        tl.store(y, tl.reshape(tile, (BB, BJ * LP)), mask=y_mask)


def _middle(t: torch.Tensor, k: int, l: int, to_u2: bool) -> torch.Tensor:
    """Y (k, B, q) -> U2 (l, B, r) (to_u2), or U2 -> Y: the middle permutation between the two bmm, or its
    inverse."""
    _, B, width = t.shape
    Q = width // l if to_u2 else width // k
    out = torch.empty((l, B, k * Q) if to_u2 else (k, B, Q * l), dtype=t.dtype, device=t.device)
    LP = triton.next_power_of_2(l)
    BJ = min(Q & -Q, max(1, 256 // LP))  # a power of two dividing Q
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
