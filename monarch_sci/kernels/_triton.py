"""Triton kernels for one Monarch factor on real data (complex data arrive as real pairs).

Imported only through ``monarch_sci.kernels.fused`` when a CUDA tensor meets a supported shape, so
``import monarch_sci`` never imports Triton.

Every kernel sees real "elements" of width E (1 for real dtypes, 2 for complex numbers stored as
(re, im) pairs) and real stacked weights: R2 (k, E*q, E*p), L2 (l, E*s, E*r) (see ``monarch.fixed.real_form``).
Intermediates are feature-major (row = feature, column = batch), so every block multiply of the L
stage is one 2-D tensor-core dot whose loads and stores are contiguous along the batch, and each
permutation is index arithmetic on rows:

    stage1        x (B, k*E*p)  -R2 blocks---------->  U (l*E*r, B), row ((ll*r + rr)*E + c)
    blocks_t      U             -L2 blocks---------->  Zt (s*l*E, B), row ((ss*l + ll)*E + c)
    transpose     Zt                                   z (B, s*l*E)
    transpose     g (B, s*l*E)                         Gt (s*l*E, B)
    blocks_t      Gt            -L2^T blocks-------->  V (k*E*q, B), row ((rr*l + ll)*E + c)
    stage1_adj    V             -R2^T blocks-------->  gx (B, k*E*p)

(An L stage that writes z directly must scatter each block's outputs with a stride of l elements;
through the feature-major Zt the scatter becomes one tile transpose. For 64 blocks of 64 in 2-byte data
the CUDA kernel ``_l_stage_b64`` does the scatter itself, 16 blocks at a time, in 32-byte runs.)

Small factors (every block 16 or 32 wide, l = q, r = k, 2-byte data) run the forward in one launch
instead (``whole``): a program takes BM rows of x as (k, BM, p), multiplies all R blocks in one 3-D
dot, permutes the intermediate to (q, BM, k) on chip, multiplies all L blocks in a second 3-D dot
and stores its rows of z contiguously.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _stage1_tile(x_ptr, w_ptr, u_ptr, b0, kk, nrows, sx, ldu,
                 Q_: tl.constexpr, P_: tl.constexpr, L_: tl.constexpr, R_: tl.constexpr, E: tl.constexpr,
                 BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, PREC: tl.constexpr):
    """R block kk on rows [b0, b0+BM): u[row(t, c), b] = sum_j R2[kk, jq, j] x[b, kk*E*p + j]."""
    PW: tl.constexpr = E * P_
    QW: tl.constexpr = E * Q_
    rows = b0 + tl.arange(0, BM)
    rmask = rows < nrows
    xrow = x_ptr + rows.to(tl.int64) * sx + kk * PW
    for n0 in tl.static_range(0, QW, BN):
        cols = n0 + tl.arange(0, BN)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k0 in tl.static_range(0, PW, BK):
            ks = k0 + tl.arange(0, BK)
            xt = tl.load(xrow[:, None] + ks[None, :], mask=rmask[:, None] & (ks[None, :] < PW), other=0.0)
            wt = tl.load(w_ptr + kk * (QW * PW) + cols[None, :] * PW + ks[:, None],
                         mask=(ks[:, None] < PW) & (cols[None, :] < QW), other=0.0)
            acc = tl.dot(xt, wt, acc, input_precision=PREC)
        t = kk * Q_ + cols // E
        dst = ((t % L_) * R_ + t // L_) * E + cols % E
        tl.store(u_ptr + dst[None, :].to(tl.int64) * ldu + rows[:, None], acc.to(u_ptr.dtype.element_ty),
                 mask=rmask[:, None] & (cols[None, :] < QW))


@triton.jit
def _stage1_adj_tile(v_ptr, w_ptr, gx_ptr, x_ptr, dw, b0, kk, nrows, ldv, sx,
                     Q_: tl.constexpr, P_: tl.constexpr, E: tl.constexpr,
                     BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, WGRAD: tl.constexpr, PREC: tl.constexpr):
    """Transpose of stage 1: gx[b, kk*E*p + j] = sum_i R2[kk, i, j] v[kk*E*q + i, b]; with WGRAD (the block one
    (BK, BN) tile) returns dw + sum_b v[kk*E*q + i, b] x[b, kk*E*p + j], the rows' share of dR2[kk]."""
    PW: tl.constexpr = E * P_
    QW: tl.constexpr = E * Q_
    rows = b0 + tl.arange(0, BM)
    rmask = rows < nrows
    for n0 in tl.static_range(0, PW, BN):
        cols = n0 + tl.arange(0, BN)
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        for k0 in tl.static_range(0, QW, BK):
            ks = k0 + tl.arange(0, BK)
            vt = tl.load(v_ptr + (kk * QW + ks[None, :]).to(tl.int64) * ldv + rows[:, None],
                         mask=rmask[:, None] & (ks[None, :] < QW), other=0.0)
            wt = tl.load(w_ptr + kk * (QW * PW) + ks[:, None] * PW + cols[None, :],
                         mask=(ks[:, None] < QW) & (cols[None, :] < PW), other=0.0)
            acc = tl.dot(vt, wt, acc, input_precision=PREC)
            if WGRAD:
                xt = tl.load(x_ptr + rows.to(tl.int64)[:, None] * sx + kk * PW + cols[None, :],
                             mask=rmask[:, None] & (cols[None, :] < PW), other=0.0)
                dw = tl.dot(tl.trans(vt), xt, dw, input_precision=PREC)
        tl.store(gx_ptr + rows.to(tl.int64)[:, None] * sx + kk * PW + cols[None, :], acc.to(gx_ptr.dtype.element_ty),
                 mask=rmask[:, None] & (cols[None, :] < PW))
    return dw


@triton.jit
def _stage1_kernel(x_ptr, w_ptr, u_ptr, nrows, sx, ldu,
                   K_: tl.constexpr, Q_: tl.constexpr, P_: tl.constexpr, L_: tl.constexpr, R_: tl.constexpr,
                   E: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, KG: tl.constexpr,
                   PREC: tl.constexpr):
    b0 = tl.program_id(0) * BM
    k_lo = tl.program_id(1) * KG
    for j in range(KG):
        kk = k_lo + j
        _stage1_tile(x_ptr, w_ptr, u_ptr, b0, kk, nrows, sx, ldu, Q_, P_, L_, R_, E, BM, BN, BK, PREC)


@triton.jit
def _stage1_adj_kernel(v_ptr, w_ptr, gx_ptr, x_ptr, dw_ptr, nrows, ldv, sx,
                       K_: tl.constexpr, Q_: tl.constexpr, P_: tl.constexpr, E: tl.constexpr,
                       BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, KG: tl.constexpr, TILES: tl.constexpr,
                       WGRAD: tl.constexpr, PREC: tl.constexpr):
    """R blocks [k_lo, k_lo + KG) on the row tiles [TILES g, TILES g + TILES) for g = program_id(0); WGRAD: the
    tiles' sums of dR2[kk] to dw_ptr[g, kk] (float32, (E*q, E*p))."""
    k_lo = tl.program_id(1) * KG
    for j in range(KG):
        kk = k_lo + j
        dw = tl.zeros((BK, BN), dtype=tl.float32)
        for t in range(TILES):
            b0 = (tl.program_id(0) * TILES + t) * BM
            dw = _stage1_adj_tile(v_ptr, w_ptr, gx_ptr, x_ptr, dw, b0, kk, nrows, ldv, sx, Q_, P_, E, BM, BN, BK,
                                  WGRAD, PREC)
        if WGRAD:
            ii = tl.arange(0, BK)
            jj = tl.arange(0, BN)
            tl.store(dw_ptr + (tl.program_id(0) * K_ + kk).to(tl.int64) * (E * Q_ * E * P_) + ii[:, None] * (E * P_)
                     + jj[None, :], dw, mask=(ii[:, None] < E * Q_) & (jj[None, :] < E * P_))


@triton.jit
def _blocks_t_kernel(in_ptr, w_ptr, out_ptr, u_ptr, dw_ptr, nrows, ld_in, ld_out, w_si, w_sj,
                     L_: tl.constexpr, NO: tl.constexpr, NI: tl.constexpr, E: tl.constexpr,
                     IN_PERM: tl.constexpr, OUT_PERM: tl.constexpr, BB: tl.constexpr, BO: tl.constexpr,
                     BK: tl.constexpr, TILES: tl.constexpr, WGRAD: tl.constexpr, PREC: tl.constexpr):
    """Block ll = program_id(1) on the batch tiles [TILES g, TILES g + TILES) of BB columns (g = program_id(0))
    of feature-major data: out[orow(i), b] = sum_j W[ll, i, j] in[irow(j), b], W[ll, i, j] at
    w_ptr + ll*NO*NI + i*w_si + j*w_sj, rows ll*N + i (contiguous) or ((i//E)*L_ + ll)*E + i%E (PERM: the
    Monarch permutation). WGRAD (the block one (BO, BK) tile): the tiles' sums of
    dW[ll, j, i] = sum_b in[irow(j), b] u[ll*NO + i, b] to dw_ptr[g, ll] (float32, (NI, NO))."""
    ll = tl.program_id(1)
    w_blk = w_ptr + ll * (NO * NI)
    dw = tl.zeros((BK, BO), dtype=tl.float32)
    for t in range(TILES):
        bs = (tl.program_id(0) * TILES + t) * BB + tl.arange(0, BB)
        bmask = bs < nrows
        for o0 in tl.static_range(0, NO, BO):
            i = o0 + tl.arange(0, BO)
            acc = tl.zeros((BO, BB), dtype=tl.float32)
            for k0 in tl.static_range(0, NI, BK):
                j = k0 + tl.arange(0, BK)
                w = tl.load(w_blk + i[:, None] * w_si + j[None, :] * w_sj, mask=(i[:, None] < NO) & (j[None, :] < NI),
                            other=0.0)
                if IN_PERM:
                    irow = ((j // E) * L_ + ll) * E + j % E
                else:
                    irow = ll * NI + j
                a = tl.load(in_ptr + irow[:, None].to(tl.int64) * ld_in + bs[None, :],
                            mask=(j[:, None] < NI) & bmask[None, :], other=0.0)
                acc = tl.dot(w, a, acc, input_precision=PREC)
                if WGRAD:
                    ut = tl.load(u_ptr + (ll * NO + i)[:, None].to(tl.int64) * ld_in + bs[None, :],
                                 mask=(i[:, None] < NO) & bmask[None, :], other=0.0)
                    dw = tl.dot(a, tl.trans(ut), dw, input_precision=PREC)
            if OUT_PERM:
                orow = ((i // E) * L_ + ll) * E + i % E
            else:
                orow = ll * NO + i
            tl.store(out_ptr + orow[:, None].to(tl.int64) * ld_out + bs[None, :], acc.to(out_ptr.dtype.element_ty),
                     mask=(i[:, None] < NO) & bmask[None, :])
    if WGRAD:
        jj = tl.arange(0, BK)
        ii = tl.arange(0, BO)
        tl.store(dw_ptr + (tl.program_id(0) * L_ + ll).to(tl.int64) * (NI * NO) + jj[:, None] * NO + ii[None, :], dw,
                 mask=(jj[:, None] < NI) & (ii[None, :] < NO))


@triton.jit
def _transpose_kernel(src_ptr, dst_ptr, rows, cols, ld_src, ld_dst, TR: tl.constexpr, TC: tl.constexpr):
    """dst[c, r] = src[r, c] on one (TR, TC) tile."""
    r = tl.program_id(0) * TR + tl.arange(0, TR)
    c = tl.program_id(1) * TC + tl.arange(0, TC)
    tile = tl.load(src_ptr + r[:, None].to(tl.int64) * ld_src + c[None, :], mask=(r[:, None] < rows) & (c[None, :] < cols))
    tl.store(dst_ptr + c[:, None].to(tl.int64) * ld_dst + r[None, :], tl.trans(tile),
             mask=(c[:, None] < cols) & (r[None, :] < rows))


@triton.jit
def _sum_groups_kernel(src_ptr, dst_ptr, numel, GROUPS: tl.constexpr, GP2: tl.constexpr, BLOCK: tl.constexpr):
    """dst[i] = sum_g src[g, i] over a (GROUPS, numel) float32 array (GP2: GROUPS rounded up to a power of two),
    added in float32 and stored in dst's dtype."""
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    g = tl.arange(0, GP2)
    parts = tl.load(src_ptr + g[:, None].to(tl.int64) * numel + i[None, :],
                    mask=(g[:, None] < GROUPS) & (i[None, :] < numel), other=0.0)
    tl.store(dst_ptr + i, tl.sum(parts, 0).to(dst_ptr.dtype.element_ty), mask=i < numel)


@triton.jit
def _row_tile(x_ptr, t, nrows, K_: tl.constexpr, P_: tl.constexpr, BM: tl.constexpr):
    """x rows [t*BM, t*BM + BM) as (K_, BM, P_): block kk of row b at [kk, b - t*BM, :]; zeros past nrows."""
    rows = t * BM + tl.arange(0, BM)
    kk = tl.arange(0, K_)
    pp = tl.arange(0, P_)
    return tl.load(x_ptr + rows[None, :, None].to(tl.int64) * (K_ * P_) + kk[:, None, None] * P_ + pp[None, None, :],
                   mask=rows[None, :, None] < nrows, other=0.0)


@triton.jit
def _whole_kernel(x_ptr, r_ptr, l_ptr, z_ptr, nrows, K_: tl.constexpr, Q_: tl.constexpr, P_: tl.constexpr,
                  S_: tl.constexpr, BM: tl.constexpr, QS: tl.constexpr, PREFETCH: tl.constexpr, PREC: tl.constexpr):
    """z[b, ss*Q_ + qq] = sum_kk L[qq, ss, kk] sum_pp R[kk, qq, pp] x[b, kk*P_ + pp] for the QS blocks qq in
    [q0, q0 + QS) (program axis 1: the R stage's outputs qq feed only the L block qq). Persistent along axis 0:
    program i loads its R columns and L blocks once (the compiler keeps them in shared memory) and runs over
    the row tiles i, i + programs, ...; PREFETCH issues the next tile's loads before this tile's products."""
    kk = tl.arange(0, K_)
    pp = tl.arange(0, P_)
    qq = tl.program_id(1) * QS + tl.arange(0, QS)
    ss = tl.arange(0, S_)
    nprog = tl.num_programs(0)
    rt3 = tl.load(r_ptr + kk[:, None, None] * (Q_ * P_) + qq[None, None, :] * P_ + pp[None, :, None])  # R^T blocks
    lt3 = tl.load(l_ptr + qq[:, None, None] * (S_ * K_) + ss[None, None, :] * K_ + kk[None, :, None])  # L^T blocks
    if PREFETCH:
        x_next = _row_tile(x_ptr, tl.program_id(0), nrows, K_, P_, BM)
    for t in range(tl.program_id(0), tl.cdiv(nrows, BM), nprog):
        if PREFETCH:
            x3 = x_next
            x_next = _row_tile(x_ptr, t + nprog, nrows, K_, P_, BM)
        else:
            x3 = _row_tile(x_ptr, t, nrows, K_, P_, BM)
        u3 = tl.dot(x3, rt3, input_precision=PREC)  # (K_, BM, QS)
        v3 = tl.permute(u3.to(x_ptr.dtype.element_ty), (2, 1, 0))  # (QS, BM, K_): the middle permutation
        w3 = tl.dot(v3, lt3, input_precision=PREC)  # (QS, BM, S_)
        z3 = tl.permute(w3, (1, 2, 0))  # (BM, S_, QS): the output permutation
        rows = t * BM + tl.arange(0, BM)
        rmask = rows < nrows
        if QS == Q_:  # whole rows: one contiguous store each (a 3-D store is ~10 % slower at n = 256)
            cols = tl.arange(0, S_ * Q_)
            tl.store(z_ptr + rows[:, None].to(tl.int64) * (S_ * Q_) + cols[None, :],
                     tl.reshape(z3, (BM, S_ * Q_)).to(z_ptr.dtype.element_ty), mask=rmask[:, None])
        else:
            tl.store(z_ptr + rows[:, None, None].to(tl.int64) * (S_ * Q_) + ss[None, :, None] * Q_ + qq[None, None, :],
                     z3.to(z_ptr.dtype.element_ty), mask=rmask[:, None, None])


# --- launchers: shapes are (k, q, p, l, s, r, E); x-like arrays are 2-D real (B, width) -----------

def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def stage1(x: torch.Tensor, W: torch.Tensor, dims, cfg, prec: str) -> torch.Tensor:
    """U (l*E*r, B): the R stage of x (B, k*E*p), stored transposed and permuted for stage 2."""
    k, q, p, l, s, r, E = dims
    B = x.shape[0]
    u = torch.empty(l * r * E, B, dtype=x.dtype, device=x.device)
    c = cfg["s1"]
    grid = (_cdiv(B, c["BM"]), _cdiv(k, c["KG"]))
    _stage1_kernel[grid](x, W, u, B, x.stride(0), B, k, q, p, l, r, E, c["BM"], c["BN"], c["BK"], c["KG"], prec,
                         num_warps=c["warps"], num_stages=c["stages"])
    return u


def stage1_adj(v: torch.Tensor, W: torch.Tensor, B: int, dims, cfg, prec: str, x: torch.Tensor | None = None):
    """(gx (B, k*E*p), dR2): gx from the transposed scratch v (k*E*q, B); with x (B, k*E*p) also dR2 (k, E*q, E*p),
    dR2[kk] = V_kk x_kk summed over the batch (``fuses_r_grad`` must hold), else None."""
    k, q, p, l, s, r, E = dims
    gx = torch.empty(B, k * p * E, dtype=v.dtype, device=v.device)
    c = cfg["s1a" if x is None else "s1g"]
    tiles = _cdiv(B, c["BM"])
    if x is None:  # a program a row tile and KG blocks
        groups, per, KG = tiles, 1, c["KG"]
    else:  # a program a block and several row tiles: at most "groups" float32 partial sums a block
        groups, KG = _grad_programs(tiles, c, prec), 1
        per = _cdiv(tiles, groups)
    dw = torch.empty(groups, k, E * q, E * p, dtype=torch.float32, device=v.device) if x is not None else gx
    _stage1_adj_kernel[(groups, _cdiv(k, KG))](v, W, gx, gx if x is None else x, dw, B, v.stride(0), gx.stride(0),
                                               k, q, p, E, c["BM"], c["BN"], c["BK"], KG, per, x is not None, prec,
                                               num_warps=c["warps"], num_stages=c["stages"])
    return gx, (sum_groups(dw, W.dtype) if x is not None else None)


def _grad_programs(tiles: int, c: dict, prec: str) -> int:
    """Programs a block when a transposed stage adds up a weight gradient: c["groups"], or one a tile in 3xTF32,
    whose three products a tile spill when a program loops over several (results/kernels_notes.md); there the
    float32 partial sums take at most half of x's bytes a weight (blocks of at most 64, tiles of 128)."""
    return tiles if prec == "tf32x3" else min(tiles, c["groups"])


def fuses_r_grad(dims, cfg) -> bool:
    """Whether ``stage1_adj`` adds up dR2: the config asks for it and an R block is one tile of it."""
    k, q, p, l, s, r, E = dims
    return cfg.get("wgrad", False) and E * q <= cfg["s1g"]["BK"] and E * p <= cfg["s1g"]["BN"]


def fuses_l_grad(dims, cfg) -> bool:
    """Whether ``stage2t_adj`` adds up dL2: the config asks for it and an L block is one tile of it."""
    k, q, p, l, s, r, E = dims
    return cfg.get("wgrad", False) and E * r <= cfg["t2"]["BO"] and E * s <= cfg["t2"]["BK"]


def sum_groups(parts: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """parts.sum(0) in float32, returned in dtype: a weight gradient from a kernel's per-group partial sums, in
    one kernel (8 groups of 64^3 on an H200: 6.9 us, torch's sum and cast 9.2 us)."""
    out = torch.empty(parts.shape[1:], dtype=dtype, device=parts.device)
    numel, groups = out.numel(), parts.shape[0]
    block = max(16, 4096 // triton.next_power_of_2(groups))
    _sum_groups_kernel[(_cdiv(numel, block),)](parts, out, numel, groups, triton.next_power_of_2(groups), block,
                                               num_warps=4)
    return out


def transpose(a: torch.Tensor, cfg) -> torch.Tensor:
    """a.T made contiguous: (rows, cols) -> (cols, rows)."""
    rows, cols = a.shape
    out = torch.empty(cols, rows, dtype=a.dtype, device=a.device)
    c = cfg["tr"]
    _transpose_kernel[(_cdiv(rows, c["T"]), _cdiv(cols, c["T"]))](a, out, rows, cols, a.stride(0), rows, c["T"], c["T"],
                                                                 num_warps=c["warps"])
    return out


def _blocks_t(src: torch.Tensor, W: torch.Tensor, n_out: int, n_in: int, w_strides, in_perm: bool, dims, cfg,
              prec: str, u: torch.Tensor | None = None):
    k, q, p, l, s, r, E = dims
    B = src.shape[1]
    out = torch.empty(l * n_out, B, dtype=src.dtype, device=src.device)
    c = cfg["t2"]
    tiles = _cdiv(B, c["BB"])
    groups = _grad_programs(tiles, c, prec) if u is not None else tiles
    dw = torch.empty(groups, l, n_in, n_out, dtype=torch.float32, device=src.device) if u is not None else out
    _blocks_t_kernel[(groups, l)](src, W, out, out if u is None else u, dw, B, src.stride(0), B, *w_strides, l, n_out,
                                  n_in, E, in_perm, True, c["BB"], c["BO"], c["BK"], _cdiv(tiles, groups), u is not None,
                                  prec, num_warps=c["warps"])
    return out, (sum_groups(dw, W.dtype) if u is not None else None)


def stage2t(u: torch.Tensor, W: torch.Tensor, dims, cfg, prec: str) -> torch.Tensor:
    """Zt (s*l*E, B), z transposed: the L stage of the stage-1 output u (l*E*r, B)."""
    k, q, p, l, s, r, E = dims
    return _blocks_t(u, W, E * s, E * r, (E * r, 1), False, dims, cfg, prec)[0]


def stage2t_adj(gt: torch.Tensor, W: torch.Tensor, dims, cfg, prec: str, u: torch.Tensor | None = None):
    """(V (k*E*q, B), dL2): the transposed L stage of Gt (s*l*E, B), the output gradient transposed; with the R
    stage's output u (l*E*r, B) also dL2 (l, E*s, E*r), dL2[ll] = Gt_ll U_ll^T summed over the batch
    (``fuses_l_grad`` must hold), else None."""
    k, q, p, l, s, r, E = dims
    return _blocks_t(gt, W, E * r, E * s, (1, E * r), True, dims, cfg, prec, u)


def whole(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor, dims, cfg, prec: str) -> torch.Tensor:
    """z (B, s*l) = M x in one launch, for the factors ``make_config`` gives a "whole" entry: at most
    "programs" programs along the tiles of BM rows, each running over several, x groups of QS of the l blocks."""
    k, q, p, l, s, r, E = dims
    B = x.shape[0]
    z = torch.empty(B, s * l, dtype=x.dtype, device=x.device)
    c = cfg["whole"]
    grid = (min(_cdiv(B, c["BM"]), c["programs"]), q // c["QS"])
    _whole_kernel[grid](x, R, L, z, B, k, q, p, s, c["BM"], c["QS"], c["prefetch"], prec, num_warps=c["warps"])
    return z
