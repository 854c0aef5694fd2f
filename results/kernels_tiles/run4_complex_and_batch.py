"""Frozen run (results/kernels_tiles/README.md): complex64 tiles at n = 4096 and the batch where the weight-gradient sums start to pay (device times)."""
import itertools, json, os
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _triton as tk, fused
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
def log(k, fn):
    try:
        v = fn()
    except Exception as e:  # noqa
        v = repr(e)[:70]
    res[k] = v
    print(k, v, flush=True)
t = lambda fn: timer(fn)[0]

B = 8192
torch.backends.cuda.matmul.allow_tf32 = False
dims = (64,) * 6 + (2,)
R = torch.randn(64, 64, 64, device=DEV, dtype=torch.complex64) / 8
L = torch.randn(64, 64, 64, device=DEV, dtype=torch.complex64) / 8
x = torch.randn(B, 4096, device=DEV, dtype=torch.complex64)
cfg = fused.make_config(dims, 4, B)
print(cfg)
x2 = torch.view_as_real(x).reshape(B, -1)
R2, L2 = (fused.real_form(w) for w in (R, L))
u = tk.stage1(x2, R2, dims, cfg, "tf32x3")
log("c64_s1", lambda: t(lambda: tk.stage1(x2, R2, dims, cfg, "tf32x3")))
ref = tk.stage2t(u, L2, dims, cfg, "tf32x3")
for BB, w in itertools.product((32, 64, 128), (4, 8)):
    c = {**cfg, "t2": {**cfg["t2"], "BB": BB, "warps": w}}
    log(f"c64_t2_BB{BB}_w{w}", lambda: (t(lambda: tk.stage2t(u, L2, dims, c, "tf32x3")),
                                        (tk.stage2t(u, L2, dims, c, "tf32x3") - ref).abs().max().item()))
log("c64_transpose", lambda: t(lambda: tk.transpose(ref, cfg)))
gt = ref
v, _ = tk.stage2t_adj(gt, L2, dims, cfg, "tf32x3")
for BM in (64, 128):
    c = {**cfg, "s1a": {**cfg["s1a"], "BM": BM, "warps": 8 if BM * 128 >= 8192 else 4}}
    log(f"c64_s1a_BM{BM}", lambda: t(lambda: tk.stage1_adj(v, R2, B, dims, c, "tf32x3")))
with torch.no_grad():
    log("c64_fwd_new", lambda: t(lambda: fused.fused_apply(x, R, L)))
    old = {**cfg, "s1": {**cfg["s1"], "BM": 64, "warps": 8}}
    log("c64_fwd_old_s1_BM64", lambda: t(lambda: fused.fused_apply(x, R, L, config=old)))
    log("c64_fft", lambda: t(lambda: torch.fft.fft(x)))
del x, x2, u, ref, v

for n, nb in ((256, 16), (1024, 32), (4096, 64)):
    Rb = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    Lb = torch.randn(nb, nb, nb, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    for B in (1024, 2048, 4096):
        xb = torch.randn(B, n, device=DEV, dtype=torch.bfloat16, requires_grad=True)
        gb = torch.randn(B, n, device=DEV, dtype=torch.bfloat16)
        cfg = fused.make_config((nb,) * 6 + (1,), 2, B)
        for wg in (False, True):
            c = {**cfg, "wgrad": wg}
            log(f"n{n}_B{B}_fwdbwd_wgrad{wg}", lambda: t(lambda: torch.autograd.grad(fused.fused_apply(xb, Rb, Lb, config=c), (xb, Rb, Lb), gb)))
(Path(os.environ.get("OUT", ".")) / "sweep4.json").write_text(json.dumps(res, indent=1, default=str))
