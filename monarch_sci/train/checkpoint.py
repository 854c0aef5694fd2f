"""Atomic checkpoints and the random-number state that makes a resumed run bitwise identical.

A checkpoint is one ``torch.save`` dict written to ``path.tmp`` and renamed over ``path``
(``os.replace`` is atomic on POSIX and Windows), so a crash mid-write leaves the previous checkpoint
intact. ``rng_state()`` / ``set_rng_state()`` capture python, numpy, torch CPU and CUDA generators.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import MonarchError


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, default=_jsonable) + "\n")


def _jsonable(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """torch.save ``state`` to ``path`` atomically (tmp file + os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Load a checkpoint written by ``save_checkpoint``; a clear error if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise MonarchError(f"checkpoint {str(path)!r} does not exist; expected a file written by monarch-sci training")
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:  # torch raises several types for corrupt files
        raise MonarchError(f"checkpoint {str(path)!r} could not be read ({type(error).__name__}: {error})") from None
    if not isinstance(state, dict) or "model" not in state:
        raise MonarchError(f"checkpoint {str(path)!r} has no 'model' entry; expected a monarch-sci training checkpoint")
    return state


def rng_state() -> dict:
    """Generator states of python, numpy, torch (CPU) and every CUDA device."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore ``rng_state()``'s generators; the torch states may come from a checkpoint loaded onto a GPU
    (generator states are CPU byte tensors, whatever device they describe)."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
