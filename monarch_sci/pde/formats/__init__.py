"""Every file format the PDE loaders read, behind ``load_data(path)`` and ``describe_file(path)``.

| name          | files                                   | reader          |
|---------------|-----------------------------------------|-----------------|
| monarch       | our HDF5 layout (``pde.storage``)        | ``native``      |
| fno-mat       | FNO .mat, MATLAB v5 and v7.3             | ``fno_mat``     |
| neuralop-pt   | neuraloperator ``torch.save`` dict x/y   | ``neuralop_pt`` |
| pdebench      | PDEBench HDF5 ('tensor', coordinates)    | ``pdebench``    |

The format is detected from the suffix and content unless given; an unknown name lists the valid ones.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import MonarchError
from ..data import PDEData
from . import fno_mat, native, neuralop_pt, pdebench
from .common import open_hdf5

FORMATS = {m.NAME: m for m in (native, fno_mat, neuralop_pt, pdebench)}


def detect_format(path: str | Path) -> str:
    """The format name of ``path`` from its suffix and content; MonarchError if none fits."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise MonarchError(f"{path}: no such file")
    if path.suffix in (".pt", ".pth"):
        return neuralop_pt.NAME
    if path.suffix == ".mat":
        return fno_mat.NAME
    if h5py.is_hdf5(path):
        with open_hdf5(path) as f:
            for module in (native, pdebench, fno_mat):
                if module.sniff(f):
                    return module.NAME
            keys = sorted(f.keys())
        raise MonarchError(
            f"{path}: HDF5 file of no known layout (keys present: {', '.join(keys) or '(none)'}); expected our "
            f"layout (attribute format='monarch-sci-pde'), PDEBench ('tensor') or an FNO v7.3 .mat (a/u or coeff/sol)"
        )
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\x89HDF"):
        raise MonarchError(f"{path}: HDF5 signature present but the file does not open (truncated?)")
    raise MonarchError(
        f"{path}: unknown file type; expected .mat (FNO), .pt/.pth (neuraloperator) or HDF5 (ours, PDEBench, MATLAB v7.3)"
    )


def _module(path, format: str | None):
    name = format or detect_format(path)
    if name not in FORMATS:
        raise MonarchError(f"unknown data format {name!r}; valid formats: {', '.join(FORMATS)}")
    if not Path(path).is_file():
        raise MonarchError(f"{path}: no such file")
    return FORMATS[name]


def load_data(path: str | Path, format: str | None = None, keys: dict | None = None, **options) -> PDEData:
    """Load any supported file as PDEData; ``keys`` maps a/u/t to the file's names (FNO and .pt files).

    ``options`` go to the reader (our layout: ``allow_partial``).
    """
    return _module(path, format).load(path, keys=keys, **options)


def describe_file(path: str | Path, format: str | None = None) -> dict:
    """Format, arrays (shape, dtype) and, for our files, the generation attributes, without loading the data."""
    module = _module(path, format)
    info = {"path": str(path), "bytes": Path(path).stat().st_size, **module.describe(path)}
    return info


__all__ = ["FORMATS", "detect_format", "describe_file", "load_data"]
