"""fastMRI HDF5 volumes: inspect and validate, write volumes and reconstructions atomically.

One file per volume. 'kspace' complex (slices, H, W) single-coil or (slices, coils, H, W)
multi-coil; target 'reconstruction_esc' (single-coil) or 'reconstruction_rss' (multi-coil),
(slices, h, w); 'ismrmrd_header' XML; attributes 'acquisition', 'max', 'norm', 'patient_id'; test
files instead hold pre-masked k-space, a 'mask' (W,) and attributes 'acceleration',
'num_low_frequencies'. Reconstruction files hold 'reconstruction' (slices, h, w).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import MonarchError
from .header import EncodingInfo, parse_header

TARGET_KEYS = {"multicoil": "reconstruction_rss", "singlecoil": "reconstruction_esc"}


class VolumeInfo(NamedTuple):
    """What a scan of one file finds (no k-space is read)."""

    path: Path
    challenge: str  # "multicoil" or "singlecoil"
    kspace_shape: tuple[int, ...]  # (slices, [coils,] H, W)
    encoding: EncodingInfo
    attrs: dict[str, Any]
    target_key: str | None  # None for test files
    target_shape: tuple[int, ...] | None
    has_mask: bool

    @property
    def num_slices(self) -> int:
        return self.kspace_shape[0]

    @property
    def num_coils(self) -> int:
        return self.kspace_shape[1] if self.challenge == "multicoil" else 1


def open_h5(path: str | os.PathLike, mode: str = "r"):
    """h5py.File(path, mode), or a MonarchError naming the file."""
    import h5py

    try:
        return h5py.File(path, mode)
    except (OSError, ValueError) as error:
        raise MonarchError(f"{path}: cannot open as an HDF5 file ({error})") from None


def inspect_volume(path: str | os.PathLike, challenge: str | None = None) -> VolumeInfo:
    """Check one fastMRI file and return its :class:`VolumeInfo`.

    challenge: "multicoil" / "singlecoil" to insist on one, None to infer it from the k-space rank.
    Raises a MonarchError naming the file and the missing or malformed dataset, attribute or header
    element: no 'kspace', real-valued k-space, wrong rank, a target whose slice count differs, a
    'mask' whose length is not W, no 'ismrmrd_header', a target without the 'max' attribute.
    """
    path = Path(path)
    with open_h5(path) as hf:
        if "kspace" not in hf:
            raise MonarchError(f"{path}: no 'kspace' dataset (found {sorted(hf.keys())}); expected a fastMRI volume")
        ksp = hf["kspace"]
        if ksp.dtype.kind != "c":
            raise MonarchError(f"{path}: 'kspace' must be complex (complex64), got {ksp.dtype} of shape {ksp.shape}")
        found = "multicoil" if ksp.ndim == 4 else "singlecoil" if ksp.ndim == 3 else None
        if found is None:
            raise MonarchError(
                f"{path}: 'kspace' has shape {ksp.shape}; expected (slices, coils, H, W) multi-coil or (slices, H, W) single-coil"
            )
        if challenge is not None and challenge != found:
            raise MonarchError(f"{path}: expected {challenge} k-space but 'kspace' has shape {ksp.shape} ({found})")
        if ksp.shape[0] == 0:
            raise MonarchError(f"{path}: 'kspace' has no slices (shape {ksp.shape})")
        if "ismrmrd_header" not in hf:
            raise MonarchError(f"{path}: no 'ismrmrd_header' dataset; expected the ISMRMRD XML header string")
        encoding = parse_header(hf["ismrmrd_header"][()], source=str(path))
        attrs = {k: _plain(v) for k, v in hf.attrs.items()}
        key = TARGET_KEYS[found] if TARGET_KEYS[found] in hf else None
        target_shape = None
        if key is not None:
            target_shape = tuple(hf[key].shape)
            if len(target_shape) != 3 or target_shape[0] != ksp.shape[0]:
                raise MonarchError(
                    f"{path}: '{key}' has shape {target_shape}; expected ({ksp.shape[0]}, h, w), one image per k-space slice"
                )
            if "max" not in attrs:
                raise MonarchError(f"{path}: attribute 'max' (the target volume's maximum) is missing; fastMRI files with '{key}' carry it")
        has_mask = "mask" in hf
        if has_mask and tuple(hf["mask"].shape) != (ksp.shape[-1],):
            raise MonarchError(f"{path}: 'mask' has shape {hf['mask'].shape}; expected ({ksp.shape[-1]},), one entry per k-space column")
    return VolumeInfo(path, found, tuple(ksp.shape), encoding, attrs, key, target_shape, has_mask)


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def list_volumes(directory: str | os.PathLike, what: str = "fastMRI volumes") -> list[Path]:
    """The sorted ``*.h5`` files of a directory; a MonarchError if it is missing or has none."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MonarchError(f"{directory}: not a directory; expected a directory of {what} (*.h5)")
    files = sorted(p for p in directory.iterdir() if p.suffix in (".h5", ".hdf5") and p.is_file())
    if not files:
        raise MonarchError(f"{directory}: no .h5 files; expected a directory of {what}")
    return files


def _atomic_write(path: Path, fill) -> Path:
    import h5py

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with h5py.File(tmp, "w") as hf:
            fill(hf)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_volume(
    path: str | os.PathLike,
    kspace: np.ndarray,
    header: str,
    target: np.ndarray | None = None,
    attrs: dict[str, Any] | None = None,
    mask: np.ndarray | None = None,
    extra: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a fastMRI-format volume (temp file + rename).

    kspace complex (S, C, H, W) or (S, H, W), stored complex64; target (S, h, w) stored float32 as
    'reconstruction_rss' / 'reconstruction_esc' by rank; mask (W,) for test files; extra: more
    datasets (e.g. 'sensitivity_maps').
    """
    kspace = np.asarray(kspace)
    if not np.iscomplexobj(kspace) or kspace.ndim not in (3, 4):
        raise MonarchError(f"{path}: k-space to write must be complex (S, [C,] H, W), got {kspace.dtype} {kspace.shape}")
    key = TARGET_KEYS["multicoil" if kspace.ndim == 4 else "singlecoil"]

    def fill(hf):
        hf.create_dataset("kspace", data=kspace.astype(np.complex64))
        hf.create_dataset("ismrmrd_header", data=header)
        if target is not None:
            hf.create_dataset(key, data=np.asarray(target, dtype=np.float32))
        if mask is not None:
            hf.create_dataset("mask", data=np.asarray(mask, dtype=bool))
        for name, value in (extra or {}).items():
            hf.create_dataset(name, data=value)
        for name, value in (attrs or {}).items():
            hf.attrs[name] = value

    return _atomic_write(Path(path), fill)


def write_reconstruction(path: str | os.PathLike, reconstruction: np.ndarray, attrs: dict[str, Any] | None = None) -> Path:
    """Write fastMRI's submission format: 'reconstruction' float32 (slices, h, w) (temp file + rename)."""
    recon = np.asarray(reconstruction)
    if recon.ndim != 3 or np.iscomplexobj(recon):
        raise MonarchError(f"{path}: a reconstruction is a real (slices, h, w) array, got {recon.dtype} {recon.shape}")

    def fill(hf):
        hf.create_dataset("reconstruction", data=recon.astype(np.float32))
        for name, value in (attrs or {}).items():
            hf.attrs[name] = value

    return _atomic_write(Path(path), fill)


def read_dataset(path: str | os.PathLike, key: str | tuple[str, ...]) -> np.ndarray:
    """A whole dataset; ``key`` may list alternatives (the first present wins)."""
    keys = (key,) if isinstance(key, str) else tuple(key)
    with open_h5(path) as hf:
        for k in keys:
            if k in hf:
                return hf[k][()]
        raise MonarchError(f"{path}: none of the datasets {list(keys)} is present (found {sorted(hf.keys())})")


def read_target(path: str | os.PathLike) -> tuple[np.ndarray, str]:
    """The target volume and its key ('reconstruction_rss' preferred over 'reconstruction_esc')."""
    with open_h5(path) as hf:
        for key in ("reconstruction_rss", "reconstruction_esc"):
            if key in hf:
                return hf[key][()], key
        raise MonarchError(
            f"{path}: no target dataset; expected 'reconstruction_rss' (multi-coil) or 'reconstruction_esc' "
            f"(single-coil), found {sorted(hf.keys())}"
        )


__all__ = [
    "TARGET_KEYS",
    "VolumeInfo",
    "open_h5",
    "inspect_volume",
    "list_volumes",
    "read_dataset",
    "read_target",
    "write_reconstruction",
    "write_volume",
]
