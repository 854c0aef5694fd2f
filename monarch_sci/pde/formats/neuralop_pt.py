"""Reader for neuraloperator's .pt data files: a ``torch.save``d dict with 'x' (input) and 'y' (output).

E.g. Darcy ``darcy_train_16.pt``: x (N, s, s) bool coefficient mask, y (N, s, s) float. Loaded as a
steady input → output pair (a = x, u = y); boolean inputs become float32. Read with
``torch.load(weights_only=True)``: no code from the file is run.
"""

from __future__ import annotations

import torch

from ...errors import MonarchError
from ..data import PDEData
from .common import pick_keys

NAME = "neuralop-pt"
CANDIDATES = [{"a": "x", "u": "y"}]
EXPECTED = "neuraloperator .pt files hold a dict with 'x' and 'y'"


def _load_dict(path, mmap: bool = False) -> dict:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except FileNotFoundError:
        raise MonarchError(f"{path}: no such file") from None
    except Exception as error:  # RuntimeError / EOFError / UnpicklingError on truncated or foreign files
        raise MonarchError(
            f"cannot read {path} with torch.load (truncated, corrupt or not a tensor dict?): {error}"
        ) from None
    if not isinstance(obj, dict):
        raise MonarchError(f"{path}: expected a dict of tensors ('x', 'y'), got {type(obj).__name__}")
    return obj


def load(path, keys: dict | None = None) -> PDEData:
    obj = _load_dict(path)
    mapping = pick_keys(path, obj.keys(), CANDIDATES, keys, EXPECTED)
    arrays = {}
    for name, key in mapping.items():
        value = obj[key]
        if not isinstance(value, torch.Tensor):
            raise MonarchError(f"{path}: key {key!r} must hold a tensor, got {type(value).__name__}")
        arrays[name] = value.float() if value.dtype == torch.bool else value
    t = arrays.pop("t", None)
    return PDEData(u=arrays["u"], a=arrays.get("a"), t=t, source=str(path), format=NAME, keys=mapping)


def describe(path) -> dict:
    try:
        obj = _load_dict(path, mmap=True)
    except MonarchError:
        obj = _load_dict(path)  # the legacy (non-zip) format cannot be memory-mapped
    arrays = {
        str(k): {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")}
        if isinstance(v, torch.Tensor)
        else {"type": type(v).__name__}
        for k, v in obj.items()
    }
    return {"format": NAME, "arrays": arrays}
