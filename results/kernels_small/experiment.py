"""The register-permutation Monarch forward (register_permute.cu) on the GPU machine: n = 1024 (32 blocks
of 32), bf16; correctness against a float32 reference, time against the package's persistent Triton
kernel, a dense GEMM and a copy (medians of CUDA-graph replays after an L2 flush, ``bench.suite._Timer``).

    PYTHONPATH=$PWD python results/kernels_small/experiment.py   # -> kernels_small_h200.json ($OUT if set)
"""

import ctypes
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import fused_apply

sys.path.insert(0, str(Path(__file__).parents[1] / "kernels_cluster"))
import nvrtc  # noqa: E402

SOURCE = Path(__file__).parent / "register_permute.cu"
NB, ROWS, THREADS, STAGES = 32, 16, 128, 3
SHARED = 2 * NB ** 3 * 2 + STAGES * ROWS * NB * NB * 2 + 16  # SMEM_BYTES
DEV = torch.device("cuda")


def build(source: str = None) -> nvrtc.Kernel:
    major, minor = torch.cuda.get_device_capability()
    cubin = nvrtc.compile_cuda(source or SOURCE.read_text(), SOURCE.name, f"sm_{major}{minor}")
    return nvrtc.Kernel(cubin, "monarch_small_forward", SHARED)


def launcher(kernel: nvrtc.Kernel, per_sm: int = 1):
    sms = torch.cuda.get_device_properties(DEV).multi_processor_count

    def forward(x, R, L):
        z = torch.empty_like(x)
        grid = min(per_sm * sms, -(-x.shape[0] // ROWS))
        kernel.launch(grid, THREADS, torch.cuda.current_stream().cuda_stream,
                      *(ctypes.c_void_p(t.data_ptr()) for t in (x, R, L, z)), ctypes.c_int(x.shape[0]))
        return z
    return forward


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
    kernel = build()
    forward = launcher(kernel)
    out = {"meta": {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "command": "PYTHONPATH=$PWD python results/kernels_small/experiment.py",
                    "shape": "n = 1024 (32 blocks of 32), bf16", "threads": THREADS, "rows_per_tile": ROWS,
                    "registers": kernel.attribute(nvrtc.ATTR_NUM_REGS),
                    "local_bytes": kernel.attribute(nvrtc.ATTR_LOCAL_SIZE_BYTES), "shared_bytes": SHARED},
           "rel_error": {}, "us": {}}
    for B in (8192, 1000, 37, 1):
        x = torch.randn(B, NB * NB, device=DEV).bfloat16()
        zr = reference(x, R, L)
        out["rel_error"][str(B)] = {"cuda": rel_error(forward(x, R, L), zr), "triton": rel_error(fused_apply(x, R, L), zr),
                                    "max_abs_diff_vs_triton": (forward(x, R, L).float() - fused_apply(x, R, L).float()).abs().max().item()}
    print(out["meta"], out["rel_error"], flush=True)
    timer = _Timer(DEV, warmup_ms=30, repeat=50)
    W = torch.randn(NB * NB, NB * NB, device=DEV).bfloat16()
    for B in (64, 1024, 4096, 8192, 32768):
        x = torch.randn(B, NB * NB, device=DEV).bfloat16()
        row = {"cuda": timer(lambda: forward(x, R, L))[0], "triton": timer(lambda: fused_apply(x, R, L))[0],
               "dense": timer(lambda: x @ W)[0], "copy": timer(lambda: torch.empty_like(x).copy_(x))[0],
               "floor_us": 2 * x.numel() * 2 / 4.23e12 * 1e6}
        row["cuda_share_of_floor"] = row["floor_us"] / row["cuda"]
        out["us"][str(B)] = row
        print(B, {k: round(v, 2) for k, v in row.items()}, flush=True)
    folder = Path(os.environ.get("OUT") or Path(__file__).resolve().parent)
    (folder / "kernels_small_h200.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
