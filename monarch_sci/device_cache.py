"""Small constant tensors built once per (arguments, device): index and phase tables of hot loops."""

from __future__ import annotations

import functools
from typing import Callable

import torch


def device_cached(build: Callable[..., object]) -> Callable[..., object]:
    """``build(*args, device)`` memoized per arguments (all hashable; the device last), except inside a
    CUDA-graph capture, where kernels are recorded rather than run, so a tensor made then holds no
    values until the graph replays: there it is built fresh. Results are shared: never modify them."""
    cached = functools.lru_cache(maxsize=None)(build)

    @functools.wraps(build)
    def get(*args):
        device = args[-1]
        if device.type == "cuda" and torch.cuda.is_current_stream_capturing():
            return build(*args)
        return cached(*args)

    return get
