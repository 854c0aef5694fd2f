"""PNG figures of experiment results: prediction / truth / |error| of one test sample."""

from __future__ import annotations

from pathlib import Path

import torch

from .data import ExperimentData


@torch.no_grad()
def plot_test_sample(models: dict, data: ExperimentData, path: str | Path, index: int = 0, device="cpu") -> Path | None:
    """Fields of test sample ``index``: truth, then each model's prediction and |error|.

    Time data: three rollout steps (first, middle, last); steady data: the solution. 2-D grids only
    (returns None otherwise).
    """
    from ...train.plots import plot_fields

    if len(data.grid) != 2:
        return None
    sample = data.test[index]
    x, y = sample.x.unsqueeze(0).to(device), sample.y
    preds = {}
    for name, module in models.items():
        was_training = module.training
        module.eval()
        out = module(x, steps=y.shape[0]) if data.kind != "steady" else module(x)
        module.train(was_training)
        preds[name] = out[0].float().cpu()
    if data.kind == "steady":
        return plot_fields(
            {n: p[:1] for n, p in preds.items()},
            y[:1],
            path,
            columns=["u"],
            title=f"{data.source}: test sample {index}",
        )
    T = y.shape[0]
    picks = sorted({0, T // 2, T - 1})
    cols = [f"t = {data.in_frames + k + 1}" for k in picks]
    return plot_fields(
        {n: p[picks] for n, p in preds.items()},
        y[picks],
        path,
        columns=cols,
        title=f"{data.source}: test sample {index}",
    )
