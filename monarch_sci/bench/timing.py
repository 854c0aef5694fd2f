"""Wall-clock timing of a whole step (a training step, a solver step): warm-up, then timed repeats."""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch


def time_step(step: Callable[[], None], device: torch.device, warmup: int = 3, repeats: int = 10) -> dict:
    """{"median", "min", "times"} seconds per call of ``step`` after ``warmup`` untimed calls; each
    timed call ends with a CUDA synchronize on a CUDA device."""

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "times": times}
