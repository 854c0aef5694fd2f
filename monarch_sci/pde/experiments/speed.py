"""Training-step time of a registered model on random data (for the benchmark suite and protocols).

One step = forward through the rollout, relative-L2 loss summed over the batch, backward, Adam step:
exactly what ``Trainer`` does per batch (eager, torch.compile'd, or replayed from a CUDA graph). Returns the median over ``repeats`` timed steps after
``warmup`` untimed ones (CUDA-synchronized), so the ratio of two models at the same width and modes
is the "Monarch-NO vs FNO" entry.

>>> training_step_seconds("fno2d-time", grid=(32, 32), batch=4, steps=2, modes=4, width=8, repeats=2)  # doctest: +SKIP
"""

from __future__ import annotations


import torch

from ...bench.timing import time_step
from ...train import OptimizerSpec
from ...train.graphed import GraphedStep
from ...train.precision import autocast
from ..models import Rollout, build_model, model_entry


def training_step_seconds(
    name: str,
    grid=(64, 64),
    batch: int = 20,
    steps: int = 40,
    in_frames: int = 10,
    modes: int = 12,
    width: int = 20,
    device: str = "cpu",
    amp: str = "off",
    compile: bool = False,
    cuda_graph: bool = False,
    warmup: int = 3,
    repeats: int = 10,
    seed: int = 0,
    **options,
) -> dict:
    """{"median", "min", "times"} seconds per training step of ``name`` (time models; all steps in the graph)."""
    torch.manual_seed(seed)
    dev = torch.device(device)
    kind = model_entry(name).kind
    extra = {"steps": steps} if kind == "space-time" else {}
    model = build_model(name, grid=tuple(grid), in_frames=in_frames, modes=modes, width=width, **extra, **options).to(
        dev
    )
    optimizer, _ = OptimizerSpec().build(model, epochs=1)
    if compile:
        model.compile()
    objective = Rollout(per_step=kind != "space-time")
    g = torch.Generator().manual_seed(seed)
    batch_data = (
        torch.randn(batch, in_frames, *grid, generator=g).to(dev),
        torch.randn(batch, steps, *grid, generator=g).to(dev),
    )

    def forward_backward(batch):
        with autocast(amp, dev):
            loss = objective.losses(model, batch).sum()
        loss.backward()
        return loss.detach()

    graphed = GraphedStep(list(model.parameters()), forward_backward) if cuda_graph else None

    def step():
        if graphed is not None:
            graphed(batch_data)
        else:
            optimizer.zero_grad(set_to_none=True)
            forward_backward(batch_data)
        optimizer.step()

    return {
        "model": name,
        "options": options,
        **time_step(step, dev, warmup, repeats),
        "device": str(dev),
        "batch": batch,
        "steps": steps,
        "grid": list(grid),
        "modes": modes,
        "width": width,
        "amp": amp,
        "compile": compile,
        "cuda_graph": cuda_graph,
    }
