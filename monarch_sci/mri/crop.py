"""Center crops over the last two dims, fastMRI's convention (start = (n − size) // 2)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..errors import MonarchError

Array = torch.Tensor | np.ndarray


def center_crop(x: Array, shape: Sequence[int], what: str = "image") -> Array:
    """x[..., a:a+h, b:b+w] with a = (H − h) // 2, b = (W − w) // 2 (torch or numpy, real or complex).

    >>> center_crop(torch.zeros(2, 640, 368), (320, 320)).shape
    torch.Size([2, 320, 320])
    """
    h, w = (int(s) for s in shape)
    if x.ndim < 2 or not (0 < h <= x.shape[-2] and 0 < w <= x.shape[-1]):
        raise MonarchError(f"cannot center-crop {what} of shape {tuple(x.shape)} to {(h, w)}: the crop must fit")
    top, left = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
    return x[..., top : top + h, left : left + w]


def center_crop_to_smallest(x: Array, y: Array) -> tuple[Array, Array]:
    """Both cropped to (min H, min W) of the two."""
    shape = (min(x.shape[-2], y.shape[-2]), min(x.shape[-1], y.shape[-1]))
    return center_crop(x, shape), center_crop(y, shape)


__all__ = ["center_crop", "center_crop_to_smallest"]
