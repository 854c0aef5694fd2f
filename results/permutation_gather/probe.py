"""A permutation of the last dim, forward and forward + backward, on the GPU machine: advanced indexing, torch's
index_select (the package's Permutation before 2026-12-01: its gradient an index_add with atomics), the package's
Permutation (its gradient the gather by the inverse), and a transpose copy; then the DFT chain
(``transforms.dft``: that Permutation and the Monarch factor) against torch.fft.fft. The permutation is the DFT's
input transpose, n = 64 * 64, batch 8192; medians of CUDA-graph replays after an L2 flush (``bench.suite._Timer``).

    PYTHONPATH=$PWD python results/permutation_gather/probe.py   # -> permutation_gather_h200.json ($OUT if set)
"""

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import torch

import monarch_sci as ms
from monarch_sci.bench.suite import _Timer
from monarch_sci.transforms.dft import transpose_permutation

DEV = torch.device("cuda")
N1 = N2 = 64
N, B = N1 * N2, 8192


def main() -> None:
    P = transpose_permutation(N1, N2).to(device=DEV)
    index = P.index
    ways = {"advanced_indexing": lambda x: x[..., index], "index_select": lambda x: x.index_select(-1, index),
            "package_permutation": P,
            "transpose_copy": lambda x: x.view(B, N1, N2).transpose(-1, -2).reshape(B, N)}
    timer = _Timer(DEV, warmup_ms=30, repeat=30)
    out = {"meta": {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "command": "PYTHONPATH=$PWD python results/permutation_gather/probe.py", "shape": [B, N],
                    "us": "median device time of a CUDA-graph replay after an L2 flush"}, "us": {}}
    for dtype in (torch.complex64, torch.float32):
        x = torch.randn(B, N, dtype=dtype, device=DEV, requires_grad=True)
        g = torch.randn(B, N, dtype=dtype, device=DEV)
        expected_grad = g[..., P.inverse]
        for name, f in ways.items():
            assert torch.equal(f(x), x[..., index])

            def forward_backward():
                x.grad = None
                f(x).backward(g)

            forward_backward()
            assert torch.equal(x.grad, expected_grad), name
            row = {"fwd": timer(lambda: f(x.detach()))[0], "fwdbwd": timer(forward_backward)[0]}
            out["us"][f"{str(dtype).removeprefix('torch.')} {name}"] = row
            print(dtype, name, row, flush=True)
    x = torch.randn(B, N, dtype=torch.complex64, device=DEV, requires_grad=True)
    g = torch.randn(B, N, dtype=torch.complex64, device=DEV)
    T = ms.transforms.dft(N).to(device=DEV)
    for name, f in {"dft_chain": T, "torch.fft.fft": torch.fft.fft}.items():
        def forward_backward():
            x.grad = None
            f(x).backward(g)

        row = {"fwd": timer(lambda: f(x.detach()))[0], "fwdbwd": timer(forward_backward)[0],
               "rel_error_vs_fft": ((f(x) - torch.fft.fft(x)).norm() / torch.fft.fft(x).norm()).item()}
        out["us"][f"complex64 {name}"] = row
        print(name, row, flush=True)
    folder = Path(os.environ.get("OUT") or Path(__file__).resolve().parent)
    (folder / "permutation_gather_h200.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
