"""Benchmark: one Navier–Stokes solver step against its memory-traffic floor, and the whole recipe's time.

The floor counts every byte a step must move if each FFT reads its input and writes its output once and
the pointwise work is fused into them (the spectral multipliers into the inverse FFTs' loads, the
product into one pass, the Crank–Nicolson update into one pass). Per sample, with R = n²·b real bytes and
S = n(n/2 + 1)·2b half-spectrum bytes (b = 4 for float32):

    4 inverse FFTs  4(S + R)   ŵ read 4 times, u, v, w_x, w_y written
    product         5R         u, v, w_x, w_y read, u w_x + v w_y written
    forward FFT     R + S
    update          3S         ŵ and N̂ read, ŵ written
    total           8S + 10R   (≈ 4.73 MB per sample at 256², float32; ×2 evaluations for scheme "heun")

The achieved fraction is floor bytes / (time × copy bandwidth), the copy bandwidth that of the
benchmark suite (a 1 GiB device-to-device copy, read + write, median of CUDA-event timings). Also
reported, by the same count (cuFFT's own extra passes come on top: its 2-D transforms are two kernels,
one per axis):

- the torch path (``impl="torch"``), 18S + 12R ≈ 1.65× the floor: the multiplier pass 5S, the inverse
  FFTs 4(S + R) plus torch's copy of their input 8S (not counted), the product in two passes 7R, the
  forward FFT R + S, the update in three passes 8S; the CPU path replaces irfft2 by ifft + irfft;
- the Triton path (``impl="triton"``, CUDA's default), 4S + 18R ≈ 1.23× the floor: the update with the
  next evaluation's packing 3S + 4R (two full complex spectra), two complex inverse FFTs 8R, the product
  5R, the forward FFT R + S.

Finally, the minutes the recipe's samples need at the measured step time.

>>> result = run(n=32, batch=4, steps=3, warmup=1)
>>> result["floor_bytes_per_step"] == 4 * (8 * 32 * 17 * 8 + 10 * 32 * 32 * 4)
True
"""

from __future__ import annotations

import time
from typing import Sequence

import torch

from ..pde.navier_stokes import NavierStokes2d, fno_forcing
from .suite import copy_bandwidth


def step_bytes(n: int, batch: int, dtype: torch.dtype = torch.float32, scheme: str = "euler") -> dict[str, int]:
    """Minimal (fused), torch-path and Triton-path bytes of one step for ``batch`` samples on an n × n grid."""
    b = torch.empty(0, dtype=dtype).element_size()
    R, S = n * n * b, n * (n // 2 + 1) * 2 * b
    evaluations = 2 if scheme == "heun" else 1
    floor = 8 * S + 10 * R
    eager = 5 * S + 4 * (S + R) + 7 * R + (R + S) + 8 * S
    triton = (3 * S + 4 * R) + 8 * R + 5 * R + (R + S)
    return {"floor": batch * floor * evaluations, "eager": batch * eager * evaluations,
            "triton": batch * triton * evaluations}


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def run(
    n: int = 256,
    batch: int = 1200,
    steps: int = 20,
    warmup: int = 3,
    dtype: torch.dtype = torch.float32,
    device: str = "cpu",
    scheme: str = "euler",
    compile: bool = False,
    impl: str = "auto",
    recipe_samples: int = 1200,
    recipe_steps: int = 500_000,
) -> dict:
    """Median-free timing: the mean time of ``steps`` steps after ``warmup``, for ``batch`` random states.

    ``recipe_steps`` defaults to ns-v1e-3 (T = 50 at dt = 1e-4); the recipe estimate scales the measured
    step time by recipe_samples / batch. The copy bandwidth is the benchmark suite's probe
    (``suite.copy_bandwidth``).
    """
    solver = NavierStokes2d(
        n, 1e-3, 1e-4, fno_forcing(n), device=device, dtype=dtype, scheme=scheme, compile=compile, impl=impl
    )
    generator = torch.Generator(device=device).manual_seed(0)
    w = torch.randn(batch, n, n, generator=generator, device=device, dtype=dtype)
    w_hat = solver.to_spectral(w) / n  # modest amplitude: stays bounded for a few steps
    w_hat = solver.step(w_hat, warmup)
    _sync(device)
    start = time.perf_counter()
    w_hat = solver.step(w_hat, steps)
    _sync(device)
    seconds = (time.perf_counter() - start) / steps
    counts = step_bytes(n, batch, dtype, scheme)
    bandwidth = copy_bandwidth(torch.device(device))
    floor_seconds = counts["floor"] / bandwidth
    return {
        "n": n,
        "batch": batch,
        "dtype": str(dtype).removeprefix("torch."),
        "device": device,
        "device_name": torch.cuda.get_device_name(device) if torch.device(device).type == "cuda" else "cpu",
        "scheme": scheme,
        "compile": compile,
        "impl": solver.impl,
        "seconds_per_step": seconds,
        "floor_bytes_per_step": counts["floor"],
        "eager_bytes_per_step": counts["eager"],
        "triton_bytes_per_step": counts["triton"],
        "copy_bandwidth_bytes_per_s": bandwidth,
        "floor_seconds_per_step": floor_seconds,
        "fraction_of_floor": floor_seconds / seconds,
        "times_floor": seconds / floor_seconds,
        "recipe_minutes": seconds * recipe_steps * (recipe_samples / batch) / 60,
        "recipe_minutes_at_floor": floor_seconds * recipe_steps * (recipe_samples / batch) / 60,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m monarch_sci.bench.ns_step --device cuda --batch 1200 --out ns_step_h200.json``."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1200)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--scheme", default="euler")
    parser.add_argument("--float64", action="store_true")
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--impl", default="auto", choices=("auto", "torch", "triton"))
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    result = run(
        args.n,
        args.batch,
        args.steps,
        dtype=torch.float64 if args.float64 else torch.float32,
        device=args.device,
        scheme=args.scheme,
        compile=args.compile,
        impl=args.impl,
    )
    result["command"] = " ".join(["python -m monarch_sci.bench.ns_step", *(argv if argv is not None else sys.argv[1:])])
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
