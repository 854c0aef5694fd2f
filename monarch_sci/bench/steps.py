"""Whole-step entries of ``monarch-sci bench --steps``: a Monarch model against its dense or FFT twin.

    linear  MonarchLinear(n, n, nblocks) vs nn.Linear(n, n): forward on x (B, n), mean-square loss,
            backward, AdamW step (float32 parameters; ``bfloat16`` runs the forward under autocast);
            nblocks 4 (the layer's default, half the dense weights) and sqrt(n)
    fno     Monarch-NO vs FNO-2D+time at the same width and modes (``fno speed``'s step; Monarch-NO with
            its forward DFTs learned as M M*, as in the committed H200 runs; the ν = 1e-3 protocols
            now use (M M*)², whose matrices cost ~2 ms more a step to build from the factors)
    mri     mSENSE (learned inverse DFT) vs SENSE-CG (``bench.mri_step``'s msense pair)
    ns      one Navier–Stokes solver step against its memory-traffic floor (``bench.ns_step``)

Each entry is timed in one process, so its ratio compares like with like. On CUDA the forward and
backward replay from a CUDA graph (``train.graphed.GraphedStep``; the optimizer step stays eager):
these steps launch many small kernels and would otherwise time the host. Sizes are the published
settings on CUDA and small ones on the CPU (seconds).

>>> entries = run(["linear"], device="cpu", repeats=1)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..errors import MonarchError
from .timing import time_step

STEPS = ("linear", "fno", "mri", "ns")
SIZES = {
    "cuda": {"linear": {"n": 4096, "batch": 8192, "nblocks": (4, 64)}, "fno": {"grid": (64, 64), "batch": 20, "steps": 40},
             "mri": {"shape": (320, 320), "coils": 15, "batch": 4}, "ns": {"n": 256, "batch": 1200}},
    "cpu": {"linear": {"n": 256, "batch": 64, "nblocks": (4, 16)}, "fno": {"grid": (32, 32), "batch": 2, "steps": 2},
            "mri": {"shape": (32, 32), "coils": 2, "batch": 1}, "ns": {"n": 64, "batch": 4}},
}


def linear_step(n: int, batch: int, nblocks: int, dtype: str, device: torch.device, warmup: int, repeats: int) -> dict:
    """MonarchLinear vs nn.Linear training steps; {"monarch_ms", "baseline_ms", "ratio", ...}."""
    from ..nn import MonarchLinear
    from ..train.graphed import GraphedStep
    from ..train.precision import autocast

    amp = "bf16" if dtype == "bfloat16" else "off"
    g = torch.Generator().manual_seed(0)
    x, target = torch.randn(batch, n, generator=g).to(device), torch.randn(batch, n, generator=g).to(device)
    times = {}
    for name, layer in (("nn.Linear", nn.Linear(n, n)), ("MonarchLinear", MonarchLinear(n, n, nblocks=nblocks))):
        layer = layer.to(device)
        optimizer = torch.optim.AdamW(layer.parameters(), lr=1e-4)

        def forward_backward(_batch=(), layer=layer):
            with autocast(amp, device):
                y = layer(x)
            loss = (y.float() - target).pow(2).mean()
            loss.backward()
            return loss.detach()

        graphed = GraphedStep(list(layer.parameters()), forward_backward) if device.type == "cuda" else None

        def step(graphed=graphed, optimizer=optimizer, forward_backward=forward_backward):
            if graphed is not None:
                graphed(())
            else:
                optimizer.zero_grad(set_to_none=True)
                forward_backward()
            optimizer.step()

        times[name] = time_step(step, device, warmup, repeats)["median"]
    return {"entry": "linear", "monarch": "MonarchLinear", "baseline": "nn.Linear",
            "settings": {"n": n, "batch": batch, "nblocks": nblocks, "dtype": dtype},
            "monarch_ms": 1e3 * times["MonarchLinear"], "baseline_ms": 1e3 * times["nn.Linear"],
            "ratio": times["MonarchLinear"] / times["nn.Linear"]}


def fno_step(grid, batch: int, steps: int, device: torch.device, warmup: int, repeats: int) -> dict:
    from ..pde.experiments.speed import training_step_seconds

    common = dict(grid=grid, batch=batch, steps=steps, device=str(device), cuda_graph=device.type == "cuda",
                  warmup=warmup, repeats=repeats)
    fno = training_step_seconds("fno2d-time", **common)["median"]
    mno = training_step_seconds("monarch-no2d-time", learn="forward", structure="MM*", **common)["median"]
    return {"entry": "fno", "monarch": "monarch-no2d-time (forward, MM*)", "baseline": "fno2d-time",
            "settings": {"grid": list(grid), "batch": batch, "steps": steps, "modes": 12, "width": 20},
            "monarch_ms": 1e3 * mno, "baseline_ms": 1e3 * fno, "ratio": mno / fno}


def mri_step(shape, coils: int, batch: int, device: torch.device, warmup: int, repeats: int) -> dict:
    from . import mri_step as bench

    result = bench.run(pairs=("msense",), shape=shape, coils=coils, batch=batch, device=str(device),
                       cuda_graph=device.type == "cuda", warmup=warmup, repeats=repeats)
    (ratio,) = result["ratios"]
    return {"entry": "mri", "monarch": "msense (learn inverse, M)", "baseline": "msense (learn none)",
            "settings": {"shape": list(shape), "coils": coils, "batch": batch},
            "monarch_ms": ratio["monarch_ms"], "baseline_ms": ratio["fft_ms"], "ratio": ratio["ratio"]}


def ns_step(n: int, batch: int, device: torch.device, warmup: int, repeats: int) -> dict:
    from . import ns_step as bench

    result = bench.run(n=n, batch=batch, steps=repeats, warmup=warmup, device=str(device))
    return {"entry": "ns", "settings": {"n": n, "batch": batch, "scheme": "euler", "dtype": "float32",
                                        "impl": result["impl"]},
            "ms": 1e3 * result["seconds_per_step"], "floor_ms": 1e3 * result["floor_seconds_per_step"],
            "times_floor": result["times_floor"]}


def run(entries: Sequence[str], device: str | torch.device, dtypes: Sequence[str] = ("float32",),
        warmup: int = 3, repeats: int = 10, progress=None) -> list[dict]:
    """The asked-for entries at the sizes of ``SIZES`` for the device type; one dict per entry (and per
    real dtype for ``linear``)."""
    bad = [e for e in entries if e not in STEPS]
    if bad:
        raise MonarchError(f"unknown bench steps {bad}; choose from {', '.join(STEPS)}")
    device = torch.device(device)
    sizes = SIZES["cuda" if device.type == "cuda" else "cpu"]
    out = []
    for entry in entries:
        if entry == "linear":
            size = dict(sizes["linear"])
            for nblocks in size.pop("nblocks"):
                for dtype in [d for d in dtypes if d in ("float32", "bfloat16")] or ["float32"]:
                    out.append(linear_step(**size, nblocks=nblocks, dtype=dtype, device=device, warmup=warmup,
                                           repeats=repeats))
                    if progress:
                        progress(out[-1])
            continue
        step = {"fno": fno_step, "mri": mri_step, "ns": ns_step}[entry]
        out.append(step(**sizes[entry], device=device, warmup=warmup, repeats=repeats))
        if progress:
            progress(out[-1])
    return out


def format_steps(entries: list[dict]) -> str:
    lines = [f"{'step':>7} {'monarch / dense or FFT':<62} {'monarch ms':>11} {'base ms':>9} {'ratio':>6}"]
    for e in entries:
        if e["entry"] == "ns":
            lines.append(f"{'ns':>7} {'solver step / its byte floor':<62} {e['ms']:>11.2f} {e['floor_ms']:>9.2f} "
                         f"{e['times_floor']:>6.2f}")
        else:
            label = f"{e['monarch']} / {e['baseline']}"
            if e["entry"] == "linear":
                label += f" ({e['settings']['nblocks']} blocks, {e['settings']['dtype']})"
            lines.append(f"{e['entry']:>7} {label:<62} {e['monarch_ms']:>11.2f} {e['baseline_ms']:>9.2f} {e['ratio']:>6.2f}")
    return "\n".join(lines)
