"""Frozen run (results/kernels_tiles/README.md): weight-gradient sums on / off at small batches (device times, bf16)."""
import json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
for n, nb in ((256, 16), (1024, 32), (4096, 64)):
    R = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    L = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    for B in (64, 256, 512, 1024):
        x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16, requires_grad=True)
        g = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
        cfg = fused.make_config((nb,) * 6 + (1,), 2, B)
        for wg in (False, True):
            c = {**cfg, "wgrad": wg}
            k = f"n{n}_B{B}_fwdbwd_wgrad{wg}"
            res[k] = timer(lambda: torch.autograd.grad(fused.fused_apply(x, R, L, config=c), (x, R, L), g))[0]
            print(k, round(res[k], 1), flush=True)
(Path(os.environ.get("OUT", ".")) / "sweep5.json").write_text(json.dumps(res, indent=1))
