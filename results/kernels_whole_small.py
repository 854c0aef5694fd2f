"""Experiment (issue 8): the whole Monarch forward in one kernel for small square factors, n = 256 and
1024 (16 / 32 blocks): per program a BM-row tile, the R stage as one 3-D tl.dot over all blocks, the
permutation as tl.permute (a layout conversion through shared memory), the L stage as a second
3-D dot, and the output permutation in registers before one contiguous store. Compared with the
three-kernel path (fused_apply) and a dense bf16 GEMM; BM, warps and stages swept, with the
compiler's registers / spills / shared memory per variant.

    PYTHONPATH=$PWD OUT=results python results/kernels_whole_small.py      # on the GPU machine
    PYTHONPATH=$PWD TRITON_INTERPRET=1 python results/kernels_whole_small.py   # index check on a CPU
"""
import json
import os
import sys

import torch
import triton
import triton.language as tl


@triton.jit
def _whole_kernel(x_ptr, r_ptr, l_ptr, out_ptr, nrows, K_: tl.constexpr, Q_: tl.constexpr, P_: tl.constexpr,
                  S_: tl.constexpr, BM: tl.constexpr):
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    rmask = rows < nrows
    kk = tl.arange(0, K_)
    pp = tl.arange(0, P_)
    qq = tl.arange(0, Q_)
    ss = tl.arange(0, S_)
    x3 = tl.load(x_ptr + rows[None, :, None].to(tl.int64) * (K_ * P_) + kk[:, None, None] * P_ + pp[None, None, :],
                 mask=rmask[None, :, None], other=0.0)
    rt3 = tl.load(r_ptr + kk[:, None, None] * (Q_ * P_) + qq[None, None, :] * P_ + pp[None, :, None])
    u3 = tl.dot(x3, rt3)  # (K_, BM, Q_)
    v3 = tl.permute(u3.to(x_ptr.dtype.element_ty), (2, 1, 0))  # (Q_, BM, K_)
    lt3 = tl.load(l_ptr + qq[:, None, None] * (S_ * K_) + ss[None, None, :] * K_ + kk[None, :, None])
    w3 = tl.dot(v3, lt3)  # (Q_, BM, S_)
    o = tl.reshape(tl.permute(w3, (1, 2, 0)), (BM, S_ * Q_))
    cols = tl.arange(0, S_ * Q_)
    tl.store(out_ptr + rows[:, None].to(tl.int64) * (S_ * Q_) + cols[None, :], o.to(out_ptr.dtype.element_ty),
             mask=rmask[:, None])


def whole(x, R, L, BM=32, warps=4, stages=1):
    K_, Q_, P_ = R.shape
    l, S_, r = L.shape
    assert l == Q_ and r == K_
    B = x.shape[0]
    out = torch.empty(B, S_ * Q_, dtype=x.dtype, device=x.device)
    k = _whole_kernel[(triton.cdiv(B, BM),)](x, R, L, out, B, K_, Q_, P_, S_, BM, num_warps=warps, num_stages=stages)
    whole.info = (getattr(k, "n_regs", None), getattr(k, "n_spills", None), getattr(getattr(k, "metadata", None), "shared", None))
    return out


if __name__ == "__main__":
    from monarch_sci.monarch.apply import forward_einsum
    if not torch.cuda.is_available():  # TRITON_INTERPRET=1
        for nb in (16, 32):
            x = torch.randn(50, nb * nb)
            R, L = torch.randn(nb, nb, nb) / nb ** .5, torch.randn(nb, nb, nb) / nb ** .5
            ref = forward_einsum(x.double(), R.double(), L.double())
            y = whole(x, R, L, BM=16)
            print(nb, ((y.double() - ref).norm() / ref.norm()).item())
        sys.exit()
    from monarch_sci.bench.suite import _Timer
    from monarch_sci.kernels import fused as F
    dev = torch.device("cuda")
    timer = _Timer(dev, warmup_ms=20, repeat=30)
    res = {"meta": {"command": "PYTHONPATH=$PWD OUT=results python " + " ".join(sys.argv),
                    "device": torch.cuda.get_device_name(), "torch": torch.__version__, "triton": triton.__version__,
                    "us": "median device time of a CUDA-graph replay after an L2 flush; bf16, batch 8192"}}
    for nb in (16, 32):
        n, B = nb * nb, 8192
        x = torch.randn(B, n, device=dev, dtype=torch.bfloat16)
        R = (torch.randn(nb, nb, nb, device=dev) / nb ** .5).bfloat16()
        L = (torch.randn(nb, nb, nb, device=dev) / nb ** .5).bfloat16()
        ref = forward_einsum(x.double(), R.double(), L.double())
        Wd = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
        res[f"n{n}_fused3_us"] = timer(lambda: F.fused_apply(x, R, L))[0]
        res[f"n{n}_dense_us"] = timer(lambda: x @ Wd)[0]
        res[f"n{n}_floor_us"] = 2 * B * n * 2 / 4.23e12 * 1e6
        print(res, flush=True)
        for BM in (16, 32, 64, 128):
            for warps in (4, 8):
                for stages in (1, 2):
                    try:
                        y = whole(x, R, L, BM, warps, stages)
                        err = ((y.double() - ref).norm() / ref.norm()).item()
                        us = timer(lambda: whole(x, R, L, BM, warps, stages))[0]
                    except Exception as e:  # out of resources etc.
                        print(n, BM, warps, stages, "failed", type(e).__name__, str(e)[:200], flush=True)
                        continue
                    res[f"n{n}_BM{BM}_w{warps}_s{stages}"] = {"us": us, "err": err, "regs_spills_smem": whole.info}
                    print(n, BM, warps, stages, f"{us:.1f} us err {err:.1e}", whole.info, flush=True)
    json.dump(res, open(os.path.join(os.environ.get("OUT", "."), "kernels_whole_small_h200.json"), "w"), indent=1)
