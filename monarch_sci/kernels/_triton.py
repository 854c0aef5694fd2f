"""Triton kernels for one Monarch factor on real data (complex data arrive as real pairs).

Imported only through ``monarch_sci.kernels.fused`` when a CUDA tensor meets a supported shape, so
``import monarch_sci`` never imports Triton.

Every kernel sees real "elements" of width E (1 for real dtypes, 2 for complex numbers stored as
(re, im) pairs) and real stacked weights: R2 (k, E*q, E*p), L2 (l, E*s, E*r) (see ``fused.stack``).
The four tile functions are the four block steps of M = P_out L P_mid R and of its transpose:

    stage1      x (B, k*E*p)  -R2 blocks->  U scratch, row ((ll*r + rr)*E + c), column b
    stage2      U scratch     -L2 blocks->  z (B, s*l*E), output permutation fused in the store
    stage2_adj  g (B, s*l*E)  -L2^T------>  V scratch, row (t*E + c) with t = rr*l + ll, column b
    stage1_adj  V scratch     -R2^T------>  gx (B, k*E*p)

The scratch holds the intermediate transposed (feature-major, batch-minor), so every scratch read
and write is contiguous along the batch and both permutations cost nothing but index arithmetic.
``fused_forward`` runs stage1 and stage2 in one persistent launch: batch chunks flow through a ring
of scratch slots small enough to stay in L2, with per-chunk counters ordering the two phases.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _stage1_tile(x_ptr, w_ptr, u_ptr, b0, kk, nrows, sx, ldu, ub0,
                 Q_: tl.constexpr, P_: tl.constexpr, L_: tl.constexpr, R_: tl.constexpr, E: tl.constexpr,
                 BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, PREC: tl.constexpr, EV: tl.constexpr):
    """R block kk on rows [b0, b0+BM): u[row(t, c), b - ub0] = sum_j R2[kk, jq, j] x[b, kk*E*p + j]."""
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
            xt = tl.load(xrow[:, None] + ks[None, :], mask=rmask[:, None] & (ks[None, :] < PW), other=0.0,
                         eviction_policy=EV)
            wt = tl.load(w_ptr + kk * (QW * PW) + cols[None, :] * PW + ks[:, None],
                         mask=(ks[:, None] < PW) & (cols[None, :] < QW), other=0.0)
            acc = tl.dot(xt, wt, acc, input_precision=PREC)
        t = kk * Q_ + cols // E
        dst = ((t % L_) * R_ + t // L_) * E + cols % E
        tl.store(u_ptr + dst[None, :].to(tl.int64) * ldu + (rows - ub0)[:, None], acc.to(u_ptr.dtype.element_ty),
                 mask=rmask[:, None] & (cols[None, :] < QW))


@triton.jit
def _stage2_tile(u_ptr, w_ptr, z_ptr, b0, ll0, nrows, sz, ldu, ub0,
                 L_: tl.constexpr, S_: tl.constexpr, R_: tl.constexpr, E: tl.constexpr,
                 BM: tl.constexpr, GL: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                 PREC: tl.constexpr, CM: tl.constexpr, EV: tl.constexpr):
    """L blocks [ll0, ll0+GL) on rows [b0, b0+BM): z[b, (ss*l + ll)*E + c] = sum_j L2[ll, ss*E + c, j] u[ll*E*r + j, b].

    The GL blocks are one batched (3-D) tl.dot, so z is written in contiguous runs of GL*E elements."""
    SW: tl.constexpr = E * S_
    RW: tl.constexpr = E * R_
    lls = ll0 + tl.arange(0, GL)
    lmask = lls < L_
    rows = b0 + tl.arange(0, BM)
    rmask = rows < nrows
    gj = tl.arange(0, GL * E)  # (block, component) pairs, contiguous in z
    for n0 in tl.static_range(0, SW, BN):
        cols = n0 + tl.arange(0, BN)
        acc = tl.zeros((GL, BM, BN), dtype=tl.float32)
        for k0 in range(0, RW, BK):  # a runtime loop, so Triton pipelines its loads
            ks = k0 + tl.arange(0, BK)
            ut = tl.load(u_ptr + (lls[:, None, None] * RW + ks[None, None, :]).to(tl.int64) * ldu
                         + (rows - ub0)[None, :, None],
                         mask=lmask[:, None, None] & rmask[None, :, None] & (ks[None, None, :] < RW), other=0.0,
                         cache_modifier=CM)
            wt = tl.load(w_ptr + lls[:, None, None] * (SW * RW) + cols[None, None, :] * RW + ks[None, :, None],
                         mask=lmask[:, None, None] & (ks[None, :, None] < RW) & (cols[None, None, :] < SW), other=0.0)
            acc = tl.dot(ut, wt, acc, input_precision=PREC)
        out = tl.reshape(acc.to(z_ptr.dtype.element_ty), (GL, BM, BN // E, E))
        out = tl.reshape(tl.permute(out, (1, 2, 0, 3)), (BM, BN // E, GL * E))
        ss = n0 // E + tl.arange(0, BN // E)
        off = rows.to(tl.int64)[:, None, None] * sz + (ss[None, :, None] * L_ + ll0) * E + gj[None, None, :]
        mask = rmask[:, None, None] & (ss[None, :, None] < S_) & ((ll0 + gj // E)[None, None, :] < L_)
        tl.store(z_ptr + off, out, mask=mask, eviction_policy=EV)


@triton.jit
def _stage2_adj_tile(g_ptr, w_ptr, v_ptr, gzt_ptr, b0, ll0, nrows, sg, ldv,
                     L_: tl.constexpr, S_: tl.constexpr, R_: tl.constexpr, E: tl.constexpr,
                     BM: tl.constexpr, GL: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                     PREC: tl.constexpr, WRITE_GZT: tl.constexpr):
    """Transpose of stage 2: v[(rr*l + ll)*E + c, b] = sum_i L2[ll, i, rr*E + c] g[b, ((i//E)*l + ll)*E + i%E].

    With WRITE_GZT, also gzt[ll*E*s + i, b] = g[b, ...] (the gathered blocks, for the L gradient).
    """
    SW: tl.constexpr = E * S_
    RW: tl.constexpr = E * R_
    lls = ll0 + tl.arange(0, GL)
    lmask = lls < L_
    rows = b0 + tl.arange(0, BM)
    rmask = rows < nrows
    gj = tl.arange(0, GL * E)
    for n0 in tl.static_range(0, RW, BN):
        cols = n0 + tl.arange(0, BN)
        acc = tl.zeros((GL, BM, BN), dtype=tl.float32)
        for k0 in range(0, SW, BK):
            ss = k0 // E + tl.arange(0, BK // E)
            off = rows.to(tl.int64)[:, None, None] * sg + (ss[None, :, None] * L_ + ll0) * E + gj[None, None, :]
            mask = rmask[:, None, None] & (ss[None, :, None] < S_) & ((ll0 + gj // E)[None, None, :] < L_)
            gt = tl.load(g_ptr + off, mask=mask, other=0.0)  # (BM, BK/E, GL*E), contiguous last axis
            gt = tl.reshape(gt, (BM, BK // E, GL, E))
            gt = tl.reshape(tl.permute(gt, (2, 0, 1, 3)), (GL, BM, BK))
            ks = k0 + tl.arange(0, BK)
            if WRITE_GZT and n0 == 0:  # n0 is static: this branch is compiled for the first column chunk only
                tl.store(gzt_ptr + (lls[:, None, None] * SW + ks[None, None, :]).to(tl.int64) * ldv
                         + rows[None, :, None], gt,
                         mask=lmask[:, None, None] & rmask[None, :, None] & (ks[None, None, :] < SW))
            wt = tl.load(w_ptr + lls[:, None, None] * (SW * RW) + ks[None, :, None] * RW + cols[None, None, :],
                         mask=lmask[:, None, None] & (ks[None, :, None] < SW) & (cols[None, None, :] < RW), other=0.0)
            acc = tl.dot(gt, wt, acc, input_precision=PREC)
        dst = ((cols // E)[None, None, :] * L_ + lls[:, None, None]) * E + (cols % E)[None, None, :]
        tl.store(v_ptr + dst.to(tl.int64) * ldv + rows[None, :, None], acc.to(v_ptr.dtype.element_ty),
                 mask=lmask[:, None, None] & rmask[None, :, None] & (cols[None, None, :] < RW))


@triton.jit
def _stage1_adj_tile(v_ptr, w_ptr, gx_ptr, b0, kk, nrows, ldv, sx,
                     Q_: tl.constexpr, P_: tl.constexpr, E: tl.constexpr,
                     BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, PREC: tl.constexpr):
    """Transpose of stage 1: gx[b, kk*E*p + j] = sum_i R2[kk, i, j] v[kk*E*q + i, b]."""
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
        tl.store(gx_ptr + rows.to(tl.int64)[:, None] * sx + kk * PW + cols[None, :], acc.to(gx_ptr.dtype.element_ty),
                 mask=rmask[:, None] & (cols[None, :] < PW))


@triton.jit
def _stage1_kernel(x_ptr, w_ptr, u_ptr, nrows, sx, ldu,
                   K_: tl.constexpr, Q_: tl.constexpr, P_: tl.constexpr, L_: tl.constexpr, R_: tl.constexpr,
                   E: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, KG: tl.constexpr,
                   PREC: tl.constexpr):
    b0 = tl.program_id(0) * BM
    k_lo = tl.program_id(1) * KG
    for j in range(KG):
        kk = k_lo + j
        _stage1_tile(x_ptr, w_ptr, u_ptr, b0, kk, nrows, sx, ldu, 0, Q_, P_, L_, R_, E, BM, BN, BK, PREC, "")


@triton.jit
def _stage2_kernel(u_ptr, w_ptr, z_ptr, nrows, sz, ldu,
                   L_: tl.constexpr, S_: tl.constexpr, R_: tl.constexpr, E: tl.constexpr,
                   BM: tl.constexpr, GL: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, NG: tl.constexpr,
                   PREC: tl.constexpr):
    b0 = tl.program_id(0) * BM
    g_lo = tl.program_id(1) * NG
    for j in range(NG):
        gi = g_lo + j
        _stage2_tile(u_ptr, w_ptr, z_ptr, b0, gi * GL, nrows, sz, ldu, 0, L_, S_, R_, E, BM, GL, BN, BK, PREC, "", "")


@triton.jit
def _stage2_adj_kernel(g_ptr, w_ptr, v_ptr, gzt_ptr, nrows, sg, ldv,
                       L_: tl.constexpr, S_: tl.constexpr, R_: tl.constexpr, E: tl.constexpr,
                       BM: tl.constexpr, GL: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, NG: tl.constexpr,
                       PREC: tl.constexpr, WRITE_GZT: tl.constexpr):
    b0 = tl.program_id(0) * BM
    g_lo = tl.program_id(1) * NG
    for j in range(NG):
        gi = g_lo + j
        _stage2_adj_tile(g_ptr, w_ptr, v_ptr, gzt_ptr, b0, gi * GL, nrows, sg, ldv, L_, S_, R_, E, BM, GL, BN, BK,
                         PREC, WRITE_GZT)


@triton.jit
def _stage1_adj_kernel(v_ptr, w_ptr, gx_ptr, nrows, ldv, sx,
                       K_: tl.constexpr, Q_: tl.constexpr, P_: tl.constexpr, E: tl.constexpr,
                       BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, KG: tl.constexpr, PREC: tl.constexpr):
    b0 = tl.program_id(0) * BM
    k_lo = tl.program_id(1) * KG
    for j in range(KG):
        kk = k_lo + j
        _stage1_adj_tile(v_ptr, w_ptr, gx_ptr, b0, kk, nrows, ldv, sx, Q_, P_, E, BM, BN, BK, PREC)


@triton.jit
def _fused_forward_kernel(x_ptr, wr_ptr, wl_ptr, z_ptr, scr_ptr, cnt_ptr, nrows, nchunk, sx, sz,
                          K_: tl.constexpr, Q_: tl.constexpr, P_: tl.constexpr, L_: tl.constexpr,
                          S_: tl.constexpr, R_: tl.constexpr, E: tl.constexpr, BC: tl.constexpr,
                          NSLOT: tl.constexpr, BM1: tl.constexpr, BN1: tl.constexpr, BK1: tl.constexpr,
                          KG: tl.constexpr, BM2: tl.constexpr, GL: tl.constexpr, BN2: tl.constexpr,
                          BK2: tl.constexpr, NG: tl.constexpr, PREC: tl.constexpr):
    """Persistent forward. Tickets, claimed in order from cnt[0], run chunk phases in the order
    S1(0), S1(1), S2(0), S1(2), S2(1), ..., S2(last); a phase-2 tile waits for every phase-1 tile of
    its chunk (cnt[1 + c]) and a phase-1 tile waits until its slot's previous chunk is consumed
    (cnt[1 + nchunk + c - NSLOT]). Waits only ever target earlier tickets, held by running programs."""
    NG1: tl.constexpr = (K_ + KG - 1) // KG
    T1: tl.constexpr = (BC // BM1) * NG1
    NGL: tl.constexpr = (L_ + GL - 1) // GL
    NG2: tl.constexpr = (NGL + NG - 1) // NG
    T2: tl.constexpr = (BC // BM2) * NG2
    SEG: tl.constexpr = T1 + T2
    SLOT: tl.constexpr = K_ * Q_ * E * BC
    total = nchunk * SEG
    ticket = tl.atomic_add(cnt_ptr, 1)
    while ticket < total:
        w = tl.where(ticket < T1, ticket, ticket + T2)  # as if S2(-1) followed S1(0)
        seg = w // SEG
        v = w - seg * SEG
        last = seg == nchunk  # the final segment holds S2(nchunk - 1) alone
        first = (v < T1) & (seg < nchunk)
        c = tl.where(first, seg, seg - 1)
        i = tl.where(first | last, v, v - T1)
        slot = scr_ptr + (c % NSLOT).to(tl.int64) * SLOT
        if first:
            if c >= NSLOT:
                while tl.atomic_add(cnt_ptr + 1 + nchunk + c - NSLOT, 0, sem="acquire") < T2:
                    pass
            bt = i // NG1
            k_lo = (i - bt * NG1) * KG
            for j in range(KG):
                kk = k_lo + j
                _stage1_tile(x_ptr, wr_ptr, slot, c * BC + bt * BM1, kk, nrows, sx, BC, c * BC,
                             Q_, P_, L_, R_, E, BM1, BN1, BK1, PREC, "evict_first")
            tl.debug_barrier()
            tl.atomic_add(cnt_ptr + 1 + c, 1, sem="release")
        else:
            while tl.atomic_add(cnt_ptr + 1 + c, 0, sem="acquire") < T1:
                pass
            bt = i // NG2
            g_lo = (i - bt * NG2) * NG
            for j in range(NG):
                gi = g_lo + j
                _stage2_tile(slot, wl_ptr, z_ptr, c * BC + bt * BM2, gi * GL, nrows, sz, BC, c * BC,
                             L_, S_, R_, E, BM2, GL, BN2, BK2, PREC, ".cg", "evict_first")
            tl.debug_barrier()
            tl.atomic_add(cnt_ptr + 1 + nchunk + c, 1, sem="release")
        ticket = tl.atomic_add(cnt_ptr, 1)


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


def stage2(u: torch.Tensor, W: torch.Tensor, B: int, dims, cfg, prec: str) -> torch.Tensor:
    """z (B, s*l*E) from the stage-1 scratch u (l*E*r, B)."""
    k, q, p, l, s, r, E = dims
    z = torch.empty(B, s * l * E, dtype=u.dtype, device=u.device)
    c = cfg["s2"]
    grid = (_cdiv(B, c["BM"]), _cdiv(_cdiv(l, c["GL"]), c["NG"]))
    _stage2_kernel[grid](u, W, z, B, z.stride(0), u.stride(0), l, s, r, E, c["BM"], c["GL"], c["BN"], c["BK"],
                         c["NG"], prec, num_warps=c["warps"], num_stages=c["stages"])
    return z


def stage2_adj(g: torch.Tensor, W: torch.Tensor, dims, cfg, prec: str, want_gzt: bool):
    """V (k*E*q, B) = the transposed L stage of g (B, s*l*E); with want_gzt also the gathered g (l*E*s, B)."""
    k, q, p, l, s, r, E = dims
    B = g.shape[0]
    v = torch.empty(k * q * E, B, dtype=g.dtype, device=g.device)
    gzt = torch.empty(l * s * E, B, dtype=g.dtype, device=g.device) if want_gzt else v
    c = cfg["s2a"]
    grid = (_cdiv(B, c["BM"]), _cdiv(_cdiv(l, c["GL"]), c["NG"]))
    _stage2_adj_kernel[grid](g, W, v, gzt, B, g.stride(0), B, l, s, r, E, c["BM"], c["GL"], c["BN"], c["BK"],
                             c["NG"], prec, want_gzt, num_warps=c["warps"], num_stages=c["stages"])
    return v, (gzt if want_gzt else None)


def stage1_adj(v: torch.Tensor, W: torch.Tensor, B: int, dims, cfg, prec: str) -> torch.Tensor:
    """gx (B, k*E*p) from the transposed scratch v (k*E*q, B)."""
    k, q, p, l, s, r, E = dims
    gx = torch.empty(B, k * p * E, dtype=v.dtype, device=v.device)
    c = cfg["s1a"]
    grid = (_cdiv(B, c["BM"]), _cdiv(k, c["KG"]))
    _stage1_adj_kernel[grid](v, W, gx, B, v.stride(0), gx.stride(0), k, q, p, E, c["BM"], c["BN"], c["BK"],
                             c["KG"], prec, num_warps=c["warps"], num_stages=c["stages"])
    return gx


def fused_forward(x: torch.Tensor, WR: torch.Tensor, WL: torch.Tensor, dims, cfg, prec: str) -> torch.Tensor:
    """z (B, s*l*E) from x (B, k*E*p) in one persistent launch (intermediate in an L2-sized slot ring)."""
    k, q, p, l, s, r, E = dims
    B = x.shape[0]
    f, c1, c2 = cfg["fused"], cfg["s1"], cfg["s2"]
    BC = f["BC"]
    nchunk = _cdiv(B, BC)
    nslot = min(f["NSLOT"], nchunk)
    z = torch.empty(B, s * l * E, dtype=x.dtype, device=x.device)
    scratch = torch.empty(nslot * k * q * E * BC, dtype=x.dtype, device=x.device)
    counters = torch.zeros(1 + 2 * nchunk, dtype=torch.int32, device=x.device)
    t1 = (BC // c1["BM"]) * _cdiv(k, f["KG"])
    t2 = (BC // c2["BM"]) * _cdiv(_cdiv(l, c2["GL"]), f["NG"])
    grid = (min(nchunk * (t1 + t2), cfg["sms"] * f["PER_SM"]),)
    _fused_forward_kernel[grid](x, WR, WL, z, scratch, counters, B, nchunk, x.stride(0), z.stride(0),
                                k, q, p, l, s, r, E, BC, nslot, c1["BM"], c1["BN"], c1["BK"], f["KG"],
                                c2["BM"], c2["GL"], c2["BN"], c2["BK"], f["NG"], prec,
                                num_warps=f["warps"], num_stages=f["stages"])
    return z
