"""Monarch factors with wide blocks (MonarchLinear's default: 4 blocks of 1024 at n = 4096): cuBLAS GEMMs, and
permutations that move whole runs.

With wide blocks the two block multiplies are compute-bound GEMMs. The torch bmm path gathers with a stride of l
elements between them (n = 4096, 4 blocks, bf16, batch 8192, on an H200: eight copies of 113 us against six GEMMs of
92 us in forward + backward). Here, where l divides q (Q = q / l), R's rows are taken in the order (ll, j) for
qq = j*l + ll, so that the middle permutation moves runs of Q elements:

    Y (k, B, q):  Y[kk, b, ll*Q + j] = sum_p R[kk, j*l + ll, p] x[b, kk*p + p]      one bmm (x read in place)
    U2 (l, B, r): U2[ll, b, kk*Q + j] = Y[kk, b, ll*Q + j]                          a copy of runs of Q
    Z2 (l, B, s): Z2[ll, b, ss] = sum_r L[ll, ss, r] U2[ll, b, r]                   one bmm
    z (B, s*l):   z[b, ss*l + ll] = Z2[ll, b, ss]                                   a Triton transpose of (l, B*s)

and the backward runs the transposes of these steps (four bmm: dU2 = G2 L, dL = G2^T U2, dx, dR). U2 is kept for the
backward, as autograd keeps the bmm path's intermediate: recomputing it would cost a GEMM and a copy.
"""

from __future__ import annotations

import torch
import triton

from ._triton import _transpose_kernel


def _interleave(a: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """a viewed as (rows, cols), transposed and made contiguous: (cols, rows). For z from Z2 (cols = B*s, rows = l)
    and G2 from g (rows = B*s, cols = l): one of the two sides is l wide, so a tile is (l, 1024) or (1024, l)."""
    out = torch.empty(a.numel(), dtype=a.dtype, device=a.device)
    TR, TC = (triton.next_power_of_2(rows), 1024) if rows < cols else (1024, triton.next_power_of_2(cols))
    _transpose_kernel[(triton.cdiv(rows, TR), triton.cdiv(cols, TC))](a, out, rows, cols, cols, rows, TR, TC,
                                                                      num_warps=4)
    return out


def _runs(t: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """(a, B, b*Q) -> (b, B, a*Q): out[i, :, j*Q:(j+1)*Q] = t[j, :, i*Q:(i+1)*Q], runs of Q elements moved whole."""
    _, B, width = t.shape
    Q = width // b
    return t.view(a, B, b, Q).permute(2, 1, 0, 3).reshape(b, B, a * Q)


class WideMonarch(torch.autograd.Function):
    """z (B, s*l) = M x for x (B, k*p) with factors R (k, q, p), L (l, s, r), l | q (``kernels.wide_blocks``)."""

    @staticmethod
    def forward(ctx, x, R, L):
        k, q, p = R.shape
        l, s, r = L.shape
        B = x.shape[0]
        Rp = R.view(k, q // l, l, p).transpose(1, 2).reshape(k, q, p)  # rows in the order (ll, j)
        xb = x.view(B, k, p).transpose(0, 1)
        u = _runs(torch.bmm(xb, Rp.transpose(1, 2)), k, l)  # (l, B, r)
        ctx.save_for_backward(x, Rp, L, u)
        z2 = torch.bmm(u, L.transpose(1, 2))  # (l, B, s)
        return _interleave(z2, l, B * s).view(B, s * l)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        x, Rp, L, u = ctx.saved_tensors
        need_x, need_R, need_L = ctx.needs_input_grad[:3]
        k, q, p = Rp.shape
        l, s, r = L.shape
        B = x.shape[0]
        g2 = _interleave(g.contiguous(), B * s, l).view(l, B, s)
        gx = dR = dL = None
        if need_L:
            dL = torch.bmm(g2.transpose(1, 2), u)
        if need_x or need_R:
            dy = _runs(torch.bmm(g2, L), l, k)  # (k, B, q), columns in the order (ll, j)
            if need_x:
                gx = torch.bmm(dy, Rp).transpose(0, 1).reshape(B, k * p)
            if need_R:
                dRp = torch.bmm(dy.transpose(1, 2), x.view(B, k, p).transpose(0, 1))
                dR = dRp.view(k, l, q // l, p).transpose(1, 2).reshape(k, q, p)
        return gx, dR, dL
