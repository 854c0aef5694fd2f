"""Experiment (issue 8): the fused forward's three kernels run chunk by chunk over the batch, so that
the intermediates U and Zt (2 × chunk × n × 2 B) can stay in the 50 MB L2 instead of going to HBM.
Also times copies of 4 MiB … 1 GiB buffers repeated without an L2 flush (the L2-resident copy rate).
bf16, batch 8192, n = 4096 / 1024 / 16384 with 64 / 32 / 128 blocks; chunks 8192 … 512 rows.

    PYTHONPATH=$PWD OUT=results python results/kernels_chunked_l2.py     # on the GPU machine
"""
import json
import os
import sys
from datetime import datetime, timezone

import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import fused as F
from monarch_sci.kernels import _triton as tk

dev = torch.device("cuda")
timer = _Timer(dev, warmup_ms=20, repeat=30)
res = {"meta": {"command": "PYTHONPATH=$PWD OUT=results python " + " ".join(sys.argv), "device": torch.cuda.get_device_name(),
                "torch": torch.__version__, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "us": "median device time of a CUDA-graph replay after an L2 flush (monarch_sci.bench.suite._Timer)"}}
# L2 vs HBM copy bandwidth: a small buffer copied repeatedly without flush
for mib in (4, 8, 16, 32, 64, 1024):
    a = torch.empty(mib << 20, dtype=torch.int8, device=dev)
    b = torch.empty_like(a)

    def cp():
        for _ in range(10):
            b.copy_(a)

    timer.flush = torch.empty(1, dtype=torch.int8, device=dev)  # no flush
    us, _, _ = timer(cp)
    res[f"copy_{mib}MiB_TBps"] = 2 * 10 * (mib << 20) / (us * 1e-6) / 1e12
timer.flush = torch.empty(256 << 20, dtype=torch.int8, device=dev)
print({k: v for k, v in res.items() if k != "meta"}, flush=True)

for n, nb in ((4096, 64), (1024, 32), (16384, 128)):
    B, bs = 8192, n // nb
    x = torch.randn(B, n, device=dev, dtype=torch.bfloat16)
    R = torch.randn(nb, bs, bs, device=dev, dtype=torch.bfloat16) / bs ** 0.5
    L = torch.randn(nb, bs, bs, device=dev, dtype=torch.bfloat16) / bs ** 0.5
    ref = F.fused_apply(x, R, L)
    base, _, _ = timer(lambda: F.fused_apply(x, R, L))
    res[f"n{n}_fused_us"] = base
    dims = (nb, bs, bs, nb, bs, bs, 1)
    for C in (8192, 4096, 2048, 1024, 512):
        cfg = F.make_config(dims, 2, C, 132)
        u = torch.empty(n, C, device=dev, dtype=x.dtype)
        zt = torch.empty(n, C, device=dev, dtype=x.dtype)
        out = torch.empty(B, n, device=dev, dtype=x.dtype)
        c1, c2, ct = cfg["s1"], cfg["t2"], cfg["tr"]
        def run():
            for c0 in range(0, B, C):
                xc = x[c0:c0 + C]
                tk._stage1_kernel[(tk._cdiv(C, c1["BM"]), tk._cdiv(nb, c1["KG"]))](
                    xc, R, u, C, n, C, nb, bs, bs, nb, bs, 1, c1["BM"], c1["BN"], c1["BK"], c1["KG"], "tf32",
                    num_warps=c1["warps"], num_stages=c1["stages"])
                tk._blocks_t_kernel[(tk._cdiv(C, c2["BB"]), nb)](
                    u, L, zt, C, C, C, bs, 1, nb, bs, bs, 1, False, True, c2["BB"], c2["BO"], c2["BK"], "tf32",
                    num_warps=c2["warps"])
                tk._transpose_kernel[(tk._cdiv(n, ct["T"]), tk._cdiv(C, ct["T"]))](
                    zt, out[c0:c0 + C], n, C, C, n, ct["T"], ct["T"], num_warps=ct["warps"])
        run()
        err = ((out.float() - ref.float()).abs().max() / ref.float().abs().max()).item()
        us, _, _ = timer(run)
        res[f"n{n}_chunk{C}_us"] = us
        res[f"n{n}_chunk{C}_err"] = err
        print(n, C, us, err, "base", base, flush=True)
json.dump(res, open(os.path.join(os.environ.get("OUT", "."), "kernels_chunked_l2_h200.json"), "w"), indent=1)
