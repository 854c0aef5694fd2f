"""Variants of forward_b32.cu's start-up against the shipped kernel, bf16, n = 1024 (not shipped: none was faster).
The variant source loads R and L in R_CHUNKS / L_CHUNKS bulk copies on an mbarrier each, the first tile's R stage
waiting for each chunk of R before its blocks, compute warp w for its own quarter of L; R_FIRST chunks of R go out
before the first x tile, the rest after it. Bit-identical outputs are checked, then medians of five rounds of
CUDA-graph replays after an L2 flush (``bench.suite._Timer``).

    patch -o /tmp/forward_b32_startup_chunks.cu monarch_sci/kernels/forward_b32.cu results/kernels_small/startup_chunks.patch
    PYTHONPATH=$PWD python results/kernels_small/startup_chunks.py /tmp/forward_b32_startup_chunks.cu
"""
import ctypes
import json
import os
import statistics
import sys
from pathlib import Path
import torch
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _forward_b32, _nvrtc

DEV = torch.device("cuda")
NB = 32
folder = Path("monarch_sci/kernels")
common = (folder / "common.cuh").read_text() + "\n"
variants = {"shipped": (common + (folder / "forward_b32.cu").read_text(), (), 229440)}
src = common + Path(sys.argv[1]).read_text()
for r, l, f in [(1, 1, 1), (4, 1, 1), (4, 4, 1), (8, 4, 1), (8, 4, 2), (2, 4, 1), (4, 4, 0), (8, 1, 1), (16, 4, 1)]:
    variants[f"r{r}_l{l}_f{f}"] = (src, (f"-DR_CHUNKS={r}", f"-DL_CHUNKS={l}", f"-DR_FIRST={f}"),
                                   2 * 65536 + 3 * 32768 + 8 * (r + l + 6))
kernels = {}
torch.zeros(1, device=DEV)  # the primary context, current
for name, (text, opts, shared) in variants.items():
    cubin = _nvrtc.compile_cuda(text, name + ".cu", "sm_90", opts)
    with torch.cuda.device(0):
        kernels[name] = _nvrtc.Kernel(cubin, "monarch_forward_b32", shared)
    print(name, "registers", kernels[name].attribute(_nvrtc.ATTR_NUM_REGS), flush=True)

def run(kernel, x, R, L):
    z = torch.empty_like(x)
    grid = min(torch.cuda.get_device_properties(0).multi_processor_count, -(-x.shape[0] // 16))
    kernel.launch(grid, 256, torch.cuda.current_stream().cuda_stream,
                  *(ctypes.c_void_p(t.data_ptr()) for t in (x, R, L, z)), ctypes.c_int(x.shape[0]))
    return z

torch.manual_seed(0)
R = (torch.randn(NB, NB, NB, device=DEV) / NB ** 0.5).bfloat16()
L = (torch.randn(NB, NB, NB, device=DEV) / NB ** 0.5).bfloat16()
for B in (8192, 1000, 37, 1):
    x = torch.randn(B, NB * NB, device=DEV).bfloat16()
    ref = run(kernels["shipped"], x, R, L)
    for name, k in kernels.items():
        assert torch.equal(run(k, x, R, L), ref), (name, B)
print("all variants bit-identical to the shipped kernel", flush=True)
timer = _Timer(DEV, warmup_ms=20, repeat=60)
out = {"us": {}, "rounds": 5}
for B in (64, 1024, 8192, 32768):
    x = torch.randn(B, NB * NB, device=DEV).bfloat16()
    rounds = {name: [] for name in [*kernels, "copy"]}
    for _ in range(5):
        for name, k in kernels.items():
            rounds[name].append(timer(lambda: run(k, x, R, L))[0])
        rounds["copy"].append(timer(lambda: torch.empty_like(x).copy_(x))[0])
    out["us"][B] = {name: statistics.median(v) for name, v in rounds.items()}
    print(B, {n: round(v, 2) for n, v in out["us"][B].items()}, flush=True)
Path(os.environ.get("OUT") or Path(__file__).resolve().parent, "startup_chunks_h200.json").write_text(json.dumps(out, indent=1))
