"""The :class:`LinearOperator` base: shapes, checked apply, adjoint, algebra, dense form, adjoint test.

An operator maps tensors of shape ``(..., *ishape)`` to ``(..., *oshape)``; the leading ``...``
are batch dims (a batch of slices) and pass through. Operators that hold per-sample data (coil
maps, masks) have a ``batch_shape`` that must broadcast against those leading dims.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
from typing import Sequence

import torch

from ..errors import MonarchError
from ..monarch.stage import complex_dtype

Shape = tuple[int, ...]


def as_shape(shape: int | Sequence[int], what: str) -> Shape:
    """A shape as a tuple of positive ints, or a MonarchError naming ``what``."""
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims):
        raise MonarchError(f"{what} must be a tuple of positive ints, got {shape!r}")
    return dims


def as_dims(dims: int | Sequence[int], shape: Shape, name: str) -> tuple[int, ...]:
    """Dims within the trailing ``shape`` as distinct negative ints (0 counts from shape's start)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    out = []
    for d in dims:
        if not isinstance(d, int) or not -len(shape) <= d < len(shape):
            raise MonarchError(f"{name}: dim {d!r} is out of range for ishape {shape}")
        out.append(d - len(shape) if d >= 0 else d)
    if not out or len(set(out)) != len(out):
        raise MonarchError(f"{name}: dims must be distinct and non-empty, got {dims}")
    return tuple(out)


def fmt(shape: Shape) -> str:
    """``(..., 320, 320)``: how shapes appear in messages."""
    return "(" + ", ".join(["..."] + [str(d) for d in shape]) + ")"


def broadcast_batch(shapes: Sequence[Shape], what: str) -> Shape:
    """The common batch shape of several operators, or an error naming them."""
    try:
        return tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        raise MonarchError(f"{what}: batch shapes {list(shapes)} do not broadcast") from None


class LinearOperator(ABC):
    """A linear map from tensors (..., *ishape) to (..., *oshape), with its adjoint.

    Subclasses set ``ishape``, ``oshape`` (and ``batch_shape`` if they hold per-sample data)
    through ``__init__`` and implement ``_apply`` (input already checked) and either
    ``_apply_adjoint`` or the ``H`` property. Then:

    - ``A(x)`` / ``A.apply(x)`` / ``A @ x``: y = A x, checking x's trailing dims against ishape;
    - ``A.H``: the adjoint (conjugate transpose), with ⟨A x, y⟩ = ⟨x, Aᴴ y⟩;
    - ``A @ B`` composition, ``A + B``, ``A - B``, ``-A``, ``c * A``, ``A / c`` (c a scalar or
      0-d tensor), ``A.normal()`` = Aᴴ A;
    - ``A.to_dense()``: the (prod(oshape), prod(ishape)) matrix in row-major (C) order;
    - ``A.adjoint_test()``: relative dot-product mismatch on random complex inputs.

    Autograd flows through apply to the input and to any tensors the operator holds.
    """

    name = "LinearOperator"
    __array_ufunc__ = None  # let numpy scalars defer to __rmul__

    def __init__(self, ishape: Sequence[int], oshape: Sequence[int], batch_shape: Sequence[int] = ()):
        self.ishape: Shape = tuple(ishape)
        self.oshape: Shape = tuple(oshape)
        self.batch_shape: Shape = tuple(batch_shape)

    # --- to implement -------------------------------------------------------------------------
    @abstractmethod
    def _apply(self, x: torch.Tensor) -> torch.Tensor:
        """A x for x (*batch, *ishape) already checked."""

    def _apply_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} defines neither _apply_adjoint nor H")

    @property
    def dtype(self) -> torch.dtype | None:
        """The dtype of the data the operator holds (None: no preference)."""
        return None

    @property
    def device(self) -> torch.device | None:
        """The device of the data the operator holds (None: any)."""
        return None

    # --- apply --------------------------------------------------------------------------------
    def _check_input(self, x, shape: Shape, label: str) -> None:
        if not isinstance(x, torch.Tensor):
            raise MonarchError(f"{label} expects a torch.Tensor, got {type(x).__name__}")
        n = len(shape)
        if x.ndim < n or tuple(x.shape[x.ndim - n :]) != shape:
            raise MonarchError(f"{label} expects input {fmt(shape)}, got {tuple(x.shape)}")
        if self.batch_shape:
            lead = tuple(x.shape[: x.ndim - n])
            try:
                torch.broadcast_shapes(lead, self.batch_shape)
            except RuntimeError:
                raise MonarchError(
                    f"{label} holds a batch of shape {self.batch_shape} but the input {tuple(x.shape)} "
                    f"has leading dims {lead}"
                ) from None

    def _check_output(self, y: torch.Tensor, shape: Shape, label: str) -> torch.Tensor:
        n = len(shape)
        if y.ndim < n or tuple(y.shape[y.ndim - n :]) != shape:
            raise MonarchError(f"{label} should return {fmt(shape)} but returned {tuple(y.shape)}")
        return y

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """y = A x: x (..., *ishape) -> y (..., *oshape)."""
        self._check_input(x, self.ishape, self.name)
        return self._check_output(self._apply(x), self.oshape, self.name)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.apply(x)

    # --- adjoint and algebra ------------------------------------------------------------------
    @property
    def H(self) -> "LinearOperator":
        """The adjoint Aᴴ: (..., *oshape) -> (..., *ishape)."""
        return Adjoint(self)

    def normal(self) -> "LinearOperator":
        """Aᴴ A: (..., *ishape) -> (..., *ishape), Hermitian positive semi-definite."""
        return self.H @ self

    def __matmul__(self, other):
        """``A @ B``: the composition (B first); ``A @ x`` with a tensor x: A applied to x."""
        if isinstance(other, torch.Tensor):
            return self.apply(other)
        if not isinstance(other, LinearOperator):
            return NotImplemented
        from .algebra import Composition

        return Composition([self, other])

    def __add__(self, other):
        if not isinstance(other, LinearOperator):
            return NotImplemented
        from .algebra import Sum

        return Sum([self, other])

    def __sub__(self, other):
        if not isinstance(other, LinearOperator):
            return NotImplemented
        return self + (-1) * other

    def __neg__(self):
        return (-1) * self

    def __mul__(self, other):
        from .algebra import Scaled

        if isinstance(other, LinearOperator):
            raise MonarchError(f"{self.name} * {other.name}: use @ to compose operators")
        if isinstance(other, torch.Tensor) and other.ndim != 0:
            raise MonarchError(
                f"{self.name} * tensor of shape {tuple(other.shape)}: only scalars scale an operator; "
                "use Multiply for elementwise weights"
            )
        if not isinstance(other, (int, float, complex, torch.Tensor)):
            return NotImplemented
        return Scaled(other, self)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if not isinstance(other, (int, float, complex, torch.Tensor)):
            return NotImplemented
        return self * (1 / other)

    # --- dense form and adjoint test ----------------------------------------------------------
    def to_dense(self, dtype: torch.dtype | None = None) -> torch.Tensor:
        """The matrix (*batch_shape, prod(oshape), prod(ishape)) with row-major flattening.

        ``dtype`` of the identity it is applied to: default the operator's dtype, else torch's
        default. For tests and small sizes only.
        """
        dtype = dtype or self.dtype or torch.get_default_dtype()
        n, m = math.prod(self.ishape), math.prod(self.oshape)
        eye = torch.eye(n, dtype=dtype, device=self.device)
        eye = eye.reshape(n, *([1] * len(self.batch_shape)), *self.ishape)
        y = self.apply(eye).expand(n, *self.batch_shape, *self.oshape)
        return y.reshape(n, *self.batch_shape, m).movedim(0, -1)

    def adjoint_test(self, dtype: torch.dtype | None = None, generator: torch.Generator | None = None) -> float:
        """|⟨A x, y⟩ − ⟨x, Aᴴ y⟩| / max(|⟨A x, y⟩|, |⟨x, Aᴴ y⟩|) for random complex x, y.

        x: (*batch_shape, *ishape), y: (*batch_shape, *oshape), standard complex normal of
        ``dtype`` (default: complex version of the operator's dtype, else complex128).
        ⟨a, b⟩ = Σ conj(a) b. About 1e-15 in complex128 for a correct adjoint.
        """
        dtype = complex_dtype(dtype or self.dtype or torch.complex128)
        device = self.device or torch.device("cpu")
        x = torch.randn(*self.batch_shape, *self.ishape, dtype=dtype, device=device, generator=generator)
        y = torch.randn(*self.batch_shape, *self.oshape, dtype=dtype, device=device, generator=generator)
        with torch.no_grad():
            lhs = torch.vdot(self.apply(x).reshape(-1).to(dtype), y.reshape(-1))
            rhs = torch.vdot(x.reshape(-1), self.H.apply(y).reshape(-1).to(dtype))
        scale = max(abs(lhs.item()), abs(rhs.item()))
        return abs((lhs - rhs).item()) / scale if scale > 0 else 0.0

    def __repr__(self) -> str:
        batch = f", batch={self.batch_shape}" if self.batch_shape else ""
        return f"{self.name}({self.ishape} -> {self.oshape}{batch})"


class Wrapping(LinearOperator):
    """An operator defined by another one, ``self.op``, whose dtype and device it shares."""

    op: LinearOperator

    @property
    def dtype(self):
        return self.op.dtype

    @property
    def device(self):
        return self.op.device


class Adjoint(Wrapping):
    """The adjoint of an operator that implements ``_apply_adjoint``; ``Adjoint(A).H`` is A."""

    def __init__(self, op: LinearOperator):
        super().__init__(op.oshape, op.ishape, op.batch_shape)
        self.op = op
        self.name = f"{op.name}.H"

    def _apply(self, y):
        return self.op._apply_adjoint(y)

    @property
    def H(self) -> LinearOperator:
        return self.op

    def __repr__(self) -> str:
        return f"{self.op!r}.H"


__all__ = ["Adjoint", "LinearOperator", "Wrapping", "as_dims", "as_shape"]
