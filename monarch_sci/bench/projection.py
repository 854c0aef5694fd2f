"""Benchmark: time of ``project`` (Theorem 1) on a random dense n x n matrix."""

from __future__ import annotations

import statistics
import time

import torch

from ..monarch.project import project


def run(n: int = 4096, repeat: int = 3, dtype: torch.dtype | None = None, seed: int = 0) -> dict:
    """Median wall time of ``project(A)`` over ``repeat`` runs, A (n, n) standard normal, seeded.

    dtype defaults to torch's default dtype. Returns {"n", "dtype", "seed", "repeat",
    "seconds_median", "seconds", "torch", "threads"}.
    """
    dtype = dtype or torch.get_default_dtype()
    generator = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, dtype=dtype, generator=generator)
    project(A[:16, :16].clone())  # warm-up: the first LAPACK call pays one-time setup
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        project(A)
        seconds.append(time.perf_counter() - start)
    return {
        "n": n,
        "dtype": str(dtype).removeprefix("torch."),
        "seed": seed,
        "repeat": repeat,
        "seconds_median": statistics.median(seconds),
        "seconds": seconds,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
