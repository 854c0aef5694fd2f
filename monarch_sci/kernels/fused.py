"""The fused Monarch apply on CUDA: configuration, complex-as-real packing and autograd.

Imports Triton (through ``._triton``); reach it through ``monarch_sci.kernels.fused_apply``.
"""

from __future__ import annotations

import functools

import torch

from ..monarch.fixed import real_form
from . import _forward_b32, _l_stage_b64, _wide, wide_blocks
from . import _triton as tk
from ._device import index_of, sm_count


def _pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _groups(count: int, tiles: int, target: int) -> int:
    """Largest divisor g of count with tiles * count / g >= target programs; at least 1."""
    return max((g for g in range(1, count + 1) if count % g == 0 and tiles * count // g >= target), default=1)


def _stages(n_out: int, n_in: int, BN: int, BK: int, stages: int) -> int:
    """Software-pipelining depth of the loop over blocks: 1 when a block takes several dots
    (the unrolled body's operands times the stages would not fit in shared memory)."""
    return stages if n_out <= BN and n_in <= BK else 1


def _grad_groups(blocks: int, width: int, sms: int) -> int:
    """Groups of batch tiles a block when a transposed stage adds up a weight gradient: each group one program
    and one float32 partial sum. About two programs an SM for blocks up to 32 wide, one for wider blocks: the
    best of 1 ... 33 groups on an H200 at n = 256 ... 16384, batch 8192, in bf16 (TF32 within 5 %; 3xTF32 takes
    one tile a program, ``_triton._grad_programs``). Measured in results/kernels_notes.md."""
    return max(1, (2 if width <= 32 else 1) * sms // blocks)


@functools.lru_cache(maxsize=256)
def make_config(dims: tuple, itemsize: int, batch: int, sms: int = 132) -> dict:
    """Tile sizes for every kernel, from the real block widths (dims = (k, q, p, l, s, r, E)); the
    tiles are the best of sweeps on an H200 (results/kernels_notes.md). "s1", "s1a", "s1g": the R stage, its
    transpose, and its transpose adding up dR2; "t2": the feature-major L stage and its transpose. "t2"["cuda"]:
    the CUDA L stage for 2-byte L of 64 blocks of 64 from 1024 rows (up to 512 the Triton L stage and transpose
    are as fast or faster: results/kernels_l_stage_h200.json). "wgrad": the weight gradients added up inside the
    transposed stages from 1024 rows (at 64 rows the sums' extra launches cost as much as the two bmm they
    replace, or more: results/kernels_notes.md)."""
    k, q, p, l, s, r, E = dims
    PW, QW, RW, SW = E * p, E * q, E * r, E * s
    kmax = 128 if itemsize == 2 else 64

    def plain(n_out: int, n_in: int, sums: bool = False) -> dict:
        """One block at a time: (BM, BN) output tile, BK steps. sums: the tiles of the variant that also adds up
        dR2, whose third operand does not fit next to 128 rows of 128-wide blocks."""
        BN, BK = min(max(16, _pow2(n_out)), 128), min(max(16, _pow2(n_in)), kmax)
        BM = 64 if sums and BN > 64 else 128
        return {"BM": BM, "BN": BN, "BK": BK, "warps": 8 if BM * BN >= 8192 else 4,
                "stages": _stages(n_out, n_in, BN, BK, 3), "KG": _groups(k, -(-batch // BM), 4 * sms)}

    wide = max(RW, SW) > 64
    cfg = {"s1": plain(QW, PW), "s1a": plain(PW, QW),
           "s1g": {**plain(PW, QW, sums=True), "groups": _grad_groups(k, max(QW, PW), sms)},
           "t2": {"BB": (64 if itemsize == 2 else 32) if wide else 128, "BO": min(max(16, _pow2(max(RW, SW))), 128),
                  "BK": min(max(16, _pow2(max(RW, SW))), kmax), "warps": 8 if wide else 4,
                  "cuda": itemsize == 2 and (l, s, r, E) == (64, 64, 64, 1) and batch >= 1024,  # _l_stage_b64
                  "groups": _grad_groups(l, max(RW, SW), sms)},
           "tr": {"T": 128, "warps": 8}}
    cfg["wgrad"] = batch >= 1024  # the weight gradients inside the transposed stages (``_grads``)
    if tiles := one_launch(dims, itemsize, batch, sms):
        cfg["whole"] = tiles
    return cfg


def one_launch(dims: tuple, itemsize: int, batch: int, sms: int = 132) -> dict | None:
    """The one-launch forward's tiles for these factors (``whole_tiles``), or None where it does not apply:
    real 2-byte data, blocks 16 or 32 wide, l = q and r = k (the weights fit in shared memory). "cuda":
    32 blocks of 32 everywhere, which ``_forward_b32`` takes where it runs (sm_90 and newer)."""
    k, q, p, l, s, r, E = dims
    if E == 1 and itemsize == 2 and l == q and r == k and {k, q, p, s} <= {16, 32}:
        return {**whole_tiles(k * p, q, batch, sms), "cuda": {k, q, p, s} == {32}}
    return None


def whole_tiles(n: int, q: int, batch: int, sms: int = 132) -> dict:
    """Rows (BM) and L blocks (QS of the q) per program of the one-launch forward, programs along the rows
    (each runs over several row tiles), warps, and whether the next tile's loads go out before this
    tile's products: the best of a sweep on an H200 in bf16 (results/kernels_whole_h200.json). 16 rows
    everywhere. n <= 512, and n = 1024 below batch 4096: at most 16 L blocks a program (two programs a
    row tile for 32 blocks), two programs an SM, prefetching. n = 1024 from batch 4096: all blocks, one
    program an SM (the 128 KiB of weights fill its shared memory), 4 warps."""
    if n < 1024 or batch < 4096:
        return {"BM": 16, "QS": min(q, 16), "warps": 8, "programs": 2 * sms, "prefetch": True}
    return {"BM": 16, "QS": q, "warps": 4, "programs": sms, "prefetch": False}


def _precision(dtype: torch.dtype) -> str:
    """Triton dot precision for float32 data: TF32 when torch allows it for matmuls, else 3xTF32."""
    if dtype == torch.float32 and not torch.backends.cuda.matmul.allow_tf32:
        return "tf32x3"
    return "tf32"


def _l_stage(u, WL, dims, cfg, prec):
    """z (B, s*l*E) from the R stage's feature-major output u: one CUDA kernel for 2-byte L of 64 blocks of 64
    (``_l_stage_b64``), else the L-stage kernel and a transpose."""
    if cfg["t2"].get("cuda") and _l_stage_b64.applies(u, WL):
        return _l_stage_b64.l_stage(u, WL)
    return tk.transpose(tk.stage2t(u, WL, dims, cfg, prec), cfg)


def _l_stage_adj(g, WL, dims, cfg, prec, u=None):
    """(Gt, V, dL2): g (B, s*l*E) transposed, the transposed L stage of it (k*E*q, B), and with the R stage's
    output u the L weight gradient (else None)."""
    gt = tk.transpose(g, cfg)
    return (gt, *tk.stage2t_adj(gt, WL, dims, cfg, prec, u))


def _forward(x2, WR, WL, dims, cfg, prec):
    if "whole" in cfg:
        if cfg["whole"].get("cuda") and _forward_b32.applies(x2, WR, WL):
            return _forward_b32.forward(x2, WR, WL)
        return tk.whole(x2, WR, WL, dims, cfg, prec)
    return _l_stage(tk.stage1(x2, WR, dims, cfg, prec), WL, dims, cfg, prec)


def _adjoint(x2, WR, WL, dims, cfg, prec):
    _, v, _ = _l_stage_adj(x2, WL, dims, cfg, prec)
    return tk.stage1_adj(v, WR, x2.shape[0], dims, cfg, prec)[0]


def _grads(g, xin, WR, WL, dims, cfg, prec, need_x, need_R, need_L, u=None):
    """(gx, dR2, dL2) of y = M xin from the output gradient g: gx = M^T g, the weight gradients added up inside
    the transposed stages where a block is one tile of them (``fuses_r_grad``, ``fuses_l_grad``), else by two
    bmm; u, the R stage of xin, where the caller has it. Entries not needed are None."""
    B = xin.shape[0]
    if need_L and u is None:
        u = tk.stage1(xin, WR, dims, cfg, prec)
    fuse_R, fuse_L = need_R and tk.fuses_r_grad(dims, cfg), need_L and tk.fuses_l_grad(dims, cfg)
    gt, v, gL = _l_stage_adj(g, WL, dims, cfg, prec, u if fuse_L else None)
    gx = gR = None
    if need_x or fuse_R:
        gx, gR = tk.stage1_adj(v, WR, B, dims, cfg, prec, xin if fuse_R else None)
    bR, bL = _weight_grads(v, gt, u, xin, dims, B, need_R and not fuse_R, need_L and not fuse_L)
    return gx if need_x else None, gR if fuse_R else bR, gL if fuse_L else bL


def _weight_grads(v, gt, u, xin, dims, B, need_R, need_L):
    """dR2[kk] = V_kk (E*q, B) @ xin_kk (B, E*p); dL2[ll] = Gt_ll (E*s, B) @ U_ll^T (B, E*r), where
    Gt_ll gathers the rows ((ss*l + ll)*E + c) of the transposed output gradient Gt."""
    k, q, p, l, s, r, E = dims
    gR = torch.bmm(v.view(k, q * E, B), xin.view(B, k, p * E).transpose(0, 1)) if need_R else None
    gL = None
    if need_L:
        g_blocks = gt.view(s, l, E, B).permute(1, 0, 2, 3).reshape(l, s * E, B)  # a view when E == 1
        gL = torch.bmm(g_blocks, u.view(l, r * E, B).transpose(1, 2))
    return gR, gL


class _MonarchFunction(torch.autograd.Function):
    """y2 = M x2 (or M^T x2) on real 2-D data; the backward recomputes the intermediate."""

    @staticmethod
    def forward(ctx, x2, WR, WL, dims, adjoint, cfg):
        prec = _precision(x2.dtype)
        ctx.save_for_backward(x2, WR, WL)
        ctx.dims, ctx.adjoint, ctx.cfg, ctx.prec = dims, adjoint, cfg, prec
        return (_adjoint if adjoint else _forward)(x2, WR, WL, dims, cfg, prec)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, gy):
        x2, WR, WL = ctx.saved_tensors
        dims, cfg, prec = ctx.dims, ctx.cfg, ctx.prec
        need_x, need_R, need_L = ctx.needs_input_grad[:3]
        gy = gy.contiguous()
        gx = gR = gL = None
        if not ctx.adjoint:  # y = M x: gx = M^T gy
            gx, gR, gL = _grads(gy, x2, WR, WL, dims, cfg, prec, need_x, need_R, need_L)
        else:  # y = M^T x: gx = M gy, weight grads as for M with input gy and output grad x
            u = tk.stage1(gy, WR, dims, cfg, prec) if (need_x or need_L) else None
            if need_x:
                gx = _l_stage(u, WL, dims, cfg, prec)
            if need_R or need_L:
                _, gR, gL = _grads(x2, gy, WR, WL, dims, cfg, prec, False, need_R, need_L, u)
        return gx, gR, gL, None, None, None


def fused_apply(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor, adjoint: bool = False,
                config: dict | None = None) -> torch.Tensor:
    """y = M x (or M^H x) along the last dim with the Triton kernels; see ``monarch_sci.kernels``."""
    k, q, p = R.shape
    l, s, r = L.shape
    E = 2 if x.is_complex() else 1
    dims = (k, q, p, l, s, r, E)
    n_in, n_out = (s * l, k * p) if adjoint else (k * p, s * l)
    batch = x.shape[:-1]
    x2 = x.reshape(-1, n_in).contiguous()
    B = x2.shape[0]
    if wide_blocks(x, R, L, adjoint):
        return _wide.WideMonarch.apply(x2, R, L).reshape(*batch, n_out)
    if E == 2:
        x2 = torch.view_as_real(x2).reshape(B, 2 * n_in)
    if config is None:
        sms = sm_count(index_of(x)) if x.is_cuda else 132
        config = make_config(dims, x2.element_size(), _bucket(B), sms)
    y2 = _MonarchFunction.apply(x2, real_form(R), real_form(L), dims, adjoint, config)
    if E == 2:
        y2 = torch.view_as_complex(y2.view(B, n_out, 2))
    return y2.reshape(*batch, n_out)


def _bucket(B: int) -> int:
    """Batch sizes rounded up to a power of two, so configs (and compiled kernels) are shared."""
    return _pow2(B)
