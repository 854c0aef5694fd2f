"""2-D variable-density random masks: independent samples with a polynomial density.

p(k) = min(1, c · (1 − r(k))^power), r the normalized radius (0 at the center, 1 at the corner
of the inscribed ellipse; p = 0 beyond), plus a fully sampled calibration box. c is found by
bisection so that the expected number of samples is H·W / acceleration (Lustig et al. 2007).
"""

from __future__ import annotations

import numpy as np
import torch

from ...errors import MonarchError
from .base import MaskFunc


def density(shape: tuple[int, int], acceleration: float, calib: tuple[int, int], power: float = 2.0) -> np.ndarray:
    """Sampling probabilities (H, W) with expected sum H·W/acceleration, 1 in the calibration box."""
    h, w = shape
    ky = (np.arange(h) - h // 2) / (h / 2)
    kx = (np.arange(w) - w // 2) / (w / 2)
    r = np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)
    base = np.clip(1 - r, 0, None) ** power
    box = np.zeros((h, w), dtype=bool)
    y0, x0 = (h - calib[0] + 1) // 2, (w - calib[1] + 1) // 2
    box[y0 : y0 + calib[0], x0 : x0 + calib[1]] = True
    target = h * w / acceleration
    if box.sum() >= target:
        raise MonarchError(
            f"variable_density mask: the {calib[0]}×{calib[1]} calibration box already holds {int(box.sum())} ≥ "
            f"{target:.0f} samples for acceleration {acceleration}; lower the center fraction"
        )
    if np.where(box, 1.0, np.minimum(1.0, base * 1e12)).sum() < target:
        raise MonarchError(f"variable_density mask: acceleration {acceleration} is too low for shape {shape}")
    lo, hi = 0.0, 1.0
    while np.where(box, 1.0, np.minimum(1.0, hi * base)).sum() < target:
        hi *= 2
    for _ in range(60):
        c = (lo + hi) / 2
        if np.where(box, 1.0, np.minimum(1.0, c * base)).sum() < target:
            lo = c
        else:
            hi = c
    return np.where(box, 1.0, np.minimum(1.0, hi * base))


class VariableDensityMask(MaskFunc):
    """Independent 2-D samples with the density above; num_low_frequencies is the box width."""

    name = "variable_density"

    def __init__(self, center_fractions, accelerations, allow_any_combination=False, seed=None, power=2.0):
        super().__init__(center_fractions, accelerations, allow_any_combination, seed)
        self.power = float(power)

    def sample(self, shape, offset):
        h, w = shape[-2:]
        center_fraction, acceleration = self.choose_acceleration()
        calib = (round(h * center_fraction), round(w * center_fraction))
        p = density((h, w), acceleration, calib, self.power)
        mask = (self.rng.uniform(size=(h, w)) < p).astype(np.float32)
        return torch.from_numpy(mask.reshape((1,) * (len(shape) - 2) + (h, w))), calib[1]


__all__ = ["VariableDensityMask", "density"]
