"""Sampling masks: multiplication by 0/1 entries, a self-adjoint projection."""

from __future__ import annotations

from typing import Sequence

import torch

from ..errors import MonarchError
from ..monarch.stage import real_dtype
from .base import LinearOperator, as_shape
from .multiply import split_batch


class Mask(LinearOperator):
    """y = m · x on tensors (..., *shape) with m boolean or real 0/1, broadcast to ``shape``.

    Self-adjoint and idempotent (Mᴴ = M = M²). A fastMRI column mask is ``Mask(m, (C, H, W))``
    with m of shape (W,) or (1, W). ``batch_dims``: the first that many dims of m index samples
    (a different mask per slice) and broadcast against x's leading dims.

    >>> M = Mask(torch.tensor([True, False, True]), (2, 3))
    >>> M(torch.ones(2, 3)).tolist()
    [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]]
    """

    name = "Mask"

    def __init__(self, mask: torch.Tensor, shape: int | Sequence[int], batch_dims: int = 0):
        shape = as_shape(shape, "Mask shape")
        batch, mshape = split_batch(mask, batch_dims, self.name)
        if mask.dtype.is_complex:
            raise MonarchError(f"Mask needs a boolean or real 0/1 mask, got {mask.dtype}; use Multiply for weights")
        # the values are read back to check them, except while a CUDA graph records (no host reads there)
        capturing = mask.is_cuda and torch.cuda.is_current_stream_capturing()
        if mask.dtype != torch.bool and not capturing and not bool(((mask == 0) | (mask == 1)).all()):
            raise MonarchError("Mask entries must be 0 or 1 (or boolean); use Multiply for other weights")
        try:
            fits = len(mshape) <= len(shape) and tuple(torch.broadcast_shapes(mshape, shape)) == shape
        except RuntimeError:
            fits = False
        if not fits:
            raise MonarchError(f"Mask: a mask of shape {mshape} does not broadcast to shape {shape}")
        super().__init__(shape, shape, batch)
        self.mask = mask
        self._mshape = (*batch, *([1] * (len(shape) - len(mshape))), *mshape)

    @property
    def device(self):
        return self.mask.device

    def _apply(self, x):
        if x.device != self.mask.device:
            raise MonarchError(f"Mask lives on {self.mask.device} but the input is on {x.device}; move one of them")
        dtype = real_dtype(x.dtype) if x.dtype.is_floating_point or x.dtype.is_complex else torch.get_default_dtype()
        return x * self.mask.reshape(self._mshape).to(dtype)

    @property
    def H(self) -> "Mask":
        return self

    def normal(self) -> "Mask":
        return self


__all__ = ["Mask"]
