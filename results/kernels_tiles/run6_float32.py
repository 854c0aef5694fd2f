"""Frozen run (results/kernels_tiles/README.md): float32 / TF32 weight-gradient sums: on / off and groups (device times)."""
import json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for n, nb in ((1024, 32), (4096, 64)):
        R = torch.randn(nb, nb, nb, device=DEV, requires_grad=True)
        L = torch.randn(nb, nb, nb, device=DEV, requires_grad=True)
        for B in (64, 1024, 8192):
            x = torch.randn(B, n, device=DEV, requires_grad=True)
            g = torch.randn(B, n, device=DEV)
            cfg = fused.make_config((nb,) * 6 + (1,), 4, B)
            for wg, mult in ((False, 4), (True, 1), (True, 2), (True, 4), (True, 8)):
                grp = max(1, mult * 132 // nb)
                c = {**cfg, "wgrad": wg, "s1g": {**cfg["s1g"], "groups": grp}, "t2": {**cfg["t2"], "groups": grp}}
                k = f"tf32{tf32}_n{n}_B{B}_wgrad{wg}_g{grp}"
                res[k] = timer(lambda: torch.autograd.grad(fused.fused_apply(x, R, L, config=c), (x, R, L), g))[0]
                print(k, round(res[k], 1), flush=True)
torch.backends.cuda.matmul.allow_tf32 = False
(Path(os.environ.get("OUT", ".")) / "sweep6.json").write_text(json.dumps(res, indent=1))
