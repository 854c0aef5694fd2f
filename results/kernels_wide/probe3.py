"""Probe: components of the wide path and the 256/128-wide crossover against the Triton kernels."""
import json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _wide, fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
OUT = Path(os.environ.get("OUT", "."))
def log(k, fn):
    try:
        v = fn()
    except Exception as e:  # noqa
        v = repr(e)[:300]
    res[k] = v
    print(k, v, flush=True)
    (OUT / "probe3.json").write_text(json.dumps(res, indent=1, default=str))
t = lambda fn: round(timer(fn)[0], 1)
B, n, bf = 8192, 4096, torch.bfloat16
x = torch.randn(B, n, device=DEV, dtype=bf)
gy = torch.randn(B, n, device=DEV, dtype=bf)
def fb(f, *leaves):
    ls = [a.detach().requires_grad_() for a in leaves]
    return lambda: torch.autograd.grad(f(*ls), ls, gy)
for nb in (4, 8, 16, 32):
    w = n // nb
    R = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    L = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    y = torch.randn(nb, B, w, device=DEV, dtype=bf)
    log(f"nb{nb}_runs", lambda: t(lambda: _wide._runs(y, nb, nb)))
    log(f"nb{nb}_interleave_z", lambda: t(lambda: _wide._interleave(y, nb, B * w)))
    log(f"nb{nb}_interleave_g", lambda: t(lambda: _wide._interleave(gy, B * w, nb)))
    log(f"nb{nb}_torch_permute_z", lambda: t(lambda: y.permute(1, 2, 0).contiguous()))
    log(f"nb{nb}_R_reorder", lambda: t(lambda: R.view(nb, w // nb, nb, w).transpose(1, 2).reshape(nb, w, w)))
    log(f"nb{nb}_wide_fwd", lambda: t(lambda: _wide.WideMonarch.apply(x, R, L)))
    log(f"nb{nb}_wide_fwdbwd", lambda: t(fb(_wide.WideMonarch.apply, x, R, L)))
    if nb >= 16:
        log(f"nb{nb}_triton_fwd", lambda: t(lambda: fused.fused_apply(x, R, L)))
        log(f"nb{nb}_triton_fwdbwd", lambda: t(fb(fused.fused_apply, x, R, L)))
