"""The identity operator."""

from __future__ import annotations

from typing import Sequence

from .base import LinearOperator, as_shape


class Identity(LinearOperator):
    """y = x on tensors (..., *shape); self-adjoint.

    >>> I = Identity((4, 5))
    >>> I.to_dense().shape
    torch.Size([20, 20])
    """

    name = "Identity"

    def __init__(self, shape: int | Sequence[int]):
        shape = as_shape(shape, "Identity shape")
        super().__init__(shape, shape)

    def _apply(self, x):
        return x

    @property
    def H(self) -> "Identity":
        return self


__all__ = ["Identity"]
