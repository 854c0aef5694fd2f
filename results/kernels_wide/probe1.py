"""Probe: wide-block Monarch (n=4096, 4/8/16 blocks) bmm path vs dense vs raw bmm vs fused; profile; bf16 one-tile wgrad."""
import json, os, time, sys
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.monarch.apply import forward_bmm
from monarch_sci.kernels import fused, _triton as tk
DEV = torch.device("cuda")
timer = _Timer(DEV, warmup_ms=10, repeat=20)
res = {}
def log(k, fn):
    try:
        v = fn()
    except Exception as e:  # noqa
        v = repr(e)[:200]
    res[k] = v
    print(k, v, flush=True)
    (Path(os.environ.get("OUT", ".")) / "probe1.json").write_text(json.dumps(res, indent=1, default=str))
t = lambda fn: round(timer(fn)[0], 1)
B, n, bf = 8192, 4096, torch.bfloat16
x = torch.randn(B, n, device=DEV, dtype=bf)
gy = torch.randn(B, n, device=DEV, dtype=bf)
W = torch.randn(n, n, device=DEV, dtype=bf) / 64
def fb(f, *leaves):
    ls = [a.detach().requires_grad_() for a in leaves]
    def run():
        y = f(*ls)
        return torch.autograd.grad(y, ls, gy)
    return run
log("dense_fwd", lambda: t(lambda: x @ W.T))
log("dense_fwdbwd", lambda: t(fb(lambda x, W: x @ W.T, x, W)))
# bf16 one-tile-a-program weight-gradient kernels, n = 4096
nb = 64
R64 = torch.randn(nb, nb, nb, device=DEV, dtype=bf) / 8
L64 = torch.randn(nb, nb, nb, device=DEV, dtype=bf) / 8
dims = (nb,) * 6 + (1,)
cfg = fused.make_config(dims, 2, B)
u = tk.stage1(x, R64, dims, cfg, "tf32")
gt = tk.transpose(gy, cfg)
v, _ = tk.stage2t_adj(gt, L64, dims, cfg, "tf32")
for grp in (2, 4, 16, 64):
    c = {**cfg, "s1g": {**cfg["s1g"], "groups": grp}, "t2": {**cfg["t2"], "groups": grp}}
    log(f"wgrad_s1g_g{grp}", lambda: t(lambda: tk.stage1_adj(v, R64, B, dims, c, "tf32", x)))
    log(f"wgrad_t2a_g{grp}", lambda: t(lambda: tk.stage2t_adj(gt, L64, dims, c, "tf32", u)))
log("plain_s1a", lambda: t(lambda: tk.stage1_adj(v, R64, B, dims, cfg, "tf32")))
log("plain_t2a", lambda: t(lambda: tk.stage2t_adj(gt, L64, dims, cfg, "tf32")))
for nb in (16, 8, 4):
    w = n // nb
    R = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    L = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    xb = torch.randn(nb, B, w, device=DEV, dtype=bf)
    log(f"nb{nb}_rawbmm", lambda: t(lambda: torch.bmm(xb, R.transpose(1, 2))))
    log(f"nb{nb}_bmm_fwd", lambda: t(lambda: forward_bmm(x, R, L)))
    log(f"nb{nb}_bmm_fwdbwd", lambda: t(fb(forward_bmm, x, R, L)))
    if nb == 4:
        from torch.profiler import profile, ProfilerActivity
        f = fb(forward_bmm, x, R, L)
        f(); torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(5):
                f()
            torch.cuda.synchronize()
        tab = prof.key_averages().table(sort_by="cuda_time_total", row_limit=15)
        print(tab)
        res["nb4_profile"] = tab
        log("profiled", lambda: 1)
    t0 = time.time()
    log(f"nb{nb}_fused_fwd", lambda: t(lambda: fused.fused_apply(x, R, L)))
    log(f"nb{nb}_fused_compile_s", lambda: round(time.time() - t0, 1))
    log(f"nb{nb}_fused_err", lambda: ((fused.fused_apply(x, R, L).float() - forward_bmm(x.float(), R.float(), L.float())).norm() / forward_bmm(x.float(), R.float(), L.float()).norm()).item())
    log(f"nb{nb}_fused_fwdbwd", lambda: t(fb(fused.fused_apply, x, R, L)))
log("copy", lambda: t(lambda: x.clone()))
(Path(os.environ.get("OUT", ".")) / "probe1.json").write_text(json.dumps(res, indent=1, default=str))
