"""The common interface of every linear map in ``monarch_sci.monarch``.

A :class:`Stage` maps vectors of length ``n_in`` to length ``n_out`` along one tensor dimension
(the last by default). Monarch factors, fixed permutations and diagonals, and chains of them are
all stages, so they share one calling convention, one shape check and one dtype rule.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

import torch

from ..errors import MonarchError

_COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}
_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def real_dtype(dtype: torch.dtype) -> torch.dtype:
    """float32 for complex64, float64 for complex128; real dtypes map to themselves."""
    return _REAL_OF.get(dtype, dtype)


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    """complex64 for float32, complex128 for float64; complex dtypes map to themselves."""
    if dtype.is_complex:
        return dtype
    if dtype not in _COMPLEX_OF:
        raise MonarchError(f"there is no complex dtype for {dtype}; use float32 or float64")
    return _COMPLEX_OF[dtype]


def like_precision(dtype: torch.dtype, target: torch.dtype) -> torch.dtype:
    """``dtype`` moved to the precision of ``target``, keeping whether it is real or complex."""
    return complex_dtype(real_dtype(target)) if dtype.is_complex else real_dtype(target)


def promote(x: torch.Tensor, weight_dtype: torch.dtype, weight_device: torch.device, name: str):
    """Common dtype of an input and a stage's weights, or a clear error.

    Real input meets complex weights of the same precision (it is promoted), and complex input
    meets real weights of the same precision (the weights are promoted). Different precisions, or
    different devices, are an error: monarch-sci never changes precision silently.
    """
    if x.device != weight_device:
        raise MonarchError(f"{name} lives on {weight_device} but the input is on {x.device}; move one of them")
    if real_dtype(x.dtype) != real_dtype(weight_dtype):
        raise MonarchError(
            f"{name} has dtype {weight_dtype} but the input has dtype {x.dtype}; "
            f"convert the input or call .to({x.dtype}) on the {name}"
        )
    return complex_dtype(x.dtype) if (x.dtype.is_complex or weight_dtype.is_complex) else x.dtype


def _as_dims(dim: int | Sequence[int]) -> tuple[int, ...]:
    return (dim,) if isinstance(dim, int) else tuple(dim)


@dataclass(frozen=True)
class Structure:
    """How a linear map is built.

    ``cls`` is the Monarch class it lies in ("M", "MM*", "(MM*)^2", or "dense" for the fallback),
    ``factors`` the Monarch factors it uses in product order (left to right, "M" or "M*"),
    ``fixed`` the cheap fixed stages used between them (permute, diagonal, select, real-part, dense).
    """

    cls: str
    factors: tuple[str, ...]
    fixed: tuple[str, ...]

    @property
    def dense(self) -> bool:
        return self.cls == "dense"

    def __str__(self) -> str:
        used = "·".join(self.factors) or "none"
        fixed = ", ".join(self.fixed) or "none"
        return f"{self.cls} (factors: {used}; fixed stages: {fixed})"


class Stage(ABC):
    """A linear map C^n_in -> C^n_out applied along one dimension of a tensor.

    Subclasses implement ``_apply`` (along the last dimension, input already checked),
    ``adjoint``, ``transpose``, ``to`` and ``_tokens``.
    """

    n_in: int
    n_out: int
    name = "stage"

    # --- to implement -------------------------------------------------------------------------
    @abstractmethod
    def _apply(self, x: torch.Tensor) -> torch.Tensor:
        """y along the last dim; x is already checked."""

    @abstractmethod
    def adjoint(self) -> "Stage":
        """The conjugate transpose as a stage."""

    @abstractmethod
    def transpose(self) -> "Stage":
        """The transpose as a stage."""

    @abstractmethod
    def to(self, dtype: torch.dtype | None = None, device: torch.device | str | None = None) -> "Stage":
        """The stage in another precision (real/complex kept) or on another device."""

    @abstractmethod
    def _tokens(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(factor tokens "M", "M*", "P" (permutation) in product order, fixed stage names)."""

    @property
    @abstractmethod
    def dtype(self) -> torch.dtype:
        """The dtype of the weights."""

    @property
    @abstractmethod
    def device(self) -> torch.device:
        """The device of the weights."""

    # --- shared -------------------------------------------------------------------------------
    @property
    def H(self) -> "Stage":
        """Conjugate transpose, itself a structured stage."""
        return self.adjoint()

    @property
    def T(self) -> "Stage":
        """Transpose (no conjugation), itself a structured stage."""
        return self.transpose()

    @property
    def shape(self) -> tuple[int, int]:
        """(n_out, n_in), as for the dense matrix."""
        return (self.n_out, self.n_in)

    def __matmul__(self, other):
        """``A @ B`` is the chain applying B, then A; ``A @ x`` multiplies a tensor as a matrix would
        (x: (n_in,) or (..., n_in, k), like numpy's matmul)."""
        if isinstance(other, torch.Tensor):
            return self(other, dim=-1 if other.ndim == 1 else -2)
        from .chain import Chain

        return Chain([other, self])

    def __call__(self, x: torch.Tensor, dim: int | Sequence[int] = -1) -> torch.Tensor:
        """Apply along ``dim`` (an int, or several dims for separable application).

        x: (..., n_in, ...) with ``n_in`` at ``dim``; returns the same shape with ``n_out`` there.
        """
        if not isinstance(x, torch.Tensor):
            raise MonarchError(f"{self.name} expects a torch.Tensor, got {type(x).__name__}")
        for d in _as_dims(dim):
            if not -x.ndim <= d < x.ndim:
                raise MonarchError(f"{self.name}: dim {d} is out of range for an input of shape {tuple(x.shape)}")
            if x.shape[d] != self.n_in:
                raise MonarchError(
                    f"{self.name} expects size {self.n_in} along dim {d}, got an input of shape {tuple(x.shape)}"
                )
            x = self._apply_along(x, d)
        return x

    def _apply_along(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        """y along ``dim`` (checked); the last-dim ``_apply`` on a moved view unless a stage does better."""
        return self._apply(x.movedim(dim, -1)).movedim(-1, dim)

    def to_dense(self) -> torch.Tensor:
        """The (n_out, n_in) matrix, by applying the map to the identity."""
        eye = torch.eye(self.n_in, dtype=self.dtype, device=self.device)
        return self._apply(eye).transpose(0, 1)

    @property
    def structure(self) -> Structure:
        tokens, fixed = self._tokens()
        factors = tuple(t for t in tokens if t != "P")
        return Structure(cls=class_of(tokens, fixed), factors=factors, fixed=tuple(dict.fromkeys(fixed)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_in={self.n_in}, n_out={self.n_out}, dtype={self.dtype})"


def class_of(factors: Sequence[str], fixed: Sequence[str]) -> str:
    """The smallest class M, MM*, (MM*)^2, (MM*)^3, ... that this factor pattern provably lies in.

    Factors are matched greedily, left to right, against the template M M* M M* ...; the identity
    fills unused slots (I lies in M and in M*), and a fixed permutation takes one M M* pair
    (every permutation lies in BB*, a subset of MM*; Dao et al. 2020). Diagonals, selections and
    real parts fold into neighbouring factors and take no slot. "dense" for the prime fallback.
    """
    if "dense" in fixed:
        return "dense"
    slot = 0  # next free template position; even = M, odd = M*
    for token in factors:
        if token == "M":
            slot += slot % 2
            slot += 1
        elif token == "M*":
            slot += 1 - slot % 2
            slot += 1
        else:  # "P": a permutation takes an aligned M M* pair
            slot += slot % 2
            slot += 2
    if slot <= 1:
        return "M"
    units = (slot + 1) // 2
    return "MM*" if units == 1 else f"(MM*)^{units}"
