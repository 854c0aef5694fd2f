"""Probe: the middle permutation with 16-byte vectors (BJ dividing Q, Y's (j, ll) flattened)."""
import json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _wide
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
OUT = Path(os.environ.get("OUT", "."))
def log(k, fn):
    res[k] = fn()
    print(k, res[k], flush=True)
    (OUT / "probe5.json").write_text(json.dumps(res, indent=1, default=str))
t = lambda fn: round(timer(fn)[0], 1)
B, n, bf = 8192, 4096, torch.bfloat16
x = torch.randn(B, n, device=DEV, dtype=bf)
gy = torch.randn(B, n, device=DEV, dtype=bf)
for nb in (4, 8, 16):
    w = n // nb
    R = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    L = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    y = torch.randn(nb, B, w, device=DEV, dtype=bf)
    log(f"nb{nb}_copy", lambda: t(lambda: y.clone()))
    log(f"nb{nb}_middle_to_u2", lambda: t(lambda: _wide._middle(y, nb, nb, True)))
    log(f"nb{nb}_middle_from_u2", lambda: t(lambda: _wide._middle(y, nb, nb, False)))
    u = _wide._middle(y, nb, nb, True)
    log(f"nb{nb}_roundtrip_exact", lambda: bool(torch.equal(_wide._middle(u, nb, nb, False), y)))
    ls = [a.detach().requires_grad_() for a in (x, R, L)]
    log(f"nb{nb}_wide_fwd", lambda: t(lambda: _wide.WideMonarch.apply(x, R, L)))
    log(f"nb{nb}_wide_fwdbwd", lambda: t(lambda: torch.autograd.grad(_wide.WideMonarch.apply(*ls), ls, gy)))
