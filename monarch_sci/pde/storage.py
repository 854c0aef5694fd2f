"""monarch-sci's HDF5 layout for PDE data sets ("monarch-sci-pde", format_version 1).

    /a   (N, *space)        input field: w(0) (Navier–Stokes), u(0) (Burgers), coefficient a (Darcy);
                            absent in files converted from sources without one (PDEBench trajectories)
    /u   (N, R, *space)     the solution at the record times /t; steady problems: (N, *space)
    /t   (R,)               record times (time-dependent problems only)

Root attributes: ``format`` = "monarch-sci-pde", ``format_version``, ``kind``, ``recipe`` (name),
``recipe_json`` (the whole recipe), ``params`` (JSON of every problem parameter, defaults included),
``seed``, ``chunk``, ``n_samples`` (rows allocated), ``completed`` (rows [0, completed) are final; the rest
hold NaN), ``grid`` ("periodic": points j/s on [0, 1); "nodes": points j/(s−1) on [0, 1]), ``created``,
``finished``, ``command``, ``package_version``, ``torch_version``, ``numpy_version``, ``h5py_version``;
converted files add ``source`` and ``source_format``. Space axes are (x, y) with x the slower one.

Crash safety: /a and /u are contiguous and allocated (NaN-filled) when the file is created, so writing a
chunk touches only that chunk's bytes and never the metadata; ``completed`` is raised only after the
chunk's data are flushed. A killed writer leaves every counted sample intact; the partial chunk is
simply written again on resume. Generation writes ``OUT.part`` and renames it to OUT when complete.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MonarchError

FORMAT = "monarch-sci-pde"
FORMAT_VERSION = 1


def versions() -> dict[str, str]:
    """Package versions recorded in every file."""
    import h5py
    import torch

    from .. import __version__

    return {
        "package_version": __version__,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
    }


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _create_allocated(f, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """A contiguous dataset whose storage is allocated (and NaN-filled) now, not at the first write."""
    import h5py

    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_value(np.array(np.nan, dtype=dtype))
    space = h5py.h5s.create_simple(shape)
    h5py.h5d.create(f.id, name.encode(), h5py.h5t.py_create(np.dtype(dtype)), space, dcpl=dcpl).close()


def create(
    path: str | Path,
    n: int,
    shapes: dict[str, tuple[int, ...]],
    dtype: Any,
    times: np.ndarray | None,
    attrs: dict[str, Any],
) -> None:
    """Create a file for ``n`` samples with per-sample ``shapes`` {"a", "u"}; ``completed`` = 0."""
    import h5py

    dtype = np.dtype(dtype)
    with h5py.File(path, "w") as f:
        for name in ("a", "u"):
            if name in shapes:
                _create_allocated(f, name, (n, *shapes[name]), dtype)
        if times is not None:
            f.create_dataset("t", data=np.asarray(times, dtype=np.float64))
        f.attrs.update({"format": FORMAT, "format_version": FORMAT_VERSION, "n_samples": n, "completed": 0})
        for key, value in {"created": now(), **versions(), **attrs}.items():
            f.attrs[key] = _attr(value)


def write_chunk(path: str | Path, start: int, a: np.ndarray | None, u: np.ndarray) -> int:
    """Write samples [start, start + len(u)) and then raise ``completed``; returns the new count."""
    import h5py

    stop = start + len(u)
    with h5py.File(path, "r+") as f:
        if int(f.attrs["completed"]) != start:
            raise MonarchError(f"{path}: chunk starts at sample {start} but {int(f.attrs['completed'])} are complete")
        if a is not None:
            f["a"][start:stop] = a
        f["u"][start:stop] = u
        f.flush()
        f.attrs["completed"] = stop
        if stop == int(f.attrs["n_samples"]):
            f.attrs["finished"] = now()
        f.flush()
    return stop


def read_attrs(path: str | Path) -> dict[str, Any]:
    """Root attributes of one of our files, JSON values decoded; MonarchError if it is not ours."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            attrs = {key: _plain(value) for key, value in f.attrs.items()}
    except OSError as error:
        raise MonarchError(
            f"cannot open {path} as HDF5 (truncated, not HDF5, or open for writing elsewhere?): {error}"
        ) from None
    if attrs.get("format") != FORMAT:
        raise MonarchError(f"{path} is not a {FORMAT} file (attribute 'format' is {attrs.get('format')!r})")
    for key in ("params", "recipe_json"):
        if isinstance(attrs.get(key), str):
            attrs[key] = json.loads(attrs[key])
    return attrs


def _attr(value: Any) -> Any:
    """An HDF5-storable attribute: mappings and sequences as JSON, str subclasses as plain str."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    if isinstance(value, str):
        return str(value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
