"""Probe: the wide path with the Triton middle permutation; crossover against the Triton kernels and bmm."""
import json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _wide, fused
from monarch_sci.monarch.apply import forward_bmm
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
    (OUT / "probe4.json").write_text(json.dumps(res, indent=1, default=str))
t = lambda fn: round(timer(fn)[0], 1)
n, bf = 4096, torch.bfloat16
def rel(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()
for B in (8192, 1024):
    x = torch.randn(B, n, device=DEV, dtype=bf)
    gy = torch.randn(B, n, device=DEV, dtype=bf)
    def fb(f, *leaves):
        ls = [a.detach().requires_grad_() for a in leaves]
        return lambda: torch.autograd.grad(f(*ls), ls, gy)
    for nb in ((4, 8, 16) if B == 8192 else (4, 16)):
        w = n // nb
        R = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
        L = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
        key = f"B{B}_nb{nb}"
        if B == 8192:
            y = torch.randn(nb, B, w, device=DEV, dtype=bf)
            log(key + "_middle_to_u2", lambda: t(lambda: _wide._middle(y, nb, nb, True)))
            log(key + "_middle_from_u2", lambda: t(lambda: _wide._middle(y, nb, nb, False)))
            xo = torch.empty(B, n, device=DEV, dtype=bf)
            log(key + "_bmm_out_view", lambda: t(lambda: torch.bmm(y, R, out=xo.view(B, nb, w).transpose(0, 1))))
            log(key + "_bmm_plain", lambda: t(lambda: torch.bmm(y, R)))
        log(key + "_wide_fwd", lambda: t(lambda: _wide.WideMonarch.apply(x, R, L)))
        log(key + "_wide_fwdbwd", lambda: t(fb(_wide.WideMonarch.apply, x, R, L)))
        log(key + "_bmm_fwd", lambda: t(lambda: forward_bmm(x, R, L)))
        log(key + "_bmm_fwdbwd", lambda: t(fb(forward_bmm, x, R, L)))
        ls = [a.detach().requires_grad_() for a in (x, R, L)]
        g = torch.autograd.grad(_wide.WideMonarch.apply(*ls), ls, gy)
        ls32 = [a.detach().float().requires_grad_() for a in (x, R, L)]
        y32 = forward_bmm(*ls32)
        g32 = torch.autograd.grad(y32, ls32, gy.float())
        log(key + "_err", lambda: [rel(_wide.WideMonarch.apply(x, R, L), y32)] + [rel(a, b) for a, b in zip(g, g32)])
        if nb >= 16:
            log(key + "_triton_fwd", lambda: t(lambda: fused.fused_apply(x, R, L)))
            log(key + "_triton_fwdbwd", lambda: t(fb(fused.fused_apply, x, R, L)))
