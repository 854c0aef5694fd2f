"""Built-in magnitude phantoms (slices, h, w) in [0, 1], behind a registry."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import MonarchError
from ._lazy import require


def shepp_logan(num_slices: int, shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Slices through the central half of sigpy's 3-D modified Shepp–Logan phantom.

    ``seed`` rotates the volume in-plane by a random angle (±15°) so volumes differ.
    """
    from scipy import ndimage

    sigpy_sim = require("sigpy.sim", "the Shepp-Logan phantom")
    n = 4 * num_slices  # sample z in the central half, the centre slice included for one slice
    vol = np.abs(sigpy_sim.shepp_logan((n, *shape), dtype=np.complex128))
    vol = vol[n // 2 - num_slices + 1 + 2 * np.arange(num_slices)]
    angle = np.random.default_rng(seed).uniform(-15, 15)
    vol = ndimage.rotate(vol, angle, axes=(1, 2), reshape=False, order=1)
    return np.clip(vol, 0, None) / max(vol.max(), 1e-12)


def blobs(num_slices: int, shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Random smooth-edged ellipses with texture on an elliptical body: a crude anatomy-like phantom.

    Each slice moves the ellipses slightly, so neighbouring slices are similar.
    """
    rng = np.random.default_rng(seed)
    h, w = shape
    y, x = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    n = 12
    centers = rng.uniform(-0.5, 0.5, (n, 2))
    axes = rng.uniform(0.05, 0.3, (n, 2))
    angles = rng.uniform(0, np.pi, n)
    values = rng.uniform(0.2, 1.0, n)
    drift = rng.normal(0, 0.01, (n, 2))
    out = np.zeros((num_slices, h, w))

    def smooth_ellipse(cy, cx, ay, ax, theta):
        yy, xx = y - cy, x - cx
        u = (xx * np.cos(theta) + yy * np.sin(theta)) / ax
        v = (-xx * np.sin(theta) + yy * np.cos(theta)) / ay
        return 1 / (1 + np.exp(np.clip((np.sqrt(u**2 + v**2) - 1) * 20, -50, 50)))

    texture = np.cos(7 * x + 3 * y) * np.cos(5 * y - 2 * x) * 0.05
    for s in range(num_slices):
        img = 0.3 * smooth_ellipse(0, 0, 0.85, 0.7, 0.0)
        for c, a, t, v, d in zip(centers, axes, angles, values, drift):
            img = img + v * 0.5 * smooth_ellipse(c[0] + s * d[0], c[1] + s * d[1], a[0], a[1], t)
        out[s] = np.clip(img + texture * (img > 0.05), 0, None)
    return out / out.max()


PHANTOMS: dict[str, Callable[..., np.ndarray]] = {"shepp_logan": shepp_logan, "blobs": blobs}


def phantom(name: str, num_slices: int, shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """The phantom registered as ``name``: (num_slices, h, w) float64 in [0, 1]."""
    if name not in PHANTOMS:
        raise MonarchError(f"unknown phantom {name!r}; valid phantoms: {', '.join(PHANTOMS)}")
    if num_slices < 1 or len(shape) != 2 or min(shape) < 8:
        raise MonarchError(f"phantom needs ≥ 1 slice and a shape (h, w) of at least 8×8, got {num_slices}, {shape}")
    return PHANTOMS[name](int(num_slices), (int(shape[0]), int(shape[1])), seed)


__all__ = ["PHANTOMS", "blobs", "phantom", "shepp_logan"]
