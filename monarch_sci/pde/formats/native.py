"""Reader for our own HDF5 layout ("monarch-sci-pde", see ``monarch_sci.pde.storage``)."""

from __future__ import annotations

import torch

from ...errors import MonarchError
from ..data import PDEData
from ..storage import FORMAT, read_attrs
from .common import open_hdf5, read_dataset, require_key

NAME = "monarch"


def sniff(f) -> bool:
    return f.attrs.get("format") in (FORMAT, FORMAT.encode())


def load(path, keys: dict | None = None, allow_partial: bool = False) -> PDEData:
    """Every completed sample; an unfinished file is an error unless ``allow_partial``."""
    if keys:
        raise MonarchError(f"{path}: our own layout has fixed keys a/u/t; do not pass keys")
    attrs = read_attrs(path)
    done, total = int(attrs["completed"]), int(attrs["n_samples"])
    if done < total and not allow_partial:
        raise MonarchError(
            f"{path} is incomplete: {done} of {total} samples were generated; resume the generation "
            f"(the same `monarch-sci data generate` command) or load with allow_partial=True"
        )
    with open_hdf5(path) as f:
        require_key(path, f.keys(), "u", "the solution of our layout")
        arrays = {key: torch.from_numpy(read_dataset(path, f, key)) for key in ("a", "u", "t") if key in f}
    return PDEData(
        u=arrays["u"][:done],
        a=arrays["a"][:done] if "a" in arrays else None,
        t=arrays.get("t"),
        grid=attrs.get("grid", "unknown"),
        source=str(path),
        format=NAME,
        attrs=attrs,
    )


def describe(path) -> dict:
    attrs = read_attrs(path)
    with open_hdf5(path) as f:
        arrays = {key: {"shape": list(ds.shape), "dtype": str(ds.dtype)} for key, ds in f.items()}
    return {"format": NAME, "arrays": arrays, "attrs": attrs}
