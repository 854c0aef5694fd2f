"""Helpers shared by the file-format readers: opening HDF5 with clear errors, picking keys."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterable

from ...errors import MonarchError


@contextmanager
def open_hdf5(path: str | Path):
    """h5py.File(path, "r") whose failures (missing, truncated, not HDF5) become MonarchError naming the file."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise MonarchError(f"{path}: no such file") from None
    except OSError as error:
        raise MonarchError(
            f"cannot read {path} as HDF5 (truncated or corrupt file, or open for writing elsewhere?): {error}"
        ) from None
    try:
        yield f
    finally:
        f.close()


def read_dataset(path, f, key: str):
    """f[key][()] as numpy, with a truncated-file read error naming the file and key."""
    try:
        return f[key][()]
    except (OSError, RuntimeError) as error:
        raise MonarchError(f"cannot read dataset {key!r} from {path} (truncated or corrupt file?): {error}") from None


def require_key(path, present: Iterable[str], key: str, expected: str) -> str:
    """``key`` if present, else MonarchError naming the file, the key and the keys present."""
    present = sorted(present)
    if key not in present:
        raise MonarchError(f"{path}: missing key {key!r} ({expected}); keys present: {', '.join(present) or '(none)'}")
    return key


def pick_keys(
    path, present: Iterable[str], candidates: list[dict[str, str]], overrides: dict | None, expected: str
) -> dict[str, str]:
    """The first key mapping in ``candidates`` whose required keys ("a"?, "u") all exist; ``overrides`` win.

    A mapping's "t" entry is optional. Raises MonarchError naming the file, the missing key and the keys present.
    """
    present = set(present)
    if overrides:
        for name, key in overrides.items():
            require_key(path, present, key, f"requested for {name!r}")
        return dict(overrides)
    for mapping in candidates:
        required = {k: v for k, v in mapping.items() if k != "t"}
        if set(required.values()) <= present:
            return {k: v for k, v in mapping.items() if k != "t" or v in present}
    required = [[v for k, v in m.items() if k != "t"] for m in candidates]
    closest = max(required, key=lambda keys: sum(key in present for key in keys))  # first one on ties
    missing = [key for key in closest if key not in present]
    raise MonarchError(
        f"{path}: missing key {missing[0]!r} ({expected}); keys present: {', '.join(sorted(present)) or '(none)'}"
    )
