"""Convert any supported file into our HDF5 layout (``monarch-sci data convert``), atomically.

>>> convert("NavierStokes_V1e-3_N5000_T50.mat", "ns.h5")   # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import MonarchError
from .formats import load_data
from .storage import create, write_chunk


def convert(
    src: str | Path,
    out: str | Path,
    format: str | None = None,
    keys: dict | None = None,
    overwrite: bool = False,
    command: str = "",
) -> Path:
    """Read ``src`` (format detected unless given) and write it to ``out`` in our layout; returns ``out``.

    The data are written to ``out.part`` and renamed when complete. /a is omitted when the source has
    no separate input field (PDEBench trajectories).
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise MonarchError(f"{out} already exists; delete it, choose another output, or pass --overwrite")
    data = load_data(src, format=format, keys=keys)
    a = None if data.a is None else data.a.numpy()
    u = data.u.numpy()
    dtype = np.result_type(u.dtype, a.dtype) if a is not None else u.dtype
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float32
    shapes = {"u": u.shape[1:]} if a is None else {"a": a.shape[1:], "u": u.shape[1:]}
    attrs = {
        "kind": "external",
        "recipe": "",
        "grid": data.grid,
        "source": str(Path(src).resolve()),
        "source_format": data.format,
        "source_keys": data.keys,
        "seed": -1,
        "chunk": data.n,
        "command": command,
    }
    part = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    create(part, data.n, shapes, dtype, None if data.t is None else data.t.numpy(), attrs)
    write_chunk(part, 0, None if a is None else a.astype(dtype), u.astype(dtype))
    os.replace(part, out)
    return out
