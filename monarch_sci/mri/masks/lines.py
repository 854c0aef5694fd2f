"""fastMRI's Cartesian line masks: random, equispaced, equispaced_fraction, magic, magic_fraction.

Each samples whole columns (phase-encode lines) of k-space (..., H, W): a fully sampled center of
``num_low = round(W · center_fraction)`` lines starting at (W − num_low + 1) // 2, plus lines
outside it. The draws from the generator happen in fastMRI's order (choice of acceleration, then
offset or uniforms), so the same seed gives fastMRI's mask. Mean accelerations at W = 368 over
seeds 0–199: random 4× / 0.08 → 3.98, equispaced 4× → 3.24 (it oversamples), equispaced_fraction
4× → 4.00, with 29 center lines at 4× / 0.08 and 15 at 8× / 0.04.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from ...errors import MonarchError
from .base import MaskFunc, center_mask, column_mask


class LineMask(MaskFunc):
    """A center block plus ``acceleration_lines``: the structure of all fastMRI line masks."""

    def sample(self, shape, offset):
        num_cols = shape[-1]
        center_fraction, acceleration = self.choose_acceleration()
        num_low = round(num_cols * center_fraction)
        return self._combine(shape, num_low, self.acceleration_lines(num_cols, acceleration, offset, num_low))

    def _combine(self, shape, num_low, lines):
        mask = np.maximum(center_mask(shape[-1], num_low), np.asarray(lines, dtype=np.float32))
        return column_mask(mask, shape), num_low

    @abstractmethod
    def acceleration_lines(self, num_cols: int, acceleration, offset, num_low: int) -> np.ndarray:
        """0/1 per column: the lines sampled outside the center."""


class RandomMask(LineMask):
    """Lines drawn independently with p = (W/acc − num_low) / (W − num_low), so E[lines] = W/acc.

    The uniforms are drawn for all W columns (center included), as fastMRI does.
    """

    name = "random"

    def acceleration_lines(self, num_cols, acceleration, offset, num_low):
        prob = (num_cols / acceleration - num_low) / (num_cols - num_low)
        return self.rng.uniform(size=num_cols) < prob


class EquispacedMask(LineMask):
    """Every ``acceleration``-th line from a random offset in [0, acc): true GRAPPA spacing.

    With the center added the effective acceleration is below the nominal one (3.24 for 4×/0.08
    at W = 368).
    """

    name = "equispaced"
    integer_accelerations = True

    def acceleration_lines(self, num_cols, acceleration, offset, num_low):
        acceleration = int(acceleration)
        if offset is None:
            offset = self.rng.randint(0, high=round(acceleration))
        lines = np.zeros(num_cols, dtype=np.float32)
        lines[offset::acceleration] = 1
        return lines


class EquispacedFractionMask(LineMask):
    """Lines at round(offset + k · a') with a' = acc (num_low − W) / (num_low · acc − W), so the
    total matches W/acc; the rounding makes the spacing only approximately equal (fastMRI issue 54)."""

    name = "equispaced_fraction"

    def acceleration_lines(self, num_cols, acceleration, offset, num_low):
        denom = num_low * acceleration - num_cols
        if denom >= 0:
            raise MonarchError(
                f"equispaced_fraction mask: {num_low} center lines already reach W/acc = {num_cols / acceleration:g} "
                f"of {num_cols} columns; lower the center fraction or the acceleration"
            )
        adjusted = acceleration * (num_low - num_cols) / denom
        if offset is None:
            offset = self.rng.randint(0, high=round(adjusted))
        lines = np.zeros(num_cols)
        picks = np.around(np.arange(offset, num_cols - 1, adjusted)).astype(np.uint64)
        lines[picks] = 1.0
        return lines


class MagicMask(LineMask):
    """Offset sampling (Defazio 2019, arXiv 1912.01101): equispaced lines on each half of
    k-space, the negative half offset against the positive one to exploit conjugate symmetry."""

    name = "magic"
    integer_accelerations = True

    def acceleration_lines(self, num_cols, acceleration, offset, num_low):
        acceleration = int(acceleration)
        if acceleration < 1:
            raise MonarchError(f"magic mask: line spacing must be ≥ 1, got {acceleration}")
        if offset is None:
            offset = self.rng.randint(0, high=acceleration)
        if offset % 2 == 0:
            offset_pos, offset_neg = offset + 1, offset + 2
        else:
            offset_pos, offset_neg = offset + 2, offset - 1
        poslen = (num_cols + 1) // 2
        positive = np.zeros(poslen, dtype=np.float32)
        negative = np.zeros(num_cols - poslen, dtype=np.float32)
        positive[offset_pos::acceleration] = 1
        negative[offset_neg::acceleration] = 1
        return np.fft.fftshift(np.concatenate((positive, negative[::-1])))


class MagicFractionMask(MagicMask):
    """Magic sampling whose spacing round(W / (round(W/acc) − num_low)) hits the target line
    count; num_low is clipped to [1, round(W/acc)]."""

    name = "magic_fraction"
    integer_accelerations = False

    def sample(self, shape, offset):
        num_cols = shape[-1]
        center_fraction, acceleration = self.choose_acceleration()
        target = round(num_cols / acceleration)
        num_low = max(min(round(num_cols * center_fraction), target), 1)
        remaining = target - num_low
        if remaining <= 0:
            raise MonarchError(
                f"magic_fraction mask: the {num_low} center lines already give the target {target} of {num_cols} "
                "columns, so no spacing is left for outer lines; lower the center fraction or the acceleration"
            )
        spacing = round(num_cols / remaining)
        return self._combine(shape, num_low, self.acceleration_lines(num_cols, spacing, offset, num_low))


__all__ = ["EquispacedFractionMask", "EquispacedMask", "LineMask", "MagicFractionMask", "MagicMask", "RandomMask"]
