"""Frozen run (results/kernels_tiles/README.md): 3xTF32 weight-gradient sums with one tile a program (device times)."""
import json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=15)
res = {}
torch.backends.cuda.matmul.allow_tf32 = False
for n, nb in ((1024, 32), (4096, 64)):
    R = torch.randn(nb, nb, nb, device=DEV, requires_grad=True)
    L = torch.randn(nb, nb, nb, device=DEV, requires_grad=True)
    for B in (1024, 8192):
        x = torch.randn(B, n, device=DEV, requires_grad=True)
        g = torch.randn(B, n, device=DEV)
        cfg = fused.make_config((nb,) * 6 + (1,), 4, B)
        for wg in (False, True):
            k = f"n{n}_B{B}_wgrad{wg}"
            res[k] = timer(lambda: torch.autograd.grad(fused.fused_apply(x, R, L, config={**cfg, "wgrad": wg}), (x, R, L), g))[0]
            print(k, round(res[k], 1), flush=True)
(Path(os.environ.get("OUT", ".")) / "sweep7.json").write_text(json.dumps(res, indent=1))
