"""Frozen probe 2 (README.md): the Triton grouped-GEMM design (triton_gemm.py) over tiles, against bmm / dense."""
import json, os, time, itertools
from pathlib import Path
import torch, triton
from monarch_sci.bench.suite import _Timer
from monarch_sci.monarch.apply import forward_bmm, forward_einsum
import sys
sys.path.insert(0, str(Path(__file__).parent))
import triton_gemm as _wide  # noqa: E402
from monarch_sci.kernels._triton import _transpose_kernel
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
    (OUT / "probe2.json").write_text(json.dumps(res, indent=1, default=str))
t = lambda fn: round(timer(fn)[0], 1)
B, n = 8192, 4096
def fb(f, x, R, L, gy):
    ls = [a.detach().requires_grad_() for a in (x, R, L)]
    return lambda: torch.autograd.grad(f(*ls), ls, gy)
def rel(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()
def stage2_z2(u, L, cfg, prec):
    l, s, r = L.shape
    Bq = u.shape[1]
    z2 = torch.empty(l, Bq, s, dtype=u.dtype, device=u.device)
    _wide._gemm(u, L, z2, Bq, s, r, (l, 1), (Bq * r, 0, r, 0, 1), (s * r, 0, 0, 1, r), (Bq * s, 0, s, 1), cfg, prec)
    z = torch.empty(Bq, s * l, dtype=u.dtype, device=u.device)
    rows = Bq * s
    # z viewed (B*s, l) is z2 viewed (l, B*s) transposed
    _transpose_kernel[(1, triton.cdiv(rows, 1024))](z2, z, l, rows, rows, l, triton.next_power_of_2(l), 1024, num_warps=4)
    return z
CFGS = [(128, 128, 64, 8, 3), (128, 128, 64, 4, 4), (128, 256, 64, 8, 3), (256, 128, 64, 8, 3), (128, 128, 64, 8, 4),
        (64, 128, 64, 4, 4), (128, 64, 64, 4, 4), (128, 256, 64, 8, 4)]
bf = torch.bfloat16
x = torch.randn(B, n, device=DEV, dtype=bf)
gy = torch.randn(B, n, device=DEV, dtype=bf)
# gradient check vs float32 bmm autograd, nb=4, default tiles
R = torch.randn(4, 1024, 1024, device=DEV, dtype=bf) / 32
L = torch.randn(4, 1024, 1024, device=DEV, dtype=bf) / 32
cfg = _wide.tiles(2)
ls = [a.detach().requires_grad_() for a in (x, R, L)]
g = torch.autograd.grad(_wide.WideMonarch.apply(*ls, cfg, "tf32"), ls, gy)
ls32 = [a.detach().float().requires_grad_() for a in (x, R, L)]
g32 = torch.autograd.grad(forward_bmm(*ls32), ls32, gy.float())
log("nb4_grad_err", lambda: [rel(a, b) for a, b in zip(g, g32)])
# float32: 3xTF32 and TF32 against cuBLAS
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    xf, gf, Rf, Lf = x.float(), gy.float(), R.float(), L.float()
    prec = "tf32" if tf32 else "tf32x3"
    cfg = _wide.tiles(4)
    log(f"f32_tf32{tf32}_wide_fwd", lambda: t(lambda: _wide.WideMonarch.apply(xf, Rf, Lf, cfg, prec)))
    log(f"f32_tf32{tf32}_wide_fwdbwd", lambda: t(fb(lambda a, b, c_: _wide.WideMonarch.apply(a, b, c_, cfg, prec), xf, Rf, Lf, gf)))
    log(f"f32_tf32{tf32}_bmm_fwdbwd", lambda: t(fb(forward_bmm, xf, Rf, Lf, gf)))
    log(f"f32_tf32{tf32}_err", lambda: rel(_wide.WideMonarch.apply(xf, Rf, Lf, cfg, prec), forward_einsum(xf.double(), Rf.double(), Lf.double())))
torch.backends.cuda.matmul.allow_tf32 = False
del xf, gf, Rf, Lf
for nb in (4, 8, 16, 32):
    w = n // nb
    R = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    L = torch.randn(nb, w, w, device=DEV, dtype=bf) / w ** .5
    ref = forward_bmm(x.float(), R.float(), L.float())
    for c in (CFGS if nb == 4 else CFGS[:4] if nb == 16 else CFGS[:1] + CFGS[2:3]):
        cfg = dict(zip(("BM", "BN", "BK", "warps", "stages"), c))
        key = f"nb{nb}_" + "_".join(map(str, c))
        log(key + "_s1", lambda: t(lambda: _wide.stage1(x, R, nb, cfg, "tf32")))
        u = _wide.stage1(x, R, nb, cfg, "tf32")
        log(key + "_s2", lambda: t(lambda: _wide.stage2(u, L, cfg, "tf32")))
        log(key + "_s2_contig", lambda: t(lambda: stage2_z2(u, L, cfg, "tf32")))
        log(key + "_fwd", lambda: t(lambda: _wide.WideMonarch.apply(x, R, L, cfg, "tf32")))
        log(key + "_err", lambda: rel(_wide.WideMonarch.apply(x, R, L, cfg, "tf32"), ref))
        log(key + "_fwdbwd", lambda: t(fb(lambda a, b, c_: _wide.WideMonarch.apply(a, b, c_, cfg, "tf32"), x, R, L, gy)))
    log(f"nb{nb}_gather", lambda: t(lambda: _wide.gather_blocks(gy, nb, None)))
