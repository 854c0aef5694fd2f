"""The Monarch benchmark suite behind ``monarch-sci bench``.

For each size n, batch B and dtype it times one n x n Monarch factor (nblocks = sqrt(n), or each of
``nblocks``) applied to x (B, n), forward and forward+backward, by several methods:

    fused    the GPU kernels (``monarch_sci.kernels``; CUDA only): Triton, or for real blocks 256 wide
             and wider cuBLAS GEMMs with Triton permutations
    bmm      two torch.bmm with the permutations as copies (the torch path)
    compile  torch.compile of the bmm path (CUDA; by default only n=4096, B=8192, bfloat16)
    dense    x @ W.T with the dense n x n matrix
    fft      torch.fft.fft (complex64 only)

For complex64 the factor is the DFT (R[j2,k1,j1] = w_n^(j2 k1) w_n1^(j1 k1), L[k1,k2,j2] = w_n2^(j2 k2)
after the input permutation arange(n).view(n1, n2).T.flatten()), so every Monarch method computes
torch.fft.fft(x); "fused" there includes the input permutation as the package's ``Permutation`` stage
(as ``transforms.dft`` runs it) and "fused-factor" is the factor alone. "tf32" is float32 with
torch.backends.cuda.matmul.allow_tf32 set.

Times are medians with warm-up. ``us`` is device time: on CUDA the call is captured once as a CUDA
graph and each replay is timed with events after an L2 flush, so Python and launch overhead are out
(``timed`` = "graph"; a call that cannot be captured is timed eagerly, ``timed`` = "events").
``us_host`` is the eager time per call over back-to-back calls, launch overhead included.
``floor_us`` is the bandwidth floor at the measured device-to-device copy bandwidth: forward reads x
and the weights and writes y once; forward+backward adds reading the output gradient, x and the
weights again, writing the input gradient and the weight gradients.
``frac_floor`` = floor_us / us. ``err`` is ||y - y_ref|| / ||y_ref|| against bmm (fft for complex64).

>>> from monarch_sci.bench.suite import run
>>> result = run(device="cpu", ns=[64], batches=[8], dtypes=["float32"], repeat=3)  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from typing import Sequence

import torch

from ..errors import MonarchError
from ..monarch.apply import forward_bmm, forward_einsum
from ..monarch.shapes import balanced_split
from .steps import STEPS, format_steps

DTYPES = {"float32": torch.float32, "tf32": torch.float32, "bfloat16": torch.bfloat16, "complex64": torch.complex64}
METHODS = ("fused", "bmm", "compile", "dense", "fft")
PASSES = ("fwd", "fwdbwd")
GPU_DEFAULTS = {"ns": (256, 1024, 4096, 16384), "batches": (64, 8192), "dtypes": tuple(DTYPES)}
CPU_DEFAULTS = {"ns": (256,), "batches": (64,), "dtypes": ("float32", "complex64")}
COMPILE_DEFAULT_CASES = {(4096, 8192, "bfloat16")}


def _factors(n: int, dtype_name: str, device: torch.device, generator: torch.Generator, nblocks: int | None = None):
    """R, L (square: nblocks blocks, sqrt(n) by default) and the input ``Permutation`` (None for real dtypes)."""
    dtype = DTYPES[dtype_name]
    n1, n2 = balanced_split(n)
    if nblocks is None and n1 * n1 != n:
        raise MonarchError(f"bench sizes must be perfect squares (sqrt(n) blocks), got n={n}")
    if nblocks is not None:
        if dtype.is_complex:
            raise MonarchError("complex64 benches the DFT factor, whose blocks are sqrt(n) wide; drop --nblocks")
        if nblocks < 1 or n % nblocks:
            raise MonarchError(f"nblocks must divide n, got nblocks={nblocks} for n={n}")
        n1 = n // nblocks
        R = torch.randn(nblocks, n1, n1, generator=generator, dtype=dtype).to(device) / math.sqrt(n1)
        L = torch.randn(nblocks, n1, n1, generator=generator, dtype=dtype).to(device) / math.sqrt(n1)
        return R, L, None
    if dtype.is_complex:
        from ..transforms.dft import dft_factor, transpose_permutation

        M = dft_factor(n1, n2)
        return M.R.to(device, dtype), M.L.to(device, dtype), transpose_permutation(n1, n2).to(device=device)
    R = torch.randn(n1, n1, n1, generator=generator, dtype=dtype).to(device) / math.sqrt(n1)
    L = torch.randn(n1, n1, n1, generator=generator, dtype=dtype).to(device) / math.sqrt(n1)
    return R, L, None


def _methods(n, batch, dtype_name, device, wanted, compile_all, R, L, perm):
    """name -> y = f(x, R, L, W) for the methods that apply to this case."""
    from ..kernels import fused_apply, fused_supported

    gather = perm if perm is not None else (lambda x: x)
    out = {}
    if "fused" in wanted and fused_supported(torch.empty(1, n, dtype=R.dtype, device=device), R, L):
        out["fused"] = lambda x, R, L, W: fused_apply(gather(x), R, L)
        if perm is not None:
            out["fused-factor"] = lambda x, R, L, W: fused_apply(x, R, L)
    if "bmm" in wanted:
        out["bmm"] = lambda x, R, L, W: forward_bmm(gather(x), R, L)
    if "compile" in wanted and device.type == "cuda" and (compile_all or (n, batch, dtype_name) in COMPILE_DEFAULT_CASES):
        compiled = torch.compile(forward_bmm, dynamic=False)
        out["compile"] = lambda x, R, L, W: compiled(gather(x), R, L)
    if "dense" in wanted:
        out["dense"] = lambda x, R, L, W: x @ W.T
    if "fft" in wanted and perm is not None:
        out["fft"] = lambda x, R, L, W: torch.fft.fft(x)
    return out


class _Timer:
    """Median time of fn in microseconds: on CUDA events around a CUDA-graph replay of fn (or fn
    itself when ``graphs`` is off or capture fails) after an L2 flush; perf_counter on CPU."""

    def __init__(self, device: torch.device, warmup_ms: float, repeat: int, graphs: bool = True):
        self.device, self.warmup_ms, self.repeat, self.graphs = device, warmup_ms, repeat, graphs
        self.cuda = device.type == "cuda"
        self.flush = torch.empty(256 << 20, dtype=torch.int8, device=device) if self.cuda else None

    def _sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def _graph(self, fn):
        """fn recorded as a CUDA graph, or None if it cannot be."""
        from ..train.graphed import capture

        try:
            return capture(fn, torch.cuda.Stream(self.device))[0]
        except RuntimeError:
            self._sync()
            return None

    def __call__(self, fn) -> tuple[float, float, str]:
        """(median device us, eager us per call, "graph" | "events" | "cpu")."""
        fn()
        self._sync()
        start = time.perf_counter()
        fn()
        self._sync()
        once = max(time.perf_counter() - start, 1e-6)
        for _ in range(max(1, int(self.warmup_ms * 1e-3 / once))):
            fn()
        reps = max(3, min(self.repeat, int((0.5 if self.cuda else 0.05) / once)))
        graph = self._graph(fn) if self.cuda and self.graphs else None
        run = graph.replay if graph is not None else fn
        times = []
        for _ in range(reps):
            if self.cuda:
                self.flush.zero_()
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                run()
                b.record()
                b.synchronize()
                times.append(a.elapsed_time(b) * 1e3)
            else:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e6)
        del graph
        self._sync()
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        self._sync()
        host = (time.perf_counter() - t0) * 1e6 / reps
        timed = "cpu" if not self.cuda else "graph" if run is not fn else "events"
        return statistics.median(times), host, timed


def copy_bandwidth(device: torch.device) -> float:
    """Device-to-device copy bandwidth in bytes/s, counting bytes read plus bytes written."""
    nbytes = (1 << 30) if device.type == "cuda" else (16 << 20)
    src = torch.ones(nbytes // 4, device=device)
    dst = torch.empty_like(src)
    # eager: a graph-replayed 1 GiB copy_ measured 2.71 TB/s on an H200 against 4.23 TB/s eager
    timer = _Timer(device, warmup_ms=20, repeat=20, graphs=False)
    us, _, _ = timer(lambda: dst.copy_(src))
    return 2 * nbytes / (us * 1e-6)


def _versions() -> dict:
    out = {"torch": torch.__version__, "python": platform.python_version()}
    try:
        import triton

        out["triton"] = triton.__version__
    except ImportError:
        out["triton"] = None
    return out


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().to(torch.complex128 if b.is_complex() else torch.float64), b.detach()
    b = b.to(a.dtype)
    return ((a - b).norm() / b.norm().clamp_min(1e-300)).item()


def run(
    device: str | torch.device | None = None,
    ns=None,
    batches=None,
    dtypes=None,
    methods=None,
    passes=PASSES,
    warmup_ms: float = 25.0,
    repeat: int = 50,
    compile_all: bool = False,
    nblocks: Sequence[int] = (),
    projection: bool = False,
    steps: Sequence[str] = (),
    bandwidth: float | None = None,
    seed: int = 0,
    command: str | None = None,
    progress=None,
    step_progress=None,
) -> dict:
    """Run the suite and return {"meta": ..., "rows": [...]} (see the module docstring for fields).

    device defaults to CUDA when available, else CPU; ns, batches and dtypes default to the full grid
    on CUDA and to a small one on CPU (seconds). bandwidth (bytes/s) defaults to a copy measured now.
    nblocks: block counts of the real factors (default: sqrt(n) only).
    steps: whole-step entries of ``bench.steps`` ("linear", "fno", "mri", "ns") added as result["steps"].
    """
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    defaults = GPU_DEFAULTS if device.type == "cuda" else CPU_DEFAULTS
    ns, batches = tuple(ns or defaults["ns"]), tuple(batches or defaults["batches"])
    dtypes, methods = tuple(dtypes or defaults["dtypes"]), tuple(methods or METHODS)
    for name, values, allowed in (("dtype", dtypes, DTYPES), ("method", methods, METHODS), ("pass", passes, PASSES),
                                  ("steps", steps, STEPS)):
        bad = [v for v in values if v not in allowed]
        if bad:
            raise MonarchError(f"unknown bench {name} {bad}; choose from {sorted(allowed)}")
    bandwidth = bandwidth or copy_bandwidth(device)
    timer = _Timer(device, warmup_ms, repeat)
    generator = torch.Generator().manual_seed(seed)
    tf32_before = torch.backends.cuda.matmul.allow_tf32
    rows = []
    try:
        for dtype_name in dtypes:
            torch.backends.cuda.matmul.allow_tf32 = dtype_name == "tf32"
            for n, nb in ((n, nb) for n in ns for nb in (nblocks or (None,))):
                R, L, perm = _factors(n, dtype_name, device, generator, nb)
                W = forward_einsum(torch.eye(n, dtype=R.dtype, device=device), R, L).T
                if perm is not None:
                    W = W[:, perm.inverse]
                for batch in batches:
                    x = torch.randn(batch, n, generator=generator, dtype=R.dtype).to(device)
                    gy = torch.randn(batch, n, generator=generator, dtype=R.dtype).to(device)
                    fns = _methods(n, batch, dtype_name, device, methods, compile_all, R, L, perm)
                    ref = torch.fft.fft(x) if perm is not None else forward_bmm(x, R, L)
                    ref_factor = forward_bmm(x, R, L)
                    item = x.element_size()
                    act, wbytes = batch * n * item, (R.numel() + L.numel()) * item
                    floors = {"fwd": 2 * act + wbytes, "fwdbwd": 5 * act + 4 * wbytes}
                    for name, f in fns.items():
                        err = _rel(f(x, R, L, W), ref_factor if name == "fused-factor" else ref)
                        for kind in passes:
                            fn = _pass(kind, f, name, x, R, L, W, gy)
                            us, host, timed = timer(fn)
                            row = {"n": n, "nblocks": R.shape[0], "batch": batch, "dtype": dtype_name, "method": name,
                                   "pass": kind,
                                   "us": us, "us_host": host, "timed": timed, "bytes_floor": floors[kind],
                                   "floor_us": floors[kind] / bandwidth * 1e6, "err": err}
                            row["frac_floor"] = row["floor_us"] / us
                            rows.append(row)
                            if progress:
                                progress(row)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32_before
    result = {"meta": _meta(device, bandwidth, command, seed), "rows": rows}
    if projection:
        from . import projection as projection_bench

        result["projection"] = projection_bench.run(n=min(ns), repeat=3)
    if steps:
        from . import steps as step_bench

        result["steps"] = step_bench.run(steps, device, dtypes, progress=step_progress)
    return result


def _pass(kind, f, name, x, R, L, W, gy):
    """A zero-argument callable: the forward, or forward and backward to every input it uses."""
    if kind == "fwd":
        return lambda: f(x, R, L, W)
    leaves = [x.detach().requires_grad_()]
    if name in ("dense",):
        leaves.append(W.detach().requires_grad_())
    elif name != "fft":
        leaves += [R.detach().requires_grad_(), L.detach().requires_grad_()]
    xs = leaves[0]
    Rs, Ls = (leaves[1], leaves[2]) if len(leaves) == 3 else (R, L)
    Ws = leaves[1] if name == "dense" else W

    def fwdbwd():
        y = f(xs, Rs, Ls, Ws)
        return torch.autograd.grad(y, leaves, gy)

    return fwdbwd


def _meta(device, bandwidth, command, seed) -> dict:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    return {
        "device": name,
        "device_type": device.type,
        "copy_bandwidth_Bps": bandwidth,
        "command": command,
        "seed": seed,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "threads": torch.get_num_threads(),
        **_versions(),
    }


def format_table(result: dict) -> str:
    """A plain-text table of the rows, grouped by case."""
    head = f"{'n':>6} {'blocks':>6} {'batch':>6} {'dtype':>9} {'pass':>6} {'method':>12} {'us':>10} {'timed':>6} {'us_host':>10} " \
           f"{'floor%':>7} {'err':>8}"
    lines = [f"device {result['meta']['device']}, copy bandwidth {result['meta']['copy_bandwidth_Bps'] / 1e12:.2f} TB/s",
             head]
    for r in result["rows"]:
        lines.append(f"{r['n']:>6} {r['nblocks']:>6} {r['batch']:>6} {r['dtype']:>9} {r['pass']:>6} {r['method']:>12} "
                     f"{r['us']:>10.1f} {r['timed']:>6} {r['us_host']:>10.1f} {100 * r['frac_floor']:>6.1f}% {r['err']:>8.1e}")
    return "\n".join(lines)


def _write_json(path: str, result: dict) -> None:
    """Atomic write: temp file in the target folder, then rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as tmp:
        json.dump(result, tmp, indent=1)
    os.replace(tmp.name, path)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``monarch-sci bench`` (adds them to ``parser`` if given)."""
    parser = parser or argparse.ArgumentParser(prog="monarch-sci bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    parser.add_argument("--n", type=int, nargs="+", dest="ns", help="sizes (perfect squares)")
    parser.add_argument("--batch", type=int, nargs="+", dest="batches", help="batch sizes")
    parser.add_argument("--dtype", nargs="+", dest="dtypes", choices=list(DTYPES), help="dtypes")
    parser.add_argument("--method", nargs="+", dest="methods", choices=list(METHODS), help="methods")
    parser.add_argument("--pass", nargs="+", dest="passes", choices=list(PASSES), default=list(PASSES))
    parser.add_argument("--repeat", type=int, default=50, help="timed repetitions (at most)")
    parser.add_argument("--warmup-ms", type=float, default=25.0)
    parser.add_argument("--compile-all", action="store_true", help="torch.compile every case, not only the anchor")
    parser.add_argument("--nblocks", type=int, nargs="+", default=[],
                        help="block counts of the real factors (default: sqrt(n); MonarchLinear's default is 4)")
    parser.add_argument("--projection", action="store_true", help="also time ms.project (bench.projection)")
    parser.add_argument("--steps", nargs="+", default=[], choices=list(STEPS),
                        help="also time whole steps: MonarchLinear vs nn.Linear, Monarch-NO vs FNO, mSENSE vs SENSE, "
                             "the Navier-Stokes solver (bench.steps)")
    parser.add_argument("--bandwidth", type=float, help="bytes/s for the floor (default: measure a copy)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the JSON result here")
    return parser


def main(argv: list[str] | None = None, prog: str = "monarch-sci bench") -> int:
    """``monarch-sci bench [options]``: run, print the table, write JSON if --out (``prog`` names the
    command as recorded in the JSON)."""
    args = build_parser().parse_args(argv)
    return execute(args, " ".join([prog, *(sys.argv[1:] if argv is None else argv)]))


def execute(args: argparse.Namespace, command: str) -> int:
    """Run the benchmarks that parsed ``args`` ask for; ``command`` is recorded in the JSON."""
    result = run(device=args.device, ns=args.ns, batches=args.batches, dtypes=args.dtypes, methods=args.methods,
                 passes=tuple(args.passes), warmup_ms=args.warmup_ms, repeat=args.repeat,
                 compile_all=args.compile_all, nblocks=tuple(args.nblocks), projection=args.projection, steps=tuple(args.steps),
                 bandwidth=args.bandwidth, seed=args.seed, command=command,
                 progress=lambda r: print(f"  {r['n']}/{r['nblocks']} {r['batch']} {r['dtype']} {r['pass']} {r['method']}: "
                                          f"{r['us']:.1f} us", file=sys.stderr, flush=True),
                 step_progress=lambda e: print(f"  step {e['entry']} {e['settings']}", file=sys.stderr, flush=True))
    print(format_table(result))
    if result.get("steps"):
        print(format_steps(result["steps"]))
    if args.out:
        _write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(prog="python -m monarch_sci.bench.suite"))
