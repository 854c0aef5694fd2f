"""Coil sensitivity maps: birdcage maps for simulation, ESPIRiT calibration from k-space (sigpy).

Maps are complex (C, H, W) (or (S, C, H, W) per slice), the S of y = M F S x.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import MonarchError
from ._lazy import require


def birdcage_maps(num_coils: int, shape: tuple[int, int], radius: float = 1.5, dtype=torch.complex64) -> torch.Tensor:
    """Simulated birdcage-coil sensitivities (C, H, W) from ``sigpy.mri.birdcage_maps``.

    Coils sit on a ring of relative ``radius`` around the FOV; sigpy normalizes the maps so that
    max_xy √Σ_c |S_c|² = 1.
    """
    sigpy_mri = require("sigpy.mri", "birdcage coil maps")
    if not isinstance(num_coils, int) or num_coils < 1:
        raise MonarchError(f"birdcage_maps: num_coils must be a positive int, got {num_coils!r}")
    maps = sigpy_mri.birdcage_maps((num_coils, *shape), r=radius, dtype=np.complex128)
    return torch.from_numpy(np.ascontiguousarray(maps)).to(dtype)


def espirit_maps(
    kspace: torch.Tensor,
    calib_width: int = 24,
    thresh: float = 0.02,
    kernel_width: int = 6,
    crop: float = 0.95,
    max_iter: int = 100,
) -> torch.Tensor:
    """ESPIRiT sensitivity maps (sigpy ``EspiritCalib``) from the fully sampled k-space center.

    kspace: (C, H, W) or (S, C, H, W) complex, centered (zero frequency at H // 2, W // 2); only
    the central ``calib_width`` × ``calib_width`` block is used, so undersampled k-space with a
    fully sampled center of at least that many lines is fine. Returns maps of the same shape and
    dtype, zero outside the support (eigenvalue below ``crop``). Defaults are sigpy's (Uecker
    et al. 2014): calibration width 24, threshold 0.02, kernel width 6.
    """
    if not isinstance(kspace, torch.Tensor) or not kspace.is_complex():
        raise MonarchError(f"espirit_maps needs complex k-space (C, H, W), got {getattr(kspace, 'dtype', type(kspace))}")
    if kspace.ndim == 4:
        return torch.stack([espirit_maps(k, calib_width, thresh, kernel_width, crop, max_iter) for k in kspace])
    if kspace.ndim != 3:
        raise MonarchError(f"espirit_maps needs k-space (C, H, W) or (S, C, H, W), got shape {tuple(kspace.shape)}")
    if min(kspace.shape[-2:]) < calib_width:
        raise MonarchError(f"espirit_maps: calib_width {calib_width} exceeds the k-space size {tuple(kspace.shape[-2:])}")
    sigpy_app = require("sigpy.mri.app", "ESPIRiT coil maps")
    ksp = kspace.detach().cpu().numpy()
    app = sigpy_app.EspiritCalib(
        ksp, calib_width=calib_width, thresh=thresh, kernel_width=kernel_width, crop=crop, max_iter=max_iter, show_pbar=False
    )
    maps = np.asarray(app.run())
    return torch.from_numpy(maps).to(kspace.dtype).to(kspace.device)


__all__ = ["birdcage_maps", "espirit_maps"]
