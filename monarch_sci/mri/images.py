"""Read a user's magnitude images as a volume (slices, h, w): .npy, PNG/JPEG/TIFF, DICOM, NIfTI.

PNG and friends need Pillow, DICOM needs pydicom, NIfTI needs nibabel; a missing reader gives a
MonarchError saying which package to install.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import MonarchError

_PICTURES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def _need(module: str, package: str, path: Path):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MonarchError(f"{path}: reading this format needs {package} (pip install {package})") from None


def load_images(path: str | os.PathLike) -> np.ndarray:
    """A float64 magnitude volume (slices, h, w) from one file (complex data: its magnitude).

    .npy: (h, w) or (slices, h, w); pictures: grayscale (color is converted to luminance);
    .dcm: one slice; .nii / .nii.gz: 3-D with slices along the last axis.
    """
    path = Path(path)
    if not path.is_file():
        raise MonarchError(f"{path}: no such image file")
    name = path.name.lower()
    if name.endswith(".npy"):
        data = np.load(path, allow_pickle=False)
    elif name.endswith(_PICTURES):
        image = _need("PIL.Image", "pillow", path)
        with image.open(path) as im:
            data = np.asarray(im.convert("F"), dtype=np.float64)
    elif name.endswith(".dcm"):
        pydicom = _need("pydicom", "pydicom", path)
        data = np.asarray(pydicom.dcmread(path).pixel_array, dtype=np.float64)
    elif name.endswith((".nii", ".nii.gz")):
        nibabel = _need("nibabel", "nibabel", path)
        data = np.asarray(nibabel.load(path).get_fdata())
        data = np.moveaxis(data, -1, 0) if data.ndim == 3 else data
    else:
        raise MonarchError(f"{path}: unknown image format; expected .npy, {', '.join(_PICTURES)}, .dcm, .nii or .nii.gz")
    data = np.abs(np.asarray(data)).astype(np.float64)
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3 or min(data.shape[-2:]) < 8:
        raise MonarchError(f"{path}: expected an image (h, w) or volume (slices, h, w) of at least 8×8, got shape {data.shape}")
    if not np.isfinite(data).all() or data.max() <= 0:
        raise MonarchError(f"{path}: the image must be finite and not all zero")
    return data


def resize(volume: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Each slice resampled (cubic spline) to ``shape``."""
    from scipy import ndimage

    if tuple(volume.shape[-2:]) == tuple(shape):
        return volume
    factors = (1, shape[0] / volume.shape[1], shape[1] / volume.shape[2])
    out = ndimage.zoom(volume, factors, order=3)
    return np.clip(out[:, : shape[0], : shape[1]], 0, None)


__all__ = ["load_images", "resize"]
