"""Benchmark: how much the Navier–Stokes data depend on the solver grid, dt and time scheme.

The same initial conditions (a GRF drawn on the finest grid, spectrally truncated for coarser ones) are
solved with each configuration; every trajectory is brought to the output grid by subsampling (as the
FNO data) and compared with the first configuration, the reference:

    rel(t) = ‖w_cfg(t) − w_ref(t)‖₂ / ‖w_ref(t)‖₂   per sample, averaged over samples,

reported at the final time and as the maximum over the recorded times. The default is the issue's check:
ν = 1e-3, T = 50, 128² against 256², output 64², dt = 1e-4 (slow on a CPU: about 10⁶ steps in all).

>>> result = run(configs=[(64, 1e-3, "euler"), (32, 1e-3, "euler")], T=1.0, output_grid=32, n_samples=1)
>>> result["rows"][1]["rel_final"] < 1e-2
True
"""

from __future__ import annotations

import json
import sys
import time
from typing import Sequence

import torch

from ..errors import MonarchError
from ..pde.grf import GaussianRandomField
from ..pde.navier_stokes import NavierStokes2d, fno_forcing
from ..pde.resample import downsample_periodic

FNO_SIGMA = 2**0.5 * 7**1.5  # FNO's GaussianRF(2, s, alpha=2.5, tau=7) in this sampler's convention


def run(
    configs: Sequence[tuple] = ((256, 1e-4, "euler"), (128, 1e-4, "euler")),
    visc: float = 1e-3,
    T: float = 50.0,
    output_grid: int = 64,
    n_samples: int = 2,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: str = "cpu",
    keep_trajectories: bool = False,
    save_reference: str | None = None,
    progress: bool = False,
    ic_downsample: str = "spectral",
) -> dict:
    """Solve ``n_samples`` ICs with each (grid, dt, scheme[, dtype]); configs[0] is the reference.

    A config's optional 4th entry overrides ``dtype`` for it (e.g. float32 against a float64 reference).
    Returns {"rows": [{"grid", "dt", "scheme", "seconds", "ms_per_step", "rel_final", "rel_max"}], the
    settings, "torch", "threads"}; with ``keep_trajectories`` also "trajectories": {label: (B, T, s, s)}.
    ``save_reference`` writes the reference trajectories at their full solver resolution to that path in
    our HDF5 layout (for ``monarch-sci data plot``). ``progress`` prints each row to stderr when done.
    ``ic_downsample`` brings the fine-grid initial condition to coarser solver grids: "spectral" (the same
    Fourier modes) or "subsample" (grid values, which aliases the field's finer modes).
    """
    configs = [tuple(c) + (dtype,) * (4 - len(c)) for c in configs]
    for grid, dt, *_ in configs:  # fail before any long solve
        if abs(round(min(1.0, T) / dt) * dt - min(1.0, T)) > 1e-9:
            raise MonarchError(f"dt={dt} (grid {grid}) must divide the record interval {min(1.0, T)}")
    fine = max(c[0] for c in configs)
    generator = torch.Generator().manual_seed(seed)
    w0_fine = GaussianRandomField((fine, fine), alpha=2.5, tau=7.0, sigma=FNO_SIGMA).sample(n_samples, generator)
    rows, trajectories, reference = [], {}, None
    for grid, dt, scheme, cfg_dtype in configs:
        w0 = downsample_periodic(w0_fine, grid, method=ic_downsample)
        solver = NavierStokes2d(grid, visc, dt, fno_forcing(grid), device=device, dtype=cfg_dtype, scheme=scheme)
        if device != "cpu":
            torch.cuda.synchronize()
        start = time.perf_counter()
        full, times = solver.solve(w0, T, record_every=min(1.0, T))
        full = full.cpu()
        seconds = time.perf_counter() - start
        frames = downsample_periodic(full, output_grid).double()
        if reference is None:
            reference = frames
            if save_reference:
                _save(save_reference, w0, full, times, visc, grid, dt, scheme, seed, cfg_dtype)
        diff = (frames - reference).flatten(2).norm(dim=-1) / reference.flatten(2).norm(dim=-1)  # (B, T)
        rel = diff.mean(0)
        rows.append(
            {
                "grid": grid,
                "dt": dt,
                "scheme": scheme,
                "dtype": str(cfg_dtype).removeprefix("torch."),
                "seconds": seconds,
                "ms_per_step": 1e3 * seconds / round(T / dt),
                "rel_final": float(rel[-1]),
                "rel_max": float(rel.max()),
            }
        )
        if progress:
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        if keep_trajectories:
            trajectories[f"{grid}-{dt:g}-{scheme}-{str(cfg_dtype).removeprefix('torch.')}"] = frames
    result = {
        "rows": rows,
        "visc": visc,
        "T": T,
        "output_grid": output_grid,
        "n_samples": n_samples,
        "seed": seed,
        "ic_downsample": ic_downsample,
        "dtype": str(dtype).removeprefix("torch."),
        "device": device,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    if keep_trajectories:
        result["trajectories"] = trajectories
    return result


def compare_files(path: str, reference: str, output_grid: int = 64) -> dict:
    """rel(t) of the trajectories in ``path`` against ``reference`` (our layout, same initial conditions), on the
    ``output_grid`` by subsampling; {"rel_final", "rel_max", "rel_by_time", "params", "reference_params"}."""
    from ..pde.formats import load_data

    data, ref = load_data(path), load_data(reference)
    a, b = downsample_periodic(data.u.double(), output_grid), downsample_periodic(ref.u.double(), output_grid)
    if a.shape != b.shape:
        raise MonarchError(f"{path} {tuple(a.shape)} and {reference} {tuple(b.shape)} hold different trajectories")
    rel = ((a - b).flatten(2).norm(dim=-1) / b.flatten(2).norm(dim=-1)).mean(0)
    return {
        "rel_final": rel[-1].item(),
        "rel_max": rel.max().item(),
        "rel_by_time": rel.tolist(),
        "params": data.attrs.get("params"),
        "reference_params": ref.attrs.get("params"),
    }


def _save(path, w0, frames, times, visc, grid, dt, scheme, seed, dtype) -> None:
    from ..pde.storage import create, write_chunk

    params = {
        "visc": visc,
        "T": float(times[-1]),
        "dt": dt,
        "solver_grid": grid,
        "output_grid": grid,
        "scheme": scheme,
        "dtype": str(dtype).removeprefix("torch."),
        "grf": {"alpha": 2.5, "tau": 7.0, "sigma": FNO_SIGMA},
    }
    attrs = {
        "kind": "navier_stokes",
        "recipe": "",
        "params": params,
        "seed": seed,
        "chunk": len(w0),
        "grid": "periodic",
        "command": "monarch_sci.bench.ns_resolution (reference configuration)",
    }
    create(
        path,
        len(w0),
        {"a": tuple(w0.shape[1:]), "u": tuple(frames.shape[1:])},
        frames.numpy().dtype,
        times.numpy(),
        attrs,
    )
    write_chunk(path, 0, w0.to(frames.dtype).numpy(), frames.numpy())


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m monarch_sci.bench.ns_resolution --configs 256:1e-4:euler 128:1e-4:euler --out r.json``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["256:1e-4:euler", "128:1e-4:euler"],
        help="GRID:DT:SCHEME[:float32|float64], reference first",
    )
    parser.add_argument("--visc", type=float, default=1e-3)
    parser.add_argument("--T", type=float, default=50.0)
    parser.add_argument("--output-grid", type=int, default=64)
    parser.add_argument("--n-samples", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--float32", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--ic-downsample", default="spectral", choices=["spectral", "subsample"])
    parser.add_argument("--out", help="write the result JSON here")
    parser.add_argument(
        "--save-reference", help="write the reference trajectories (full resolution, our HDF5 layout) here"
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("FILE", "REFERENCE"),
        help="instead of solving: compare two saved trajectories on --output-grid",
    )
    args = parser.parse_args(argv)
    command = " ".join(["python -m monarch_sci.bench.ns_resolution", *(argv if argv is not None else sys.argv[1:])])
    if args.compare:
        result = {**compare_files(*args.compare, output_grid=args.output_grid), "command": command}
        text = json.dumps(result, indent=1)
        print(text)
        if args.out:
            with open(args.out, "w") as handle:
                handle.write(text + "\n")
        return
    dtypes = {"float32": torch.float32, "float64": torch.float64}
    configs = [
        (int(c[0]), float(c[1]), c[2], *(dtypes[x] for x in c[3:])) for c in (c.split(":") for c in args.configs)
    ]
    result = run(
        configs,
        args.visc,
        args.T,
        args.output_grid,
        args.n_samples,
        args.seed,
        torch.float32 if args.float32 else torch.float64,
        args.device,
        save_reference=args.save_reference,
        progress=True,
        ic_downsample=args.ic_downsample,
    )
    result["command"] = " ".join(
        ["python -m monarch_sci.bench.ns_resolution", *(argv if argv is not None else sys.argv[1:])]
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
