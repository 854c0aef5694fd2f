"""Training-step time of the learned MRI reconstructions: Monarch transforms vs their FFT versions.

One step = forward on a batch of k-space (B, C, H, W), L1 loss on the magnitude, backward, Adam step:
what ``Trainer`` does per batch. Each pair times a Monarch model and its FFT version on the same
random inputs (normalized random coil maps, a Poisson-like random 2-D mask of acceleration 4):

    msense            mSENSE (learn inverse, the paper's)      vs  SENSE-CG (learn none)
    msense-both       mSENSE (learn both)                      vs  SENSE-CG (learn none)
    unrolled          unrolled-monarch (learn both, shared)    vs  unrolled-fft
    unrolled-inverse  unrolled-monarch (learn inverse, as in results/mri)  vs  unrolled-fft
    unrolled-inverse-learned-start   the same with warm_start="learned" (mSENSE as x⁰)  vs  unrolled-fft

SENSE-CG has no parameters: its step is forward + backward to the k-space input (what a learned
component upstream of it would need) so that both sides run the same CG forward and backward.
Structures and ``materialize`` (dense GEMMs built from the live factors vs the factor-by-factor
apply) are swept by ``--structure`` / ``--materialize``. Times are medians after warm-up, CUDA
synchronized; ``ratio`` = Monarch / FFT of each pair (goal ≤ 1.2 on an H200). Eager steps at 320² are
bound by the host launching kernels (the Monarch side launches more), so ``--cuda-graph`` replays
forward + backward from a CUDA graph (``train.graphed.GraphedStep``, as ``fno speed --cuda-graph``;
the Adam step stays eager) and measures the GPU work.

    python -m monarch_sci.bench.mri_step --device cuda --cuda-graph --out results/mri/h200_step_graph.json
    python -m monarch_sci.bench.mri_step --device cpu --shape 64 64 --coils 4 --batch 2 --repeats 3   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import datetime, timezone

import torch

from ..errors import MonarchError
from .timing import time_step

PAIRS = {
    "msense": (("msense", {"learn": "inverse"}), ("msense", {"learn": "none"})),
    "msense-both": (("msense", {"learn": "both"}), ("msense", {"learn": "none"})),
    "unrolled": (("unrolled-monarch", {"learn": "both"}), ("unrolled-fft", {})),
    "unrolled-inverse": (("unrolled-monarch", {"learn": "inverse"}), ("unrolled-fft", {})),
    "unrolled-inverse-learned-start": (("unrolled-monarch", {"learn": "inverse", "warm_start": "learned"}), ("unrolled-fft", {})),
}
MONARCH_OPTIONS = ("structure", "materialize")


def _inputs(shape, coils, batch, device, seed):
    g = torch.Generator().manual_seed(seed)
    h, w = shape
    maps = torch.randn(batch, coils, h, w, dtype=torch.complex64, generator=g)
    maps = maps / (maps.abs() ** 2).sum(1, keepdim=True).sqrt()
    mask = (torch.rand(batch, 1, h, w, generator=g) < 0.25).float()
    mask[..., h // 2 - h // 16 : h // 2 + h // 16, w // 2 - w // 16 : w // 2 + w // 16] = 1
    kspace = torch.randn(batch, coils, h, w, dtype=torch.complex64, generator=g) * mask
    target = torch.rand(batch, h, w, generator=g)
    return [t.to(device) for t in (kspace, mask, maps, target)]


def step_seconds(name: str, options: dict, shape=(320, 320), coils: int = 15, batch: int = 4, device: str = "cpu",
                 amp: str = "off", compile: bool = False, cuda_graph: bool = False, warmup: int = 3,
                 repeats: int = 10, seed: int = 0) -> dict:
    """{"median", "min", "times", ...}: seconds per training step of the registered MRI model ``name``."""
    from ..mri.models import build_model
    from ..train.graphed import GraphedStep
    from ..train.precision import autocast

    dev = torch.device(device)
    model = build_model(name, tuple(shape), **options).to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-4) if params else None
    if compile:
        model.compile()
    kspace, mask, maps, target = _inputs(tuple(shape), coils, batch, dev, seed)
    if not params:
        kspace = kspace.clone().requires_grad_()

    def forward_backward(_batch=()):
        with autocast(amp, dev):
            out = model(kspace, mask, maps)
        loss = (out.abs().float() - target).abs().mean()
        loss.backward()
        return loss.detach()

    graphed = GraphedStep(params or [kspace], forward_backward) if cuda_graph else None

    def step():
        if graphed is not None:
            graphed(())  # the inputs are fixed tensors the graph reads directly
        else:
            if optimizer is not None:
                optimizer.zero_grad(set_to_none=True)
            forward_backward()
        if optimizer is not None:
            optimizer.step()

    return {"model": name, "options": options, **time_step(step, dev, warmup, repeats),
            "parameters": sum(p.numel() for p in params)}


def run(pairs=tuple(PAIRS), structures=("M",), materialize=(True,), shape=(320, 320), coils: int = 15, batch: int = 4,
        device: str | None = None, amp: str = "off", compile: bool = False, cuda_graph: bool = False, warmup: int = 3,
        repeats: int = 10, seed: int = 0, command: str | None = None, progress=None) -> dict:
    """All pairs × structures × materialize settings; {"meta", "rows", "ratios"}."""
    bad = [p for p in pairs if p not in PAIRS]
    if bad:
        raise MonarchError(f"unknown MRI bench pairs {bad}; valid: {', '.join(PAIRS)}")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    common = dict(shape=shape, coils=coils, batch=batch, device=device, amp=amp, compile=compile,
                  cuda_graph=cuda_graph, warmup=warmup, repeats=repeats, seed=seed)
    rows, ratios, fft_cache = [], [], {}
    for pair in pairs:
        (monarch, m_opts), (fft, f_opts) = PAIRS[pair]
        key = (fft, tuple(sorted(f_opts.items())))
        if key not in fft_cache:
            fft_cache[key] = step_seconds(fft, f_opts, **common)
            rows.append({"pair": pair, "role": "fft", **fft_cache[key]})
            if progress:
                progress(rows[-1])
        base = fft_cache[key]["median"]
        for structure in structures:
            for mat in materialize:
                row = step_seconds(monarch, {**m_opts, "structure": structure, "materialize": mat}, **common)
                row = {"pair": pair, "role": "monarch", **row, "ratio": row["median"] / base}
                rows.append(row)
                ratios.append({"pair": pair, "structure": structure, "materialize": mat, "ratio": row["ratio"],
                               "monarch_ms": 1e3 * row["median"], "fft_ms": 1e3 * base})
                if progress:
                    progress(row)
    name = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else platform.processor() or "cpu"
    meta = {"device_name": name, "command": command, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "torch": torch.__version__, "threads": torch.get_num_threads(), "tf32": torch.backends.cuda.matmul.allow_tf32,
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in common.items()}}
    return {"meta": meta, "rows": rows, "ratios": ratios}


def format_table(result: dict) -> str:
    lines = [f"device {result['meta']['device_name']}, shape {result['meta']['shape']}, coils {result['meta']['coils']}, "
             f"batch {result['meta']['batch']}",
             f"{'pair':>30} {'structure':>9} {'materialize':>11} {'monarch ms':>11} {'fft ms':>9} {'ratio':>7}"]
    for r in result["ratios"]:
        lines.append(f"{r['pair']:>30} {r['structure']:>9} {str(r['materialize']):>11} {r['monarch_ms']:>11.2f} "
                     f"{r['fft_ms']:>9.2f} {r['ratio']:>7.2f}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monarch_sci.bench.mri_step", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--structure", nargs="+", default=["M", "(MM*)^2"], choices=["M", "MM*", "(MM*)^2"])
    parser.add_argument("--materialize", nargs="+", default=["true", "false"], choices=["true", "false"])
    parser.add_argument("--shape", type=int, nargs=2, default=[320, 320], metavar=("H", "W"))
    parser.add_argument("--coils", type=int, default=15, help="coils (default 15, fastMRI knee)")
    parser.add_argument("--batch", type=int, default=4, help="slices per step (default 4)")
    parser.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    parser.add_argument("--amp", default="off", choices=["off", "bf16"])
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--cuda-graph", action="store_true", help="replay forward + backward from a CUDA graph")
    parser.add_argument("--tf32", action="store_true",
                        help="float32 (and complex64) matmuls on TF32 tensor cores (torch.backends.cuda.matmul.allow_tf32)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the JSON result here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = " ".join(["python -m monarch_sci.bench.mri_step", *(sys.argv[1:] if argv is None else argv)])
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = previous or args.tf32
    try:
        result = run(tuple(args.pairs), tuple(args.structure), tuple(m == "true" for m in args.materialize),
                     tuple(args.shape), args.coils, args.batch, args.device, args.amp, args.compile, args.cuda_graph,
                     args.warmup, args.repeats, args.seed, command,
                     progress=lambda r: print(f"  {r['pair']} {r['model']} {r['options']}: {1e3 * r['median']:.2f} ms",
                                              file=sys.stderr, flush=True))
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
    print(format_table(result))
    if args.out:
        folder = os.path.dirname(os.path.abspath(args.out))
        os.makedirs(folder, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as tmp:
            json.dump(result, tmp, indent=1)
        os.replace(tmp.name, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
