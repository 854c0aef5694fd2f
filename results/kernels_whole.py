"""Experiment (issue 8): the one-launch forward for small factors (``_whole_kernel``) against the three
kernels and a dense bf16 GEMM, over its rows per program (BM = 16 / 32 / 64, 8 warps), for n = 256
and 1024 (16 / 32 blocks of 16 / 32) and batches 64 … 8192. ``fused.whole_rows`` is this sweep's best
choice. Times: median device time of a CUDA-graph replay after an L2 flush.

    PYTHONPATH=$PWD OUT=results python results/kernels_whole.py      # on the GPU machine
"""
import json
import os
import sys
from datetime import datetime, timezone

import torch

from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import fused

dev = torch.device("cuda")
timer = _Timer(dev, warmup_ms=20, repeat=30)
res = {"meta": {"command": "PYTHONPATH=$PWD OUT=results python " + " ".join(sys.argv), "device": torch.cuda.get_device_name(),
                "torch": torch.__version__, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "us": "median device time of a CUDA-graph replay after an L2 flush, bf16"}}
for nb in (16, 32):
    n = nb * nb
    R = (torch.randn(nb, nb, nb, device=dev) / nb ** .5).bfloat16()
    L = (torch.randn(nb, nb, nb, device=dev) / nb ** .5).bfloat16()
    dense = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    for B in (64, 256, 1024, 4096, 8192):
        x = torch.randn(B, n, device=dev, dtype=torch.bfloat16)
        config = fused.make_config((nb, nb, nb, nb, nb, nb, 1), 2, fused._bucket(B), 132)
        three = {k: v for k, v in config.items() if k != "whole"}
        row = {"default_BM": config.get("whole", {}).get("BM"), "dense": timer(lambda: x @ dense)[0],
               "three": timer(lambda: fused.fused_apply(x, R, L, config=three))[0]}
        ref = fused.fused_apply(x, R, L, config=three).float()
        for BM in (16, 32, 64):
            c = {**three, "whole": {"BM": BM, "warps": 8}}
            y = fused.fused_apply(x, R, L, config=c).float()
            row[f"whole_BM{BM}"] = timer(lambda: fused.fused_apply(x, R, L, config=c))[0]
            row[f"err_BM{BM}"] = ((y - ref).norm() / ref.norm()).item()  # against the three kernels
        res[f"n{n}_B{B}"] = row
        print(n, B, {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
json.dump(res, open(os.path.join(os.environ.get("OUT", "."), "kernels_whole_h200.json"), "w"), indent=1)
