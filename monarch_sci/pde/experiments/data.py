"""Data for FNO experiments: a recipe name or a data file → train / test datasets of (x, y) samples.

A recipe name (``monarch-sci data recipes``) is generated once into ``data_dir/RECIPE.h5`` (resumable,
as ``monarch-sci data generate``) and loaded from there afterwards; a file in any supported format
(ours, FNO .mat, neuraloperator .pt, PDEBench) is loaded as is. The split follows FNO's scripts:
the first n_train samples train, the last n_test test (default n_test = n // 6: 1000 / 200 of 1200).

Views by model kind ("auto": time if the data have a time axis, else steady): "time" / "space-time": TimeWindows (in_frames frames → the next ``steps``,
default all remaining: the FNO paper's 10 → 40); "steady": SteadyPairs (a ↦ u).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import MonarchError

KINDS = ("time", "space-time", "steady", "auto")


@dataclass
class ExperimentData:
    """train / test datasets of PDESample(x, y, index, t) and what they are."""

    train: object
    test: object
    grid: tuple[int, ...]
    kind: str
    source: str
    in_frames: int | None
    steps: int | None
    info: dict


def resolve_source(source: str, data_dir: str | Path = "out", progress: bool = True, device: str = "cpu") -> Path:
    """The data file for ``source``: the file itself, or the recipe's generated file (generated if missing)."""
    path = Path(source)
    if path.is_file():
        return path
    from .. import available_recipes, generate

    recipes = available_recipes()
    name = path.stem if path.suffix == ".json" else source
    if path.suffix == ".json" and path.exists():
        target = Path(data_dir) / f"{name}.h5"
    elif source in recipes:
        target = Path(data_dir) / f"{source}.h5"
    else:
        raise MonarchError(
            f"data {source!r} is neither a file nor a recipe; valid recipes: {', '.join(recipes)} "
            f"(or a .h5 / .mat / .pt / PDEBench file)"
        )
    if not target.is_file():
        generate(
            source,
            target,
            progress=progress,
            device=device,
            command=f"monarch-sci data generate {source} --out {target}",
        )
    return target


def load_experiment_data(
    source: str,
    kind: str,
    n_train: int | None = None,
    n_test: int | None = None,
    in_frames: int = 10,
    steps: int | None = None,
    data_dir: str | Path = "out",
    progress: bool = True,
    device: str = "cpu",
    env=None,
) -> ExperimentData:
    """Load ``source`` and build the train / test views for a model of ``kind`` (see the module docstring).

    env: a ``DistEnv``; under torch.distributed only rank 0 generates a missing recipe, the others wait.
    """
    import torch

    from .. import SteadyPairs, TimeWindows, load_data

    if kind not in KINDS:
        raise MonarchError(f"unknown model kind {kind!r}; valid: {', '.join(KINDS)}")
    if env is not None and env.distributed:
        if env.is_main:
            resolve_source(source, data_dir, progress=progress, device=device)
        env.barrier()
    path = resolve_source(source, data_dir, progress=progress, device=device)
    data = load_data(path).to(torch.float32)
    if kind == "auto":
        kind = "time" if data.time_dependent else "steady"
    n = data.n
    n_test = max(1, n // 6) if n_test is None else n_test
    n_train = n - n_test if n_train is None else n_train
    if n_train < 0 or n_test < 1 or n_train + n_test > n:
        raise MonarchError(f"{path}: {n} samples cannot give n_train={n_train} and n_test={n_test}")
    train, test = data.split(n_train, n_test)
    if kind == "steady":
        train_set, test_set, in_frames, steps = SteadyPairs(train) if n_train else None, SteadyPairs(test), None, None
    else:
        if not data.time_dependent:
            raise MonarchError(f"{path} holds steady data (no time axis); a {kind!r} model needs trajectories")
        R = data.u.shape[1]
        steps = R - in_frames if steps is None else steps
        if in_frames < 1 or steps < 1 or in_frames + steps > R:
            raise MonarchError(
                f"{path}: trajectories of {R} frames cannot give {in_frames} input frames + {steps} steps"
            )
        train_set = TimeWindows(train, n_in=in_frames, n_out=steps, stride=R) if n_train else None  # one window each
        test_set = TimeWindows(test, n_in=in_frames, n_out=steps, stride=R)
    info = {
        "source": source,
        "file": str(path),
        "format": data.format,
        "n_train": n_train,
        "n_test": n_test,
        "grid": list(data.space_shape),
        "frames": data.u.shape[1] if data.time_dependent else None,
        "in_frames": in_frames,
        "steps": steps,
    }
    return ExperimentData(train_set, test_set, data.space_shape, kind, source, in_frames, steps, info)
