"""The kernel experiments behind results/kernels_notes.md (issue 8); run on the GPU machine from the
repository root. Times are medians of CUDA-graph replays after an L2 flush (``bench.suite._Timer``), bf16.

    PYTHONPATH=$PWD python results/kernels_experiments.py chunked   # -> kernels_chunked_l2_h200.json
    PYTHONPATH=$PWD python results/kernels_experiments.py whole     # -> kernels_whole_h200.json
    PYTHONPATH=$PWD python results/kernels_experiments.py grads     # -> kernels_grads_h200.json
    PYTHONPATH=$PWD python results/kernels_experiments.py direct_z  # -> kernels_direct_z_h200.json
    PYTHONPATH=$PWD python results/kernels_experiments.py profile   # -> kernels_profile_h200.json
    PYTHONPATH=$PWD python results/kernels_experiments.py l_stage   # -> kernels_l_stage_h200.json

chunked: the three forward kernels run chunk by chunk over the batch (8192 … 512 rows), U and Zt reused
  for every chunk so they can stay in the 50 MB L2, n = 4096 / 1024 / 16384 at batch 8192; and copies
  of 4 MiB … 1 GiB buffers repeated without a flush (the L2-resident copy rate).
whole: the one-launch forward for small factors (``_whole_kernel``) against the three kernels, a dense GEMM
  and a copy, over its rows per program (16 / 32), L blocks per program (all, or 16 of n = 1024's 32: two
  programs a row tile), warps (4 / 8), programs (1 / 2 / 4 an SM, each running over several row tiles) and
  prefetch of the next tile (off / on), n = 256 and 1024, batch 64 ... 32768, with each variant's
  registers, spills and shared memory; ``fused.whole_tiles`` is its best choice.
grads (tried, not shipped): a one-launch backward for the same factors (``_grads_kernel`` below: gx, gR and gL
  from x and the output gradient, the weight gradients as float32 partial sums a program) against the package's
  backward, forward + backward and adjoint, and a dense GEMM's forward + backward; over KS (R blocks a program),
  warps, programs an SM, and one launch or two (gx and gR, then gL), n = 256 and 1024, with registers and spills.
direct_z (tried, not shipped): the L stage of n = 4096 and 16384 writing z batch-major in runs of G blocks
  (``_l_stage_z_kernel``: a 3-D dot over G blocks), against the L stage and transpose it would replace.
l_stage: the CUDA L stage of n = 4096 that writes z itself (``_l_stage_b64``) against the Triton L stage and
  transpose it replaces, batch 64 ... 32768 (each forced, whatever ``make_config`` picks), with their errors
  against float64, and the forward and forward + backward with either.
profile: every kernel's device time in the package's forward + backward at n = 4096 and 16384, batch 8192
  (torch.profiler over 10 warm calls, no L2 flush).
JSON files go to $OUT when set (the device tool's folder), else to results/.
"""

import argparse
import itertools
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch
import triton
import triton.language as tl

from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _triton as tk
from monarch_sci.kernels import fused

DEV = torch.device("cuda")


def factors(nb: int, bs: int):
    R = torch.randn(nb, bs, bs, device=DEV, dtype=torch.bfloat16) / bs ** 0.5
    L = torch.randn(nb, bs, bs, device=DEV, dtype=torch.bfloat16) / bs ** 0.5
    return R, L


def stage_chunked(timer: _Timer) -> dict:
    res = {}
    flush = timer.flush
    timer.flush = torch.empty(1, dtype=torch.int8, device=DEV)  # no flush: the copies may stay in L2
    for mib in (4, 8, 16, 32, 64, 1024):
        a = torch.empty(mib << 20, dtype=torch.int8, device=DEV)
        b = torch.empty_like(a)
        res[f"copy_{mib}MiB_TBps"] = 2 * 10 * (mib << 20) / (timer(lambda: [b.copy_(a) for _ in range(10)])[0] * 1e-6) / 1e12
    timer.flush = flush
    for n, nb in ((4096, 64), (1024, 32), (16384, 128)):
        B, bs = 8192, n // nb
        x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
        R, L = factors(nb, bs)
        ref = fused.fused_apply(x, R, L).float()
        res[f"n{n}_fused_us"] = timer(lambda: fused.fused_apply(x, R, L))[0]
        for C in (8192, 4096, 2048, 1024, 512):
            c1, c2, ct = (fused.make_config((nb, bs, bs, nb, bs, bs, 1), 2, C)[key] for key in ("s1", "t2", "tr"))
            u, zt = (torch.empty(n, C, device=DEV, dtype=x.dtype) for _ in range(2))
            out = torch.empty(B, n, device=DEV, dtype=x.dtype)

            def run():
                for c0 in range(0, B, C):
                    tk._stage1_kernel[(tk._cdiv(C, c1["BM"]), tk._cdiv(nb, c1["KG"]))](
                        x[c0:c0 + C], R, u, C, n, C, nb, bs, bs, nb, bs, 1, c1["BM"], c1["BN"], c1["BK"], c1["KG"], "tf32",
                        num_warps=c1["warps"], num_stages=c1["stages"])
                    tk._blocks_t_kernel[(tk._cdiv(C, c2["BB"]), nb)](
                        u, L, zt, zt, zt, C, C, C, bs, 1, nb, bs, bs, 1, False, True, c2["BB"], c2["BO"], c2["BK"], 1,
                        False, "tf32", num_warps=c2["warps"])
                    tk._transpose_kernel[(tk._cdiv(n, ct["T"]), tk._cdiv(C, ct["T"]))](
                        zt, out[c0:c0 + C], n, C, C, n, ct["T"], ct["T"], num_warps=ct["warps"])

            run()
            res[f"n{n}_chunk{C}_err"] = ((out.float() - ref).abs().max() / ref.abs().max()).item()
            res[f"n{n}_chunk{C}_us"] = timer(run)[0]
            print(n, C, round(res[f"n{n}_chunk{C}_us"], 1), "unchunked", round(res[f"n{n}_fused_us"], 1), flush=True)
    return res


def stage_whole(timer: _Timer) -> dict:
    res = {}
    sms = torch.cuda.get_device_properties(DEV).multi_processor_count
    for nb, batches in ((16, (64, 1024, 8192, 32768)), (32, (64, 1024, 4096, 8192, 32768))):
        n = nb * nb
        R, L = factors(nb, nb)
        dense = torch.randn(n, n, device=DEV, dtype=torch.bfloat16)
        for B in batches:
            x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
            config = fused.make_config((nb,) * 6 + (1,), 2, fused._bucket(B), sms)
            three = {k: v for k, v in config.items() if k != "whole"}
            row = {"default": config.get("whole"), "dense": timer(lambda: x @ dense)[0],
                   "copy": timer(lambda: torch.empty_like(x).copy_(x))[0],
                   "three": timer(lambda: fused.fused_apply(x, R, L, config=three))[0]}
            ref = fused.fused_apply(x, R, L, config=three).float()
            for BM, QS, warps, per_sm, prefetch in itertools.product((16, 32), sorted({nb, 16}), (4, 8), (1, 2, 4),
                                                                     (False, True)):
                c = {**three, "whole": {"BM": BM, "QS": QS, "warps": warps, "programs": per_sm * sms,
                                        "prefetch": prefetch}}
                key = f"BM{BM}_QS{QS}_w{warps}_{per_sm}perSM" + ("_prefetch" if prefetch else "")
                try:
                    y = fused.fused_apply(x, R, L, config=c).float()
                except triton.runtime.errors.OutOfResources:  # 32 rows of n = 1024 with all blocks
                    continue
                kernel = tk._whole_kernel[(1, nb // QS)](x, R, L, torch.empty_like(x), B, nb, nb, nb, nb, BM, QS,
                                                         prefetch, "tf32", num_warps=warps)  # its compiler report
                row[key] = {"us": timer(lambda: fused.fused_apply(x, R, L, config=c))[0],
                            "err": ((y - ref).norm() / ref.norm()).item(),  # against the three kernels
                            "regs": kernel.n_regs, "spills": kernel.n_spills, "smem_KiB": kernel.metadata.shared >> 10}
            best = min((v["us"], k) for k, v in row.items() if isinstance(v, dict) and "us" in v)
            row["best"] = best
            res[f"n{n}_B{B}"] = row
            print(n, B, {k: round(v, 2) for k, v in row.items() if isinstance(v, float)}, "best", best, flush=True)
    return res


# --- kernels tried and not shipped (results/kernels_notes.md: "Tried in the third session of 2026-12-01") ---

@triton.jit
def _tile(ptr, t, nrows, k0, KS: tl.constexpr, K_: tl.constexpr, P_: tl.constexpr, BM: tl.constexpr):
    """Blocks [k0, k0 + KS) of rows [t*BM, t*BM + BM) of a (nrows, K_*P_) array as (KS, BM, P_); zeros past nrows."""
    rows = t * BM + tl.arange(0, BM)
    kk = k0 + tl.arange(0, KS)
    pp = tl.arange(0, P_)
    return tl.load(ptr + rows[None, :, None].to(tl.int64) * (K_ * P_) + kk[:, None, None] * P_ + pp[None, None, :],
                   mask=rows[None, :, None] < nrows, other=0.0)


@triton.jit
def _grads_kernel(g_ptr, x_ptr, r_ptr, l_ptr, gx_ptr, gr_ptr, gl_ptr, nrows, K_: tl.constexpr, Q_: tl.constexpr,
                  P_: tl.constexpr, S_: tl.constexpr, BM: tl.constexpr, KS: tl.constexpr,
                  NEED_X: tl.constexpr, NEED_R: tl.constexpr, NEED_L: tl.constexpr):
    """The one-launch backward of z = M x for small factors (l = q, r = k), R blocks [k0, k0 + KS) a program
    (axis 1), persistent along the row tiles (axis 0) like ``_whole_kernel``; with V = dU and U = R x:
    V[b, kk, qq] = sum_ss L[qq, ss, kk] g[b, ss*Q_ + qq]; gx[b, kk*P_ + pp] = sum_qq R[kk, qq, pp] V[b, kk, qq]
    (gx alone is the one-launch adjoint M^T g); gR[kk, qq, pp] += sum_b V[b, kk, qq] x[b, kk*P_ + pp];
    gL[qq, ss, kk] += sum_b g[b, ss*Q_ + qq] U[b, kk, qq]. Program i writes its float32 sums to gr_ptr[i],
    gl_ptr[i]; the caller adds them up."""
    k0 = tl.program_id(1) * KS
    kk = k0 + tl.arange(0, KS)
    qq = tl.arange(0, Q_)
    pp = tl.arange(0, P_)
    ss = tl.arange(0, S_)
    l3 = tl.load(l_ptr + qq[:, None, None] * (S_ * K_) + ss[None, :, None] * K_ + kk[None, None, :])  # (Q_, S_, KS)
    r3 = tl.load(r_ptr + kk[:, None, None] * (Q_ * P_) + qq[None, :, None] * P_ + pp[None, None, :])  # (KS, Q_, P_)
    gr = tl.zeros((KS, Q_, P_), dtype=tl.float32)
    gl = tl.zeros((Q_, S_, KS), dtype=tl.float32)
    for t in range(tl.program_id(0), tl.cdiv(nrows, BM), tl.num_programs(0)):
        gq = tl.permute(_tile(g_ptr, t, nrows, 0, S_, S_, Q_, BM), (2, 1, 0))  # (Q_, BM, S_)
        if NEED_R or NEED_L:
            x3 = _tile(x_ptr, t, nrows, k0, KS, K_, P_, BM)  # (KS, BM, P_)
        if NEED_X or NEED_R:
            vk = tl.permute(tl.dot(gq, l3).to(g_ptr.dtype.element_ty), (2, 1, 0))  # (KS, BM, Q_)
        if NEED_X:
            rows = t * BM + tl.arange(0, BM)
            tl.store(gx_ptr + rows[None, :, None].to(tl.int64) * (K_ * P_) + kk[:, None, None] * P_ + pp[None, None, :],
                     tl.dot(vk, r3).to(gx_ptr.dtype.element_ty), mask=rows[None, :, None] < nrows)
        if NEED_R:
            gr = tl.dot(tl.permute(vk, (0, 2, 1)), x3, gr)
        if NEED_L:
            u3 = tl.dot(x3, tl.permute(r3, (0, 2, 1))).to(x_ptr.dtype.element_ty)  # (KS, BM, Q_)
            gl = tl.dot(tl.permute(gq, (0, 2, 1)), tl.permute(u3, (2, 1, 0)), gl)
    i = tl.program_id(0).to(tl.int64)
    if NEED_R:
        tl.store(gr_ptr + i * (K_ * Q_ * P_) + kk[:, None, None] * (Q_ * P_) + qq[None, :, None] * P_ + pp[None, None, :], gr)
    if NEED_L:
        tl.store(gl_ptr + i * (Q_ * S_ * K_) + qq[:, None, None] * (S_ * K_) + ss[None, :, None] * K_ + kk[None, None, :], gl)


def grads(g, x, R, L, KS, warps, programs, flags):
    """(gx, gR, gL) through ``_grads_kernel``, one launch per entry of flags ((need_x, need_R, need_L) each), and the
    compiled kernels."""
    nb, B = R.shape[0], g.shape[0]
    grid = (min(tk._cdiv(B, 16), programs), nb // KS)
    gx = torch.empty_like(g)
    gr, gl = (torch.empty(grid[0], nb, nb, nb, device=DEV) for _ in range(2))
    compiled = [_grads_kernel[grid](g, x, R, L, gx, gr, gl, B, nb, nb, nb, nb, 16, KS, *f, num_warps=warps) for f in flags]
    need_R, need_L = any(f[1] for f in flags), any(f[2] for f in flags)
    return (gx, gr.sum(0).to(R.dtype) if need_R else None, gl.sum(0).to(L.dtype) if need_L else None), compiled


@triton.jit
def _l_stage_z_kernel(u_ptr, w_ptr, z_ptr, nrows, ldu, L_: tl.constexpr, S_: tl.constexpr, R_: tl.constexpr,
                      G: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr):
    """The L stage writing z batch-major (no transpose pass): z[b, ss*L_ + ll] = sum_rr W[ll, ss, rr] U[ll*R_ + rr, b]
    for the G blocks ll in [l0, l0 + G) (axis 1) and the BB batch columns of axis 0, as one 3-D dot; z in runs of G."""
    l0 = tl.program_id(1) * G
    bs = tl.program_id(0) * BB + tl.arange(0, BB)
    gg = tl.arange(0, G)
    ss = tl.arange(0, S_)
    bmask = bs < nrows
    acc = tl.zeros((G, S_, BB), dtype=tl.float32)
    for k0 in range(0, R_, BK):
        rr = k0 + tl.arange(0, BK)
        w3 = tl.load(w_ptr + (l0 + gg)[:, None, None] * (S_ * R_) + ss[None, :, None] * R_ + rr[None, None, :])
        u3 = tl.load(u_ptr + ((l0 + gg)[:, None, None] * R_ + rr[None, :, None]).to(tl.int64) * ldu + bs[None, None, :],
                     mask=bmask[None, None, :], other=0.0)
        acc = tl.dot(w3, u3, acc)
    tl.store(z_ptr + bs[:, None, None].to(tl.int64) * (S_ * L_) + ss[None, :, None] * L_ + (l0 + gg)[None, None, :],
             tl.permute(acc.to(z_ptr.dtype.element_ty), (2, 1, 0)), mask=bmask[:, None, None])


def stage_grads(timer: _Timer) -> dict:
    res = {}
    sms = torch.cuda.get_device_properties(DEV).multi_processor_count
    for nb in (16, 32):
        n, dims = nb * nb, (nb,) * 6 + (1,)
        R, L = (w.requires_grad_() for w in factors(nb, nb))
        dense = torch.randn(n, n, device=DEV, dtype=torch.bfloat16, requires_grad=True)
        for B in (64, 8192, 32768):
            x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16, requires_grad=True)
            gy = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
            ref = [g.float() for g in torch.autograd.grad(fused.fused_apply(x, R, L), (x, R, L), gy)]
            row = {"dense_fwdbwd": timer(lambda: torch.autograd.grad(x @ dense, (x, dense), gy))[0],
                   "fwdbwd": timer(lambda: torch.autograd.grad(fused.fused_apply(x, R, L), (x, R, L), gy))[0],
                   "adjoint": timer(lambda: fused.fused_apply(gy, R, L, adjoint=True))[0]}
            with torch.no_grad():
                row["fwd"] = timer(lambda: fused.fused_apply(x, R, L))[0]
                for KS, warps, per_sm, split in itertools.product(sorted({16, nb}), (4, 8), (1, 2), (False, True)):
                    flags = ((True, True, False), (False, False, True)) if split else ((True, True, True),)
                    try:
                        got, compiled = grads(gy, x, R, L, KS, warps, per_sm * sms * KS // nb, flags)
                    except triton.runtime.errors.OutOfResources:
                        continue
                    key = f"KS{KS}_w{warps}_{per_sm}perSM" + ("_split" if split else "")
                    row[key] = {"us": timer(lambda: grads(gy, x, R, L, KS, warps, per_sm * sms * KS // nb, flags))[0],
                                "err": [((a.float() - b).norm() / b.norm()).item() for a, b in zip(got, ref)],
                                "regs": [k.n_regs for k in compiled], "spills": [k.n_spills for k in compiled]}
                    if not split:  # the same kernel as the adjoint: gx = M^T g alone
                        row[key]["adjoint_us"] = timer(lambda: grads(gy, x, R, L, KS, warps, per_sm * sms * KS // nb,
                                                                     ((True, False, False),)))[0]
            row["best"] = min((v["us"], k) for k, v in row.items() if isinstance(v, dict))
            res[f"n{n}_B{B}"] = row
            print(n, B, {k: round(v, 2) for k, v in row.items() if isinstance(v, float)}, "best", row["best"], flush=True)
    return res


def stage_direct_z(timer: _Timer) -> dict:
    res = {}
    for n, nb in ((4096, 64), (16384, 128)):
        B, dims = 8192, (nb,) * 6 + (1,)
        x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
        R, L = factors(nb, nb)
        cfg = fused.make_config(dims, 2, B)
        cfg = {**cfg, "t2": {**cfg["t2"], "cuda": False}}  # the Triton L stage and transpose
        u = tk.stage1(x, R, dims, cfg, "tf32")
        ref = fused.fused_apply(x, R, L).float()
        row = {"fused": timer(lambda: fused.fused_apply(x, R, L))[0], "stage1": timer(lambda: tk.stage1(x, R, dims, cfg, "tf32"))[0],
               "l_stage_and_transpose": timer(lambda: fused._l_stage(u, L, dims, cfg, "tf32"))[0],
               "copy": timer(lambda: torch.empty_like(x).copy_(x))[0]}
        for G, BB, BK, warps in ((8, 16, 16, 4), (8, 16, 32, 4), (8, 16, 16, 8), (8, 16, 32, 8), (8, 32, 16, 8), (8, 32, 32, 8),
                                 (8, 64, 16, 8), (8, 64, 32, 8), (16, 16, 16, 8), (16, 16, 32, 8)):
            z = torch.empty(B, n, device=DEV, dtype=x.dtype)

            def run():
                return _l_stage_z_kernel[(tk._cdiv(B, BB), nb // G)](u, L, z, B, u.stride(0), nb, nb, nb, G, BB, BK,
                                                                      num_warps=warps, num_stages=2)

            try:
                k = run()
            except triton.runtime.errors.OutOfResources:  # 128-wide blocks
                continue
            row[f"G{G}_BB{BB}_BK{BK}_w{warps}"] = {"us": timer(run)[0], "err": ((z.float() - ref).norm() / ref.norm()).item(),
                                                  "regs": k.n_regs, "spills": k.n_spills, "smem": k.metadata.shared}
        res[f"n{n}_B{B}"] = row
        print(n, {k: (round(v, 1) if isinstance(v, float) else round(v["us"], 1)) for k, v in row.items()}, flush=True)
    return res


def stage_profile(timer: _Timer) -> dict:
    """Device time of every kernel of the package's forward + backward (torch.profiler, 10 calls, warm, no flush)."""
    from torch.profiler import ProfilerActivity, profile

    res = {}
    for n, nb in ((4096, 64), (16384, 128)):
        B = 8192
        R, L = (w.requires_grad_() for w in factors(nb, n // nb))
        x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16, requires_grad=True)
        gy = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)

        def step():
            return torch.autograd.grad(fused.fused_apply(x, R, L), (x, R, L), gy)

        for _ in range(5):
            step()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(10):
                step()
            torch.cuda.synchronize()
        res[f"n{n}_B{B}"] = {e.key: {"us_per_call": e.device_time_total / 10, "launches_per_call": e.count // 10}
                             for e in prof.key_averages() if e.device_type.name == "CUDA" and e.count}
        print(n, {k[:40]: round(v["us_per_call"], 1) for k, v in res[f"n{n}_B{B}"].items()}, flush=True)
    return res


def stage_l_stage(timer: _Timer) -> dict:
    res = {}
    nb, n = 64, 4096
    R, L = (w.requires_grad_() for w in factors(nb, nb))
    dims = (nb,) * 6 + (1,)
    for B in (64, 128, 256, 512, 1000, 8192, 32768):
        x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16, requires_grad=True)
        gy = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
        config = fused.make_config(dims, 2, fused._bucket(B))
        cuda, triton_ = ({**config, "t2": {**config["t2"], "cuda": flag}} for flag in (True, False))
        u = tk.stage1(x.detach(), R.detach(), dims, cuda, "tf32")
        z64 = torch.einsum("lsr,lrb->bsl", L.detach().double(), u.double().view(nb, nb, B)).reshape(B, n)
        z_cuda, z_triton = (fused._l_stage(u, L.detach(), dims, c, "tf32") for c in (cuda, triton_))
        row = {"copy": timer(lambda: torch.empty_like(u).copy_(u))[0],
               "l_stage_cuda": timer(lambda: fused._l_stage(u, L.detach(), dims, cuda, "tf32"))[0],
               "l_stage_triton_and_transpose": timer(lambda: fused._l_stage(u, L.detach(), dims, triton_, "tf32"))[0],
               "err_cuda": ((z_cuda.double() - z64).norm() / z64.norm()).item(),
               "err_triton": ((z_triton.double() - z64).norm() / z64.norm()).item(),
               "max_abs_cuda_vs_triton": (z_cuda.float() - z_triton.float()).abs().max().item()}
        for name, c in (("cuda", cuda), ("triton", triton_)):
            with torch.no_grad():
                row[f"fwd_{name}"] = timer(lambda: fused.fused_apply(x, R, L, config=c))[0]
            row[f"fwdbwd_{name}"] = timer(lambda: torch.autograd.grad(fused.fused_apply(x, R, L, config=c), (x, R, L), gy))[0]
        res[f"n{n}_B{B}"] = row
        print(B, {k: round(v, 4) for k, v in row.items()}, flush=True)
    return res


STAGES = {"chunked": (stage_chunked, "kernels_chunked_l2_h200.json"), "whole": (stage_whole, "kernels_whole_h200.json"),
          "grads": (stage_grads, "kernels_grads_h200.json"), "direct_z": (stage_direct_z, "kernels_direct_z_h200.json"),
          "profile": (stage_profile, "kernels_profile_h200.json"), "l_stage": (stage_l_stage, "kernels_l_stage_h200.json")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", choices=list(STAGES))
    args = parser.parse_args()
    stage, name = STAGES[args.stage]
    meta = {"command": "python results/kernels_experiments.py " + args.stage, "device": torch.cuda.get_device_name(),
            "torch": torch.__version__, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "us": "median device time of a CUDA-graph replay after an L2 flush, bf16"}
    result = {"meta": meta, **stage(_Timer(DEV, warmup_ms=20, repeat=30))}
    folder = Path(os.environ.get("OUT") or Path(__file__).resolve().parent)
    (folder / name).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
