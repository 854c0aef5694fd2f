"""Frozen run (results/kernels_tiles/README.md): backward stage configs, the group sum, and the R-stage row tile at wide blocks (device times)."""
import itertools, json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _triton as tk, fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
B = 8192
def t(fn):
    return timer(fn)[0]
def log(k, v):
    res[k] = v
    print(k, v, flush=True)

# 1. group sum: torch sum(0).to vs the Triton kernel, 8 groups of 64^3 float32
parts = torch.randn(8, 64, 64, 64, device=DEV)
log("sum_torch_8x64^3", t(lambda: parts.sum(0).to(torch.bfloat16)))
log("sum_triton_8x64^3", t(lambda: tk.sum_groups(parts, torch.bfloat16)))
log("sum_err", (tk.sum_groups(parts, torch.float32) - parts.double().sum(0)).abs().max().item())
parts = torch.randn(4, 128, 128, 128, device=DEV)
log("sum_torch_4x128^3", t(lambda: parts.sum(0).to(torch.bfloat16)))
log("sum_triton_4x128^3", t(lambda: tk.sum_groups(parts, torch.bfloat16)))
del parts

for n, nb in ((4096, 64), (16384, 128)):
    R = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16) / nb ** .5
    L = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16) / nb ** .5
    x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
    g = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
    dims = (nb,) * 6 + (1,)
    cfg = fused.make_config(dims, 2, B)
    u = tk.stage1(x, R, dims, cfg, "tf32")
    gt = tk.transpose(g, cfg)
    v, _ = tk.stage2t_adj(gt, L, dims, cfg, "tf32")
    # 2. transposed R stage with dR2
    for BM, w, st, grp in itertools.product((64, 128), (4, 8), (2, 3), (4, 8, 16)):
        c = {**cfg, "s1a": {**cfg["s1a"], "BM": BM, "warps": w, "stages": st, "groups": grp}}
        try:
            tt = t(lambda: tk.stage1_adj(v, R, B, dims, c, "tf32", x))
        except Exception as e:  # noqa
            tt = repr(e)[:60]
        log(f"n{n}_s1a_wgrad_BM{BM}_w{w}_st{st}_g{grp}", tt)
    # 3. transposed L stage with dL2
    for BB, w, grp in itertools.product((64, 128), (4, 8), (4, 8, 16)):
        c = {**cfg, "t2": {**cfg["t2"], "BB": BB, "warps": w, "groups": grp}}
        try:
            tt = t(lambda: tk.stage2t_adj(gt, L, dims, c, "tf32", u))
        except Exception as e:  # noqa
            tt = repr(e)[:60]
        log(f"n{n}_t2a_wgrad_BB{BB}_w{w}_g{grp}", tt)
    # 4. whole fwd / fwdbwd with the R-stage row tiles 64 / 128
    Rg, Lg, xg = R.clone().requires_grad_(), L.clone().requires_grad_(), x.clone().requires_grad_()
    for BM in (64, 128):
        c = {**cfg, "s1": {**cfg["s1"], "BM": BM}, "s1a": {**cfg["s1a"], "BM": BM}}
        with torch.no_grad():
            log(f"n{n}_fwd_BM{BM}", t(lambda: fused.fused_apply(x, R, L, config=c)))
        log(f"n{n}_fwdbwd_BM{BM}", t(lambda: torch.autograd.grad(fused.fused_apply(xg, Rg, Lg, config=c), (xg, Rg, Lg), g)))
    del x, g, u, gt, v, xg

# 5. float32 / complex64 at n = 4096 (64 blocks): R-stage row tile 64 / 128
for dtype, tf32 in ((torch.float32, True), (torch.float32, False), (torch.complex64, False)):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    R = torch.randn(64, 64, 64, device=DEV, dtype=dtype) / 8
    L = torch.randn(64, 64, 64, device=DEV, dtype=dtype) / 8
    x = torch.randn(B, 4096, device=DEV, dtype=dtype)
    E = 2 if dtype.is_complex else 1
    cfg = fused.make_config((64,) * 6 + (E,), 4, B)
    ref = fused.fused_apply(x, R, L, config=cfg)
    for BM in (64, 128):
        c = {**cfg, "s1": {**cfg["s1"], "BM": BM}, "s1a": {**cfg["s1a"], "BM": BM}}
        try:
            out = fused.fused_apply(x, R, L, config=c)
            err = ((out - ref).abs().max() / ref.abs().max()).item()
            with torch.no_grad():
                tt = t(lambda: fused.fused_apply(x, R, L, config=c))
        except Exception as e:  # noqa
            tt, err = repr(e)[:60], None
        log(f"{dtype}_tf32{tf32}_fwd_BM{BM}", (tt, err, c["s1"]))
torch.backends.cuda.matmul.allow_tf32 = False
(Path(os.environ.get("OUT", ".")) / "sweep2.json").write_text(json.dumps(res, indent=1, default=str))
