"""The kernel experiments behind results/kernels_notes.md (issue 8); run on the GPU machine from the
repository root. Times are medians of CUDA-graph replays after an L2 flush (``bench.suite._Timer``), bf16.

    PYTHONPATH=$PWD python results/kernels_experiments.py chunked   # -> kernels_chunked_l2_h200.json
    PYTHONPATH=$PWD python results/kernels_experiments.py whole     # -> kernels_whole_h200.json

chunked: the three forward kernels run chunk by chunk over the batch (8192 … 512 rows), U and Zt reused
  for every chunk so they can stay in the 50 MB L2, n = 4096 / 1024 / 16384 at batch 8192; and copies
  of 4 MiB … 1 GiB buffers repeated without a flush (the L2-resident copy rate).
whole: the one-launch forward for small factors (``_whole_kernel``) against the three kernels, a dense GEMM
  and a copy, over its rows per program (16 / 32), L blocks per program (all, or 16 of n = 1024's 32: two
  programs a row tile), warps (4 / 8), programs (1 / 2 / 4 an SM, each running over several row tiles) and
  prefetch of the next tile (off / on), n = 256 and 1024, batch 64 ... 32768, with each variant's
  registers, spills and shared memory; ``fused.whole_tiles`` is its best choice.
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
                        u, L, zt, C, C, C, bs, 1, nb, bs, bs, 1, False, True, c2["BB"], c2["BO"], c2["BK"], "tf32",
                        num_warps=c2["warps"])
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


STAGES = {"chunked": (stage_chunked, "kernels_chunked_l2_h200.json"), "whole": (stage_whole, "kernels_whole_h200.json")}


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
