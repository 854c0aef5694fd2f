"""Variable-density Poisson-disc masks through ``sigpy.mri.poisson``, checked for acceleration.

sigpy searches the density slope until H·W / samples is within ``tol`` of the target and raises
when it cannot (some shapes and seeds). Here every call draws an integer seed for sigpy from the
mask function's generator, retries with fresh seeds when sigpy fails, and checks the achieved
acceleration itself before returning; a miss after ``retries`` raises a MonarchError that names
the shape, target and achieved values.
"""

from __future__ import annotations

import numpy as np
import torch

from ...errors import MonarchError
from .._lazy import require
from .base import MaskFunc


class PoissonMask(MaskFunc):
    """2-D Poisson-disc sampling (sigpy) with a fully sampled calibration box.

    The box is round(H·cf) × round(W·cf); num_low_frequencies is its width. The mask has shape
    (1, ..., H, W). tol: allowed |achieved − target| acceleration; retries: seeds tried.
    """

    name = "poisson"

    def __init__(self, center_fractions, accelerations, allow_any_combination=False, seed=None, tol=0.1, retries=5, crop_corner=True):
        super().__init__(center_fractions, accelerations, allow_any_combination, seed)
        self.tol, self.retries, self.crop_corner = float(tol), int(retries), bool(crop_corner)

    def sample(self, shape, offset):
        sigpy_mri = require("sigpy.mri", "Poisson-disc masks")  # lazy: sigpy pulls numba

        h, w = shape[-2:]
        center_fraction, acceleration = self.choose_acceleration()
        calib = (round(h * center_fraction), round(w * center_fraction))
        attempts = []
        for _ in range(max(self.retries, 1)):
            sub_seed = int(self.rng.randint(0, 2**31 - 1))
            try:
                mask = sigpy_mri.poisson(
                    (h, w), float(acceleration), calib=calib, dtype=np.float32,
                    crop_corner=self.crop_corner, seed=sub_seed, tol=self.tol,
                )
            except ValueError as error:  # sigpy: "Cannot generate mask to satisfy accel=..."
                attempts.append(f"seed {sub_seed}: {error}")
                continue
            achieved = h * w / max(float(mask.sum()), 1.0)
            if abs(achieved - acceleration) <= self.tol:
                mask = np.real(mask).astype(np.float32).reshape((1,) * (len(shape) - 2) + (h, w))
                return torch.from_numpy(mask), calib[1]
            attempts.append(f"seed {sub_seed}: achieved {achieved:.3f}")
        raise MonarchError(
            f"poisson mask: sigpy could not reach acceleration {acceleration} ± {self.tol} for shape {(h, w)} "
            f"with calibration {calib} after {len(attempts)} seeds ({'; '.join(attempts)}); "
            "try another seed, a larger tol or a different acceleration"
        )


__all__ = ["PoissonMask"]
