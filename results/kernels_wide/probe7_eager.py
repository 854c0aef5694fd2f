"""Frozen probe 7 (README.md): eager (host + device) time of a call, forward / forward + backward: the wide path against the bmm path."""
import json, os, time, statistics
from pathlib import Path
import torch
from monarch_sci.kernels import _wide
from monarch_sci.monarch.apply import forward_bmm
DEV = torch.device("cuda")
n, bf = 4096, torch.bfloat16
res = {}
def eager(fn, reps=100):
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
        out.append((time.perf_counter() - t0) / reps * 1e6)
    return round(min(out), 1), round(statistics.median(out), 1)
for nb in (4, 16):
    w = n // nb
    R = torch.randn(nb, w, w, device=DEV, dtype=bf, requires_grad=True)
    L = torch.randn(nb, w, w, device=DEV, dtype=bf, requires_grad=True)
    for B in (64, 1024, 2048, 4096, 8192):
        x = torch.randn(B, n, device=DEV, dtype=bf, requires_grad=True)
        gy = torch.randn(B, n, device=DEV, dtype=bf)
        for name, f in (("wide", _wide.WideMonarch.apply), ("bmm", forward_bmm)):
            with torch.no_grad():
                res[f"nb{nb}_B{B}_{name}_fwd"] = eager(lambda: f(x, R, L))
            res[f"nb{nb}_B{B}_{name}_fwdbwd"] = eager(lambda: torch.autograd.grad(f(x, R, L), (x, R, L), gy), reps=50)
            print(nb, B, name, res[f"nb{nb}_B{B}_{name}_fwd"], res[f"nb{nb}_B{B}_{name}_fwdbwd"], flush=True)
(Path(os.environ.get("OUT", ".")) / "eager.json").write_text(json.dumps(res, indent=1))
