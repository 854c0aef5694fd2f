"""Generate a recipe's data set into our HDF5 layout, in chunks, resumable (``monarch-sci data generate``).

The file is written as ``OUT.part`` and renamed to ``OUT`` when every sample is done. Running the same
generation again after an interruption (Ctrl-C, a kill, a lost machine) continues from the last complete
chunk; different settings for an existing ``OUT.part`` are an error that names what differs.

>>> path = generate("ns-v1e-3-small", "out/ns.h5", n=4, params={"T": 2.0}, progress=False)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from ..errors import MonarchError
from .problems import Problem, make_problem
from .recipes import Recipe, get_recipe
from .storage import create, read_attrs, write_chunk


def _check_device(device: str) -> str:
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise MonarchError(f"unknown device {device!r}; expected 'cpu', 'cuda' or 'cuda:N'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise MonarchError(f"device {device!r} requested but CUDA is not available here; use --device cpu")
    return str(dev)


def generate(
    recipe: Recipe | str,
    out: str | Path,
    *,
    n: int | None = None,
    seed: int | None = None,
    chunk: int | None = None,
    params: dict | None = None,
    device: str = "cpu",
    overwrite: bool = False,
    progress: bool = True,
    command: str = "",
    on_chunk: Callable[[int], None] | None = None,
    workers: int | str = 1,
) -> Path:
    """Generate ``recipe`` (a name, a .json path or a Recipe) into ``out``; returns the finished path.

    ``n``, ``seed``, ``chunk`` and ``params`` override the recipe. ``on_chunk(completed)`` runs after each
    chunk is committed. ``workers`` > 1 (or "auto": one per core) solves chunks in that many spawned CPU
    processes with one thread each, committed in order. Samples depend only on (seed, index), never on
    chunking, workers or resuming.
    """
    from tqdm.auto import tqdm

    recipe = get_recipe(recipe) if isinstance(recipe, str) else recipe
    recipe = recipe.with_overrides(n=n, seed=seed, chunk=chunk, params=params)
    device = _check_device(device)
    problem = recipe.problem()
    out = Path(out)
    part = out.with_name(out.name + ".part")
    if overwrite:
        for path in (out, part):
            path.unlink(missing_ok=True)
    if out.exists():
        raise MonarchError(f"{out} already exists; delete it, choose another --out, or pass --overwrite")
    identity = {
        "kind": recipe.kind,
        "params": problem.params,
        "seed": recipe.seed,
        "n_samples": recipe.n,
        "chunk": recipe.chunk,
    }
    identity = json.loads(json.dumps(identity))
    if part.exists():
        attrs = read_attrs(part)
        differs = [key for key, value in identity.items() if attrs.get(key) != value]
        if differs:
            details = "; ".join(f"{key}: file has {attrs.get(key)!r}, now {identity[key]!r}" for key in differs)
            raise MonarchError(
                f"{part} holds an interrupted generation with different settings ({details}); "
                f"rerun with the same settings to resume, or pass --overwrite to start again"
            )
        start = int(attrs["completed"])
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        recipe_json = {
            "name": recipe.name,
            "kind": recipe.kind,
            "description": recipe.description,
            "reference": recipe.reference,
            "n": recipe.n,
            "seed": recipe.seed,
            "chunk": recipe.chunk,
            "params": recipe.params,
            "notes": list(recipe.notes),
        }
        attrs = {
            **identity,
            "recipe": recipe.name,
            "recipe_json": recipe_json,
            "grid": problem.grid,
            "command": command,
        }
        fresh = part.with_name(part.name + ".new")  # a kill while allocating leaves no half-made OUT.part
        dtype = torch.empty(0, dtype=problem.dtype).numpy().dtype
        create(fresh, recipe.n, problem.shapes(), dtype, problem.times, attrs)
        os.replace(fresh, part)
        start = 0

    bar = tqdm(
        total=recipe.n,
        initial=start,
        unit="sample",
        desc=recipe.name,
        disable=not progress,
        dynamic_ncols=True,
        bar_format="{l_bar}{bar}| {n:.1f}/{total_fmt} samples [{elapsed}<{remaining}]",
    )
    chunks = [(first, min(first + recipe.chunk, recipe.n)) for first in range(start, recipe.n, recipe.chunk)]
    workers = resolve_workers(workers, device, len(chunks))
    if workers > 1:
        results = _solve_in_pool(recipe.kind, problem.params, chunks, recipe.seed, workers)
    else:
        results = _solve_here(problem, chunks, recipe.seed, device, bar)
    try:
        for first, a, u in results:
            if not (np.isfinite(a).all() and np.isfinite(u).all()):
                raise MonarchError(
                    f"recipe {recipe.name!r}: samples {first}..{first + len(u) - 1} contain NaN/inf (the solver blew up; "
                    f"a smaller dt or a finer solver_grid is needed); {first} samples are kept in {part}"
                )
            done = write_chunk(part, first, a, u)
            bar.n = done
            bar.refresh()
            if on_chunk is not None:
                on_chunk(done)
    finally:
        results.close()
        bar.close()
    os.replace(part, out)
    return out


def resolve_workers(workers: int | str, device: str, n_chunks: int) -> int:
    """The number of solver processes; "auto" is one per available core on the CPU (at most one per chunk), 1 on a GPU."""
    if workers == "auto":
        if torch.device(device).type != "cpu":
            return 1
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(cores, n_chunks))
    if not isinstance(workers, int) or workers < 1:
        raise MonarchError(f"workers must be a positive integer or 'auto', got {workers!r}")
    if workers > 1 and torch.device(device).type != "cpu":
        raise MonarchError(f"workers={workers} is for CPU generation; on {device} use one process (workers=1)")
    return workers


def _solve_here(problem: Problem, chunks, seed: int, device: str, bar) -> Iterator:
    """Chunks solved in this process, with progress inside each chunk."""
    for first, stop in chunks:
        a, u = problem.generate(
            range(first, stop), seed, device, callback=lambda frac, k=stop - first: bar.update(frac * k)
        )
        yield first, a.numpy(), u.numpy()


def _init_worker() -> None:
    torch.set_num_threads(1)  # one process per core; intra-op threads would only oversubscribe


def _solve_chunk(kind: str, params: dict, first: int, stop: int, seed: int):
    a, u = make_problem(kind, params).generate(range(first, stop), seed, "cpu")
    return a.numpy(), u.numpy()


def _solve_in_pool(kind: str, params: dict, chunks, seed: int, workers: int) -> Iterator:
    """Chunks solved by ``workers`` spawned CPU processes (one intra-op thread each), yielded in order."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker)
    queue, pending, ready = iter(chunks), {}, {}

    def submit() -> None:
        chunk = next(queue, None)
        if chunk is not None:
            pending[pool.submit(_solve_chunk, kind, params, *chunk, seed)] = chunk[0]

    try:
        for _ in range(2 * workers):
            submit()
        order = iter(first for first, _ in chunks)
        expected = next(order, None)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                ready[pending.pop(future)] = future.result()
                submit()
            while expected in ready:
                yield (expected, *ready.pop(expected))
                expected = next(order, None)
    finally:
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:  # do not wait for chunks nobody will commit
            process.terminate()
