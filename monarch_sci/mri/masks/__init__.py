"""Sampling masks behind a registry: fastMRI's line masks, Poisson-disc (sigpy), 2-D variable density.

>>> from monarch_sci.mri.masks import create_mask
>>> func = create_mask("random", center_fractions=[0.08], accelerations=[4])
>>> mask, num_low = func((15, 640, 368), seed=tuple(map(ord, "file1000000.h5")))
>>> mask.shape, num_low
(torch.Size([1, 1, 368]), 29)
"""

from __future__ import annotations

import os
from typing import Sequence

from ...errors import MonarchError
from .base import MaskFunc, SampledMask, temp_seed
from .density import VariableDensityMask
from .lines import EquispacedFractionMask, EquispacedMask, MagicFractionMask, MagicMask, RandomMask
from .poisson import PoissonMask

MASKS: dict[str, type[MaskFunc]] = {
    "random": RandomMask,
    "equispaced": EquispacedMask,
    "equispaced_fraction": EquispacedFractionMask,
    "magic": MagicMask,
    "magic_fraction": MagicFractionMask,
    "poisson": PoissonMask,
    "variable_density": VariableDensityMask,
}


def available_masks() -> list[str]:
    """The names :func:`create_mask` accepts."""
    return list(MASKS)


def create_mask(name: str, center_fractions: Sequence[float], accelerations: Sequence[float], **options) -> MaskFunc:
    """The mask function registered as ``name`` (fastMRI's ``create_mask_for_mask_type``)."""
    if name not in MASKS:
        raise MonarchError(f"unknown mask type {name!r}; valid mask types: {', '.join(MASKS)}")
    return MASKS[name](center_fractions, accelerations, **options)


def volume_seed(fname) -> tuple[int, ...]:
    """fastMRI's per-volume seed ``tuple(map(ord, name))`` with ``name`` the file's base name."""
    return tuple(map(ord, os.path.basename(str(fname))))


__all__ = [
    "MASKS",
    "EquispacedFractionMask",
    "EquispacedMask",
    "MagicFractionMask",
    "MagicMask",
    "MaskFunc",
    "PoissonMask",
    "RandomMask",
    "SampledMask",
    "VariableDensityMask",
    "available_masks",
    "create_mask",
    "temp_seed",
    "volume_seed",
]
