"""Dispatch inside CUDA graphs (``kernels.dispatch_for_cuda_graphs``), on the GPU machine.

A: device time of the fused kernels against the bmm path where the eager rule (``fused_preferred``) keeps the
bmm path: small n and batches, float32 (3xTF32), TF32, complex64 (the MRI transform's factor too), bfloat16;
forward, adjoint and forward + backward (x, R and L requiring gradients). Medians of CUDA-graph replays after an
L2 flush (``bench.suite._Timer``).
B: training steps replayed from CUDA graphs (``bench.steps``: forward + backward in a GraphedStep, AdamW eager)
with the graph dispatch and without it (``train.graphed.dispatch_for_cuda_graphs`` replaced by a null context).

    PYTHONPATH=$PWD python results/graph_dispatch/probe.py   # -> graph_dispatch_h200.json ($OUT if set)
"""

import contextlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import torch

import monarch_sci.train.graphed as graphed
from monarch_sci.bench import steps
from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import fused_apply, fused_supported
from monarch_sci.monarch.apply import adjoint_bmm, forward_bmm

DEV = torch.device("cuda")
SHAPES = {"n=64 (8 of 8)": ((8, 8, 8), (8, 8, 8)), "n=256 (16 of 16)": ((16, 16, 16), (16, 16, 16)),
          "n=1024 (32 of 32)": ((32, 32, 32), (32, 32, 32)), "n=320 MRI (20 of 16, 16 of 20)": ((20, 16, 16), (16, 20, 20))}
DTYPES = {"float32": torch.float32, "tf32": torch.float32, "complex64": torch.complex64, "bfloat16": torch.bfloat16}


def kernel_cases(timer, out):
    for dname, dtype in DTYPES.items():
        torch.backends.cuda.matmul.allow_tf32 = dname == "tf32"
        for sname, (rs, ls) in SHAPES.items():
            if dname == "bfloat16" and not sname.startswith("n=64"):
                continue  # bf16 at n >= 256: results/bench_h200_small_n.json
            R = torch.randn(*rs, device=DEV, dtype=dtype, requires_grad=True)
            L = torch.randn(*ls, device=DEV, dtype=dtype, requires_grad=True)
            n_in, n_out = rs[0] * rs[2], ls[0] * ls[1]
            for B in (64, 1024) + ((19200,) if "MRI" in sname else ()):
                x = torch.randn(B, n_in, device=DEV, dtype=dtype, requires_grad=True)
                g = torch.randn(B, n_out, device=DEV, dtype=dtype)
                xa = torch.randn(B, n_out, device=DEV, dtype=dtype)
                assert fused_supported(x, R, L) and fused_supported(xa, R, L, adjoint=True)
                row = {}
                for method, fwd, adj in (("fused", fused_apply, lambda x, R, L: fused_apply(x, R, L, adjoint=True)),
                                         ("bmm", forward_bmm, adjoint_bmm)):
                    def fwdbwd(fwd=fwd):
                        x.grad = R.grad = L.grad = None
                        fwd(x, R, L).backward(g)

                    with torch.no_grad():
                        row[method] = {"fwd": timer(lambda: fwd(x, R, L))[0], "adjoint": timer(lambda: adj(xa, R, L))[0]}
                    row[method]["fwdbwd"] = timer(fwdbwd)[0]
                key = f"{dname} {sname} batch {B}"
                out[key] = row
                print(key, {m: {p: round(t, 1) for p, t in v.items()} for m, v in row.items()}, flush=True)
    torch.backends.cuda.matmul.allow_tf32 = False


def step_cases(out):
    cases = [("linear", dict(n=4096, batch=b, nblocks=nb, dtype=dt)) for b in (1024, 2048) for nb in (4, 64)
             for dt in ("bfloat16", "float32")]
    cases += [("linear", dict(n=1024, batch=1024, nblocks=32, dtype="bfloat16"))]
    cases += [("fno", dict(steps.SIZES["cuda"]["fno"])), ("mri", dict(steps.SIZES["cuda"]["mri"]))]
    real = graphed.dispatch_for_cuda_graphs
    for entry, size in cases:
        row = {}
        for name, dispatch in (("graph dispatch", real), ("eager rule", contextlib.nullcontext)):
            graphed.dispatch_for_cuda_graphs = dispatch
            fn = {"linear": steps.linear_step, "fno": steps.fno_step, "mri": steps.mri_step}[entry]
            result = fn(**size, device=DEV, warmup=3, repeats=20)
            row[name] = {"monarch_ms": result["monarch_ms"], "baseline_ms": result["baseline_ms"]}
        graphed.dispatch_for_cuda_graphs = real
        key = f"{entry} {json.dumps(size)}"
        out[key] = row
        print(key, row, flush=True)


def main() -> None:
    out = {"meta": {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "command": "PYTHONPATH=$PWD python results/graph_dispatch/probe.py",
                    "kernels_us": "median device time of a CUDA-graph replay after an L2 flush",
                    "steps_ms": "median training step (forward + backward replayed from a CUDA graph, AdamW eager)"},
           "kernels_us": {}, "steps_ms": {}}
    kernel_cases(_Timer(DEV, warmup_ms=20, repeat=30), out["kernels_us"])
    step_cases(out["steps_ms"])
    folder = Path(os.environ.get("OUT") or Path(__file__).resolve().parent)
    (folder / "graph_dispatch_h200.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
