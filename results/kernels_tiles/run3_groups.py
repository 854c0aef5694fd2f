"""Frozen run (results/kernels_tiles/README.md): groups of the weight-gradient sums at every n, the group sum, R-stage row tiles (device times)."""
import itertools, json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _triton as tk, fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
B = 8192
def log(k, fn):
    try:
        v = fn()
    except Exception as e:  # noqa
        v = repr(e)[:70]
    res[k] = v
    print(k, v, flush=True)
t = lambda fn: timer(fn)[0]

for G, nb in ((8, 64), (4, 64), (33, 16), (4, 128)):
    parts = torch.randn(G, nb, nb, nb, device=DEV)
    log(f"sum_torch_{G}x{nb}^3", lambda: t(lambda: parts.sum(0).to(torch.bfloat16)))
    log(f"sum_triton_{G}x{nb}^3", lambda: t(lambda: tk.sum_groups(parts, torch.bfloat16)))
    log(f"sum_err_{G}x{nb}^3", lambda: (tk.sum_groups(parts, torch.float32).double() - parts.double().sum(0)).abs().max().item())
    del parts

for n, nb in ((256, 16), (1024, 32), (4096, 64), (16384, 128)):
    R = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16) / nb ** .5
    L = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16) / nb ** .5
    x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
    g = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
    dims = (nb,) * 6 + (1,)
    cfg = fused.make_config(dims, 2, B)
    u = tk.stage1(x, R, dims, cfg, "tf32")
    gt = tk.transpose(g, cfg)
    v, _ = tk.stage2t_adj(gt, L, dims, cfg, "tf32")
    for grp in (1, 2, 4, 8, 16, 33):
        c = {**cfg, "s1a": {**cfg["s1a"], "groups": grp}, "t2": {**cfg["t2"], "groups": grp}}
        log(f"n{n}_s1a_wgrad_g{grp}", lambda: t(lambda: tk.stage1_adj(v, R, B, dims, c, "tf32", x)))
        log(f"n{n}_t2a_wgrad_g{grp}", lambda: t(lambda: tk.stage2t_adj(gt, L, dims, c, "tf32", u)))
        if n == 4096:
            c2 = {**c, "s1a": {**c["s1a"], "BM": 64}}
            log(f"n{n}_s1a_wgrad_g{grp}_BM64", lambda: t(lambda: tk.stage1_adj(v, R, B, dims, c2, "tf32", x)))
    if n == 16384:
        for BM in (64, 128):
            c = {**cfg, "s1": {**cfg["s1"], "BM": BM}}
            log(f"n{n}_s1_BM{BM}", lambda: t(lambda: tk.stage1(x, R, dims, c, "tf32")))
            log(f"n{n}_s1_noWgrad_s1a_BM{BM}", lambda: t(lambda: tk.stage1_adj(v, R, B, dims, {**cfg, "s1a": {**cfg["s1a"], "BM": BM}}, "tf32")))
    del x, g, u, gt, v

for dtype, tf32 in ((torch.float32, True), (torch.float32, False), (torch.complex64, False)):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    R = torch.randn(64, 64, 64, device=DEV, dtype=dtype) / 8
    L = torch.randn(64, 64, 64, device=DEV, dtype=dtype) / 8
    x = torch.randn(B, 4096, device=DEV, dtype=dtype)
    E = 2 if dtype.is_complex else 1
    cfg = fused.make_config((64,) * 6 + (E,), 4, B)
    prec = fused._precision(x.real.dtype if E == 2 else x.dtype)
    x2 = torch.view_as_real(x).reshape(B, -1) if E == 2 else x
    R2, L2 = (fused.real_form(w) for w in (R, L))
    ref = tk.stage1(x2, R2, (64,) * 6 + (E,), cfg, prec)
    for BM in (64, 128):
        c = {**cfg, "s1": {**cfg["s1"], "BM": BM}}
        log(f"{dtype}_tf32{tf32}_s1_BM{BM}_{c['s1']['BN']}_{c['s1']['BK']}", lambda: (t(lambda: tk.stage1(x2, R2, (64,) * 6 + (E,), c, prec)),
            (tk.stage1(x2, R2, (64,) * 6 + (E,), c, prec) - ref).abs().max().item()))
torch.backends.cuda.matmul.allow_tf32 = False
(Path(os.environ.get("OUT", ".")) / "sweep3.json").write_text(json.dumps(res, indent=1, default=str))
