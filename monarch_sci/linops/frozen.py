"""An operator whose own tensors take no gradient: autograd sees one node, whose backward is Aᴴ."""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .base import LinearOperator, Wrapping


class Frozen(Wrapping):
    """y = A x with A's weights (coil maps, masks, fixed transforms) held constant.

    The gradient reaches x only, as x̄ = Aᴴ ȳ (the real part for a real x), computed by the adjoint
    operator instead of by autograd through A's internal ops: a CG solve or an unrolled network then
    records one node per application and saves no intermediates. The values are A's own. Use it only
    for operators without trainable tensors: their gradients would be silently dropped.

    >>> from monarch_sci.linops import FFT
    >>> A = Frozen(FFT((8,), norm="ortho"))
    >>> x = torch.randn(8, dtype=torch.complex128, requires_grad=True)
    >>> A(x).abs().sum().backward()
    """

    def __init__(self, op: LinearOperator):
        super().__init__(op.ishape, op.oshape, op.batch_shape)
        self.op = op.op if isinstance(op, Frozen) else op
        self.name = f"Frozen({self.op.name})"

    def _apply(self, x):
        if torch.is_grad_enabled() and x.requires_grad:
            return _FrozenApply.apply(x, self.op)
        with torch.no_grad():
            return self.op.apply(x)

    @property
    def H(self) -> "Frozen":
        return Frozen(self.op.H)


class _FrozenApply(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, op):
        ctx.op, ctx.real_input = op, not x.is_complex()
        return op.apply(x)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        grad_x = ctx.op.H.apply(grad)
        return (grad_x.real if ctx.real_input and grad_x.is_complex() else grad_x), None


__all__ = ["Frozen"]
