"""Probe: the wide forward with U2 written by l strided bmm calls (no middle copy) against the shipped one."""
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
    (OUT / "probe6.json").write_text(json.dumps(res, indent=1, default=str))
t = lambda fn: round(timer(fn)[0], 1)
def stage1_direct(x, R, l):
    k, q, p = R.shape
    B, Q = x.shape[0], q // l
    u = torch.empty(l, B, k * Q, dtype=x.dtype, device=x.device)
    xb = x.view(B, k, p).transpose(0, 1)
    for ll in range(l):
        torch.bmm(xb, R[:, ll::l, :].transpose(1, 2), out=u[ll].view(B, k, Q).transpose(0, 1))
    return u
def stage1_shipped(x, R, l):
    k, q, p = R.shape
    B = x.shape[0]
    return _wide._middle(torch.bmm(x.view(B, k, p).transpose(0, 1), R.transpose(1, 2)), k, l, True)
n, bf = 4096, torch.bfloat16
for B in (8192, 1024):
    x = torch.randn(B, n, device=DEV, dtype=bf)
    for nb in (4, 8, 16):
        w = n // nb
        R = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
        key = f"B{B}_nb{nb}"
        log(key + "_maxdiff", lambda: (stage1_direct(x, R, nb).float() - stage1_shipped(x, R, nb).float()).abs().max().item())
        log(key + "_shipped", lambda: t(lambda: stage1_shipped(x, R, nb)))
        log(key + "_direct", lambda: t(lambda: stage1_direct(x, R, nb)))
