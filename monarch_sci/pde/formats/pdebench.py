"""Reader for PDEBench HDF5 files: 'tensor' [N, t, x(, y)] with 'x-coordinate', 'y-coordinate', 't-coordinate'.

Time-dependent files load as u = tensor (N, R, *space) with every frame, t = 't-coordinate' (PDEBench
stores R + 1 cell edges in some files; the first R values are used), a = None: the initial state is
u[:, 0]. Darcy files ('nu' (N, s, s) and 'tensor' (N, 1, s, s)) load as the steady pair a = nu, u = tensor[:, 0].
The 2-D incompressible Navier–Stokes files ('velocity', 'force', 't') are not supported.
"""

from __future__ import annotations

import numpy as np
import torch

from ...errors import MonarchError
from ..data import PDEData
from .common import open_hdf5, read_dataset

NAME = "pdebench"


def sniff(f) -> bool:
    return "tensor" in f.keys()


def load(path, keys: dict | None = None) -> PDEData:
    if keys:
        raise MonarchError(f"{path}: PDEBench files have fixed keys ('tensor', 'nu', coordinates); do not pass keys")
    with open_hdf5(path) as f:
        present = sorted(f.keys())
        if "tensor" not in present:
            hint = (
                " (PDEBench 2-D incompressible NS files with 'velocity' are not supported)"
                if "velocity" in present
                else ""
            )
            raise MonarchError(
                f"{path}: missing key 'tensor' (PDEBench data array){hint}; keys present: {', '.join(present)}"
            )
        tensor = read_dataset(path, f, "tensor")
        nu = read_dataset(path, f, "nu") if "nu" in present else None
        t = read_dataset(path, f, "t-coordinate") if "t-coordinate" in present else None
    if tensor.ndim < 3:
        raise MonarchError(f"{path}: 'tensor' must be [N, t, x(, y)], got shape {tensor.shape}")
    if nu is not None:
        if tensor.shape[1] != 1:
            raise MonarchError(
                f"{path}: a Darcy file's 'tensor' must be (N, 1, *space) next to 'nu' {nu.shape}, got {tensor.shape}"
            )
        return PDEData(
            u=torch.from_numpy(tensor[:, 0]),
            a=torch.from_numpy(nu),
            grid="unknown",
            source=str(path),
            format=NAME,
            keys={"a": "nu", "u": "tensor"},
        )
    R = tensor.shape[1]
    if t is None:
        t = np.arange(R, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64).ravel()
    if len(t) not in (R, R + 1):
        raise MonarchError(
            f"{path}: inconsistent shapes: 'tensor' {tensor.shape} has {R} frames but 't-coordinate' has {len(t)} values"
        )
    return PDEData(
        u=torch.from_numpy(tensor),
        t=torch.from_numpy(t[:R].copy()),
        grid="unknown",
        source=str(path),
        format=NAME,
        keys={"u": "tensor", "t": "t-coordinate"},
    )


def describe(path) -> dict:
    with open_hdf5(path) as f:
        arrays = {k: {"shape": list(ds.shape), "dtype": str(ds.dtype)} for k, ds in f.items() if hasattr(ds, "shape")}
    return {"format": NAME, "arrays": arrays}
