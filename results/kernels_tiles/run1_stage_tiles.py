"""Frozen run (results/kernels_tiles/README.md): Triton stage configs at n = 16384 and 4096, batch 8192, bf16 (device times, graph replay after flush)."""
import itertools, json, os, sys
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _triton as tk, fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
B = 8192
for n, nb in ((16384, 128), (4096, 64)):
    R = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16) / nb ** .5
    L = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16) / nb ** .5
    x = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
    dims = (nb,) * 6 + (1,)
    cfg = fused.make_config(dims, 2, B)
    res[f"n{n}_copy"] = timer(lambda: torch.empty_like(x).copy_(x))[0]
    print(n, "copy", res[f"n{n}_copy"], "cfg", cfg, flush=True)
    u = tk.stage1(x, R, dims, cfg, "tf32")
    ref_u = u.clone()
    for BM, BN, BK, w, st in itertools.product((64, 128), (64, 128), (64, 128), (4, 8), (2, 3)):
        if n == 4096 and (BN > 64 or BK > 64):
            continue
        c = {**cfg, "s1": {**cfg["s1"], "BM": BM, "BN": BN, "BK": BK, "warps": w, "stages": st}}
        try:
            out = tk.stage1(x, R, dims, c, "tf32")
            ok = torch.equal(out, ref_u) or (out.float() - ref_u.float()).abs().max().item() < 0.05
            t = timer(lambda: tk.stage1(x, R, dims, c, "tf32"))[0]
        except Exception as e:  # noqa
            t, ok = None, repr(e)[:80]
        res[f"n{n}_s1_{BM}_{BN}_{BK}_{w}_{st}"] = (t, ok)
        print(n, "s1", BM, BN, BK, w, st, t, ok, flush=True)
    ref_z = tk.stage2t(u, L, dims, cfg, "tf32")
    for BB, BO, BK, w in itertools.product((32, 64, 128), (64, 128), (32, 64, 128), (4, 8)):
        if n == 4096 and BO > 64:
            continue
        c = {**cfg, "t2": {**cfg["t2"], "BB": BB, "BO": BO, "BK": BK, "warps": w}}
        try:
            out = tk.stage2t(u, L, dims, c, "tf32")
            ok = (out.float() - ref_z.float()).abs().max().item() < 0.05
            t = timer(lambda: tk.stage2t(u, L, dims, c, "tf32"))[0]
        except Exception as e:  # noqa
            t, ok = None, repr(e)[:80]
        res[f"n{n}_t2_{BB}_{BO}_{BK}_{w}"] = (t, ok)
        print(n, "t2", BB, BO, BK, w, t, ok, flush=True)
    del x, u
Path = __import__("pathlib").Path
(Path(os.environ.get("OUT", ".")) / "sweep.json").write_text(json.dumps(res, indent=1))
