"""Reader for the FNO paper's .mat files: MATLAB v5 (scipy.io.loadmat) and v7.3 (HDF5, via h5py).

Keys: 'a' (N, *space), 'u' (N, *space, R) or (N, *space), optional 't' (1, R) for Navier–Stokes and
Burgers; 'coeff' and 'sol' (N, s, s) for Darcy. MATLAB writes v7.3 files column-major, so h5py sees every
array with its axes reversed; they are transposed back. A 'u' with one more axis than 'a' is a trajectory
(time last in the file, moved to axis 1); the same number of axes makes a steady input → output pair.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ...errors import MonarchError
from ..data import PDEData
from .common import open_hdf5, pick_keys, read_dataset

NAME = "fno-mat"
CANDIDATES = [{"a": "a", "u": "u", "t": "t"}, {"a": "coeff", "u": "sol"}]
EXPECTED = "FNO .mat files hold a/u[/t] or coeff/sol"
MATLAB_73_HEADER = b"MATLAB 7.3 MAT-file"


def is_v73(path) -> bool:
    """True for an HDF5-based MATLAB v7.3 file (header text, or an HDF5 file with a .mat suffix)."""
    import h5py

    with open(path, "rb") as handle:
        head = handle.read(128)
    return head.startswith(MATLAB_73_HEADER) or (Path(path).suffix == ".mat" and h5py.is_hdf5(path))


def sniff(f) -> bool:
    """An HDF5 file whose keys match an FNO mapping (used for v7.3 files without the .mat suffix)."""
    return any({v for k, v in m.items() if k != "t"} <= set(f.keys()) for m in CANDIDATES)


def _read(path, keys: dict | None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    if is_v73(path):
        with open_hdf5(path) as f:
            mapping = pick_keys(path, f.keys(), CANDIDATES, keys, EXPECTED)
            return {name: np.asarray(read_dataset(path, f, key)).transpose() for name, key in mapping.items()}, mapping
    from scipy.io import loadmat, whosmat

    try:
        present = [name for name, _, _ in whosmat(path)]
        mapping = pick_keys(path, present, CANDIDATES, keys, EXPECTED)
        raw = loadmat(path, variable_names=list(mapping.values()))
    except MonarchError:
        raise
    except FileNotFoundError:
        raise MonarchError(f"{path}: no such file") from None
    except Exception as error:  # scipy raises ValueError, TypeError, OSError... on truncated files
        raise MonarchError(f"cannot read {path} as a MATLAB .mat file (truncated or corrupt?): {error}") from None
    return {name: raw[key] for name, key in mapping.items()}, mapping


def load(path, keys: dict | None = None) -> PDEData:
    """The file as PDEData (time moved from the last axis to axis 1); ``keys`` maps a/u/t to other names."""
    arrays, mapping = _read(path, keys)
    a, u = arrays.get("a"), arrays["u"]
    t = arrays.get("t")
    if a is not None and u.ndim == a.ndim + 1:  # trajectory, time last
        u = np.moveaxis(u, -1, 1)
        t = np.arange(1, u.shape[1] + 1, dtype=np.float64) if t is None else np.asarray(t, dtype=np.float64).ravel()
    elif a is not None and u.ndim != a.ndim:
        raise MonarchError(
            f"{path}: inconsistent shapes: {mapping['u']!r} {u.shape} should have the shape of "
            f"{mapping['a']!r} {a.shape} (steady) or one more, time, axis (trajectory)"
        )
    else:
        t = None
    grid = "nodes" if mapping.get("u") == "sol" else "periodic"
    as_tensor = lambda x: None if x is None else torch.from_numpy(np.ascontiguousarray(x))  # noqa: E731
    return PDEData(
        u=as_tensor(u), a=as_tensor(a), t=as_tensor(t), grid=grid, source=str(path), format=NAME, keys=mapping
    )


def describe(path) -> dict:
    if is_v73(path):
        with open_hdf5(path) as f:
            arrays = {
                k: {"shape": list(ds.shape[::-1]), "dtype": str(ds.dtype)}
                for k, ds in f.items()
                if hasattr(ds, "shape")
            }
        version = "7.3 (HDF5; shapes shown in MATLAB order, i.e. reversed from h5py)"
    else:
        from scipy.io import whosmat
        from scipy.io.matlab import matfile_version

        try:
            major, minor = matfile_version(path)
            arrays = {name: {"shape": list(shape), "dtype": cls} for name, shape, cls in whosmat(path)}
        except Exception as error:
            raise MonarchError(f"cannot read {path} as a MATLAB .mat file (truncated or corrupt?): {error}") from None
        version = {0: "4", 1: "5"}.get(major, f"{major}.{minor}")
    return {"format": NAME, "matlab_version": version, "arrays": arrays}
