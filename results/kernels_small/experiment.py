"""The CUDA one-launch forward for 32 blocks of 32 (``monarch_sci/kernels/forward_b32.cu``) on the GPU
machine: n = 1024, bf16; correctness against a float32 reference and the Triton one-launch kernel, time
against that kernel, a dense GEMM and a copy (medians of CUDA-graph replays after an L2 flush,
``bench.suite._Timer``).

    PYTHONPATH=$PWD python results/kernels_small/experiment.py   # -> kernels_small_h200.json ($OUT if set)
"""

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import torch

from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _forward_b32, _nvrtc
from monarch_sci.kernels.fused import fused_apply, make_config

NB = 32
DEV = torch.device("cuda")


def reference(x, R, L):
    """z[b, s*32 + q] = sum_k L[q, s, k] bf16(sum_p R[k, q, p] x[b, k*32 + p]) in float32."""
    B = x.shape[0]
    u = torch.einsum("bkp,kqp->bkq", x.float().view(B, NB, NB), R.float()).bfloat16().float()
    return torch.einsum("bkq,qsk->bsq", u, L.float()).reshape(B, NB * NB)


def rel_error(z, ref) -> float:
    return ((z.float() - ref).norm() / ref.norm()).item()


def main() -> None:
    torch.manual_seed(0)
    R = (torch.randn(NB, NB, NB, device=DEV) / NB ** 0.5).bfloat16()
    L = (torch.randn(NB, NB, NB, device=DEV) / NB ** 0.5).bfloat16()
    kernel = _forward_b32._kernel(DEV.index or 0, torch.bfloat16)

    def triton(x):  # the Triton one-launch kernel: the package's tiles without the CUDA kernel
        config = make_config((NB,) * 6 + (1,), 2, x.shape[0])
        return fused_apply(x, R, L, config={**config, "whole": {**config["whole"], "cuda": False}})

    out = {"meta": {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "command": "PYTHONPATH=$PWD python results/kernels_small/experiment.py",
                    "shape": "n = 1024 (32 blocks of 32), bf16", "threads": _forward_b32.THREADS,
                    "rows_per_tile": _forward_b32.ROWS, "tile_buffers": _forward_b32.STAGES,
                    "registers": kernel.attribute(_nvrtc.ATTR_NUM_REGS),
                    "local_bytes": kernel.attribute(_nvrtc.ATTR_LOCAL_SIZE_BYTES),
                    "shared_bytes": _forward_b32.SHARED_BYTES,
                    "us": "median device time of a CUDA-graph replay after an L2 flush"},
           "rel_error": {}, "us": {}}
    for B in (8192, 1000, 37, 1):
        x = torch.randn(B, NB * NB, device=DEV).bfloat16()
        zr = reference(x, R, L)
        z = _forward_b32.forward(x, R, L)
        out["rel_error"][str(B)] = {"cuda": rel_error(z, zr), "triton": rel_error(triton(x), zr),
                                    "max_abs_diff_cuda_triton": (z.float() - triton(x).float()).abs().max().item()}
    print(out["meta"], out["rel_error"], flush=True)
    timer = _Timer(DEV, warmup_ms=30, repeat=50)
    W = torch.randn(NB * NB, NB * NB, device=DEV).bfloat16()
    for B in (64, 1024, 4096, 8192, 32768):
        x = torch.randn(B, NB * NB, device=DEV).bfloat16()
        row = {"cuda": timer(lambda: _forward_b32.forward(x, R, L))[0], "triton": timer(lambda: triton(x))[0],
               "dense": timer(lambda: x @ W)[0], "copy": timer(lambda: torch.empty_like(x).copy_(x))[0],
               "floor_us": 2 * x.numel() * 2 / 4.23e12 * 1e6}
        row["cuda_share_of_floor"] = row["floor_us"] / row["cuda"]
        out["us"][str(B)] = row
        print(B, {k: round(v, 2) for k, v in row.items()}, flush=True)
    folder = Path(os.environ.get("OUT") or Path(__file__).resolve().parent)
    (folder / "kernels_small_h200.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
