"""Eager (host + device) time per call of the fused kernels against the bmm path, where ``fused_preferred`` (the
eager rule) was set from fewer cases: square factors of sqrt(n) blocks, n = 256 / 1024 / 4096, and the MRI
transform's factor (n = 320: blocks 16 and 20), bf16 / float32 (3xTF32) / complex64, batches 1024 to 65536, forward
(no gradients) and forward + backward (x, R and L requiring gradients), and ``monarch_apply(impl="auto")``, whose
eager rule was then set from these numbers (``eager_rule``: what it chooses). Back-to-back calls, synchronised at the
end of each round; the best of five rounds.

    PYTHONPATH=$PWD python results/eager_dispatch/probe.py   # -> eager_dispatch_h200.json ($OUT if set)
"""

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from monarch_sci.kernels import fused_apply, use_fused
from monarch_sci.monarch.apply import forward_bmm, monarch_apply

DEV = torch.device("cuda")
SHAPES = {"n=256": ((16, 16, 16), (16, 16, 16)), "n=320 MRI": ((20, 16, 16), (16, 20, 20)),
          "n=1024": ((32, 32, 32), (32, 32, 32)), "n=4096": ((64, 64, 64), (64, 64, 64))}
DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32, "complex64": torch.complex64}
BATCHES = (1024, 4096, 16384, 65536)


def eager_us(fn, budget_s=0.15) -> float:
    """Best of five rounds of back-to-back calls, microseconds a call."""
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    reps = max(3, min(100, int(budget_s / max(time.perf_counter() - t0, 1e-6))))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - t0) / reps * 1e6)
    return best


def main() -> None:
    out = {"meta": {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "command": "PYTHONPATH=$PWD python results/eager_dispatch/probe.py",
                    "us": "eager time per call: back-to-back calls, best of five rounds"}, "us": {}}
    for dname, dtype in DTYPES.items():
        for sname, (rs, ls) in SHAPES.items():
            if dtype.is_complex and sname == "n=4096":
                continue  # results/bench_h200_n4096.json
            R = torch.randn(*rs, device=DEV, dtype=dtype, requires_grad=True)
            L = torch.randn(*ls, device=DEV, dtype=dtype, requires_grad=True)
            n = rs[0] * rs[2]
            for B in BATCHES:
                x = torch.randn(B, n, device=DEV, dtype=dtype, requires_grad=True)
                g = torch.randn(B, ls[0] * ls[1], device=DEV, dtype=dtype)
                with torch.no_grad():
                    rule_fwd = "fused" if use_fused(x, R, L) else "bmm"
                row = {"bytes": B * n * x.element_size(),
                       "eager_rule": {"fwd": rule_fwd, "fwdbwd": "fused" if use_fused(x, R, L) else "bmm"}}
                for method, f in (("fused", fused_apply), ("bmm", forward_bmm), ("auto", monarch_apply)):
                    with torch.no_grad():
                        fwd = eager_us(lambda: f(x, R, L))
                    row[method] = {"fwd": fwd, "fwdbwd": eager_us(lambda: torch.autograd.grad(f(x, R, L), (x, R, L), g))}
                key = f"{dname} {sname} batch {B}"
                out["us"][key] = row
                print(key, {k: v for k, v in row.items()}, flush=True)
    folder = Path(os.environ.get("OUT") or Path(__file__).resolve().parent)
    (folder / "eager_dispatch_h200.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
