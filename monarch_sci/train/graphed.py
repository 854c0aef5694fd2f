"""A training step's forward, backward and gradient norm replayed from a CUDA graph.

A small model on a small grid (FNO-2D+time: 40 rollout steps of four spectral layers per training
step) launches thousands of tiny kernels per step and is bound by launch overhead, not by the GPU.
``GraphedStep`` records the kernels of ``compute(batch)`` once per batch shape and replays them:

    step = GraphedStep(params, compute)      # compute(batch) -> outputs; calls backward itself
    outputs = step(batch)                    # copies batch into the graph's inputs, replays

Gradients live in fixed tensors (allocated before the first capture, zeroed inside each graph), so
an optimizer outside the graph reads ``p.grad`` as usual and the update, the learning-rate schedule
and the non-finite check keep their eager semantics exactly. Each capture is preceded by ``warmup``
eager runs on the step's own stream, which also records the graph (build a DDP wrapper on it);
they only touch gradients, which the graph zeroes. Modules whose forward updates buffers (batch-norm
running statistics) would see those extra updates: use the eager path for them. The graph reads its
inputs from the copies it holds and writes the same output tensors on every replay: use the outputs
before the next call.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..errors import MonarchError
from ..kernels import dispatch_for_cuda_graphs
from .batches import map_tensors, tensors


class GraphedStep:
    """``compute(batch)`` (forward + backward) as one CUDA graph per batch shape.

    params: the parameters whose gradients ``compute`` produces (all on one CUDA device).
    compute: batch -> outputs (tensors, e.g. per-sample losses and the gradient norm); it must call
    backward and must not zero or replace gradients. warmup: eager runs before each capture.
    """

    def __init__(self, params: Sequence[torch.nn.Parameter], compute: Callable, warmup: int = 2):
        self.params = [p for p in params if p.requires_grad]
        if not self.params:
            raise MonarchError("GraphedStep needs at least one parameter that requires grad")
        devices = {p.device for p in self.params}
        if len(devices) != 1 or next(iter(devices)).type != "cuda":
            raise MonarchError(f"CUDA graphs need all parameters on one CUDA device, got {sorted(map(str, devices))}")
        self.compute, self.warmup = compute, warmup
        self.stream = torch.cuda.Stream(next(iter(devices)))  # warm-up and capture (build DDP on it too)
        self._graphs: dict[tuple, tuple] = {}

    @staticmethod
    def _key(batch) -> tuple:
        return tuple((tuple(t.shape), t.dtype, t.device) for t in tensors(batch))

    def __call__(self, batch):
        key = self._key(batch)
        if key not in self._graphs:
            self._graphs[key] = self._capture(batch)
        graph, inputs, outputs = self._graphs[key]
        for static, new in zip(tensors(inputs), tensors(batch)):
            static.copy_(new, non_blocking=True)
        graph.replay()
        return outputs

    def release(self) -> None:
        """Free the captured graphs (the next call captures again)."""
        torch.cuda.synchronize(self.params[0].device)
        self._graphs.clear()

    def _zero_grads(self) -> None:
        torch._foreach_zero_([p.grad for p in self.params])

    def _capture(self, batch) -> tuple:
        with torch.cuda.device(self.params[0].device):
            return self._capture_on_device(batch)

    def _capture_on_device(self, batch) -> tuple:
        inputs = map_tensors(torch.clone, batch)
        for p in self.params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)

        def step():
            self._zero_grads()
            return self.compute(inputs)

        graph, outputs = capture(step, self.stream, self.warmup)
        return graph, inputs, outputs


def capture(fn: Callable, stream: torch.cuda.Stream, warmup: int = 1) -> tuple[torch.cuda.CUDAGraph, object]:
    """Run fn ``warmup`` times on ``stream`` (cuFFT plans, cuBLAS workspaces, Triton compiles), then
    record it there as a CUDA graph: (graph, what fn returned while being recorded). Both inside
    ``kernels.dispatch_for_cuda_graphs()``: Monarch factors take the fused kernels at any batch."""
    with dispatch_for_cuda_graphs():
        stream.wait_stream(torch.cuda.current_stream(stream.device))
        with torch.cuda.stream(stream):
            for _ in range(warmup):
                fn()
        torch.cuda.current_stream(stream.device).wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=stream):
            out = fn()
    return graph, out
