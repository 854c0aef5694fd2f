"""Operator algebra: compositions, sums and scalar multiples, with structural adjoints.

(A B)ᴴ = Bᴴ Aᴴ, (A + B)ᴴ = Aᴴ + Bᴴ, (c A)ᴴ = conj(c) Aᴴ: the adjoint of a built operator is built
from the adjoints of its parts, never from a dense matrix.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..errors import MonarchError
from ..monarch.stage import like_precision
from .base import LinearOperator, Wrapping, broadcast_batch, fmt


def _merge_dtype(ops: Sequence[LinearOperator]) -> torch.dtype | None:
    dtypes = [op.dtype for op in ops if op.dtype is not None]
    result = dtypes[0] if dtypes else None
    for d in dtypes[1:]:
        result = torch.promote_types(result, d)
    return result


def _first_device(ops: Sequence[LinearOperator]) -> torch.device | None:
    return next((op.device for op in ops if op.device is not None), None)


class Composition(LinearOperator):
    """The product ops[0] @ ops[1] @ ... @ ops[-1]: ``ops[-1]`` is applied first (math order).

    Each operator's ishape must equal the next one's oshape. Nested compositions are flattened.

    SENSE, for example: ``Mask(mask, (C, H, W)) @ FFT((C, H, W), (-2, -1), centered=True) @ Multiply(maps, (H, W))``.
    """

    def __init__(self, ops: Sequence[LinearOperator]):
        flat: list[LinearOperator] = []
        for op in ops:
            if not isinstance(op, LinearOperator):
                raise MonarchError(f"Composition is made of LinearOperators, got {type(op).__name__}")
            flat += op.ops if isinstance(op, Composition) else [op]
        if not flat:
            raise MonarchError("Composition needs at least one operator")
        for outer, inner in zip(flat, flat[1:]):
            if outer.ishape != inner.oshape:
                raise MonarchError(
                    f"cannot compose {outer.name} @ {inner.name}: {outer.name} takes input {fmt(outer.ishape)} "
                    f"but {inner.name} returns {fmt(inner.oshape)}"
                )
        batch = broadcast_batch([op.batch_shape for op in flat], "Composition")
        super().__init__(flat[-1].ishape, flat[0].oshape, batch)
        self.ops = flat
        self.name = " @ ".join(op.name for op in flat)

    @property
    def dtype(self):
        return _merge_dtype(self.ops)

    @property
    def device(self):
        return _first_device(self.ops)

    def _apply(self, x):
        for op in reversed(self.ops):
            x = op.apply(x)
        return x

    @property
    def H(self) -> "Composition":
        return Composition([op.H for op in reversed(self.ops)])

    def __repr__(self) -> str:
        return "(" + " @ ".join(repr(op) for op in self.ops) + ")"


class Sum(LinearOperator):
    """The sum ops[0] + ops[1] + ...: all with the same ishape and oshape. Nested sums are flattened."""

    def __init__(self, ops: Sequence[LinearOperator]):
        flat: list[LinearOperator] = []
        for op in ops:
            if not isinstance(op, LinearOperator):
                raise MonarchError(f"Sum is made of LinearOperators, got {type(op).__name__}")
            flat += op.ops if isinstance(op, Sum) else [op]
        if not flat:
            raise MonarchError("Sum needs at least one operator")
        first = flat[0]
        for op in flat[1:]:
            if (op.ishape, op.oshape) != (first.ishape, first.oshape):
                raise MonarchError(
                    f"cannot add {first.name} {fmt(first.ishape)} -> {fmt(first.oshape)} and "
                    f"{op.name} {fmt(op.ishape)} -> {fmt(op.oshape)}: shapes differ"
                )
        batch = broadcast_batch([op.batch_shape for op in flat], "Sum")
        super().__init__(first.ishape, first.oshape, batch)
        self.ops = flat
        self.name = "(" + " + ".join(op.name for op in flat) + ")"

    @property
    def dtype(self):
        return _merge_dtype(self.ops)

    @property
    def device(self):
        return _first_device(self.ops)

    def _apply(self, x):
        y = self.ops[0].apply(x)
        for op in self.ops[1:]:
            y = y + op.apply(x)
        return y

    @property
    def H(self) -> "Sum":
        return Sum([op.H for op in self.ops])

    def __repr__(self) -> str:
        return "(" + " + ".join(repr(op) for op in self.ops) + ")"


class Scaled(Wrapping):
    """c · A for a scalar c (Python number or 0-d tensor; a tensor may require grad)."""

    def __init__(self, scale: int | float | complex | torch.Tensor, op: LinearOperator):
        if isinstance(scale, torch.Tensor) and scale.ndim != 0:
            raise MonarchError(f"Scaled needs a scalar or 0-d tensor, got a tensor of shape {tuple(scale.shape)}")
        if not isinstance(op, LinearOperator):
            raise MonarchError(f"Scaled scales a LinearOperator, got {type(op).__name__}")
        if isinstance(op, Scaled):
            scale, op = scale * op.scale, op.op
        super().__init__(op.ishape, op.oshape, op.batch_shape)
        self.scale, self.op = scale, op
        shown = "c" if isinstance(scale, torch.Tensor) else f"{scale:.3g}"  # no device sync for tensors
        self.name = f"{shown}*{op.name}"

    def _apply(self, x):
        y = self.op.apply(x)
        c = self.scale
        if isinstance(c, torch.Tensor):  # keep the input's precision, never promote silently
            c = c.to(dtype=like_precision(c.dtype, y.dtype), device=y.device)
        return c * y

    @property
    def H(self) -> "Scaled":
        c = self.scale
        return Scaled(c.conj() if isinstance(c, torch.Tensor) else c.conjugate(), self.op.H)

    def __repr__(self) -> str:
        return f"{self.name.split('*')[0]} * {self.op!r}"


__all__ = ["Composition", "Scaled", "Sum"]
