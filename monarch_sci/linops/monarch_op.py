"""Monarch factors, chains and learnable transforms as operators along one or two dims."""

from __future__ import annotations

from typing import Sequence

import torch

from ..errors import MonarchError
from ..monarch.stage import Stage
from .base import LinearOperator, as_dims, as_shape


def _check_stage(stage, name: str) -> None:
    missing = [a for a in ("n_in", "n_out", "H") if not hasattr(stage, a)]
    if missing or not callable(stage):
        raise MonarchError(
            f"{name} needs a Stage-like object (callable along the last dim, with n_in, n_out and .H); "
            f"{type(stage).__name__} lacks {missing or ['__call__']}"
        )


def _stage_dtype(stage) -> torch.dtype | None:
    dtype = getattr(stage, "dtype", None)
    if isinstance(dtype, torch.dtype):
        return dtype
    params = getattr(stage, "parameters", None)
    first = next(iter(params()), None) if callable(params) else None
    return first.dtype if first is not None else None


def _stage_device(stage) -> torch.device | None:
    device = getattr(stage, "device", None)
    if isinstance(device, torch.device):
        return device
    params = getattr(stage, "parameters", None)
    first = next(iter(params()), None) if callable(params) else None
    return first.device if first is not None else None


class MonarchOp(LinearOperator):
    """A Stage (Monarch factor, Chain, learnable transform) applied along ``dims`` of (..., *ishape).

    One dim: y = S x along it. Two or more dims: separable, S_d along each dim d (the same stage
    on every dim, or one stage per dim), e.g. a 2-D transform (S_H ⊗ S_W) x. ``stage`` may be any
    object applying along the last dim with ``n_in``, ``n_out`` and ``.H``, so nn.Modules work;
    ``.H`` is taken at apply time, so the operator follows learnable weights. ``adjoint=True``
    represents the operator with every stage replaced by its ``.H`` (ishape then has ``n_out``
    along dims). Adjoint: the same dims with S_dᴴ.

    >>> from monarch_sci import Monarch
    >>> M = Monarch.random(16, dtype=torch.complex128)
    >>> A = MonarchOp(M, (4, 16, 16), dims=(-2, -1))         # M ⊗ M on the last two dims
    >>> A.adjoint_test() < 1e-12
    True
    """

    def __init__(self, stage, ishape: int | Sequence[int], dims: int | Sequence[int] = (-1,), *, adjoint: bool = False):
        ishape = as_shape(ishape, "MonarchOp ishape")
        dims = as_dims(dims, ishape, "MonarchOp")
        stages = tuple(stage) if isinstance(stage, (list, tuple)) else (stage,) * len(dims)
        if len(stages) != len(dims):
            raise MonarchError(f"MonarchOp got {len(stages)} stages for {len(dims)} dims {dims}")
        for s in stages:
            _check_stage(s, "MonarchOp")
        oshape = list(ishape)
        for d, s in zip(dims, stages):
            n_in, n_out = (s.n_out, s.n_in) if adjoint else (s.n_in, s.n_out)
            if ishape[d] != n_in:
                raise MonarchError(
                    f"MonarchOp: {getattr(s, 'name', type(s).__name__)} maps length {n_in} -> {n_out} "
                    f"but ishape {ishape} has {ishape[d]} along dim {d}"
                )
            oshape[d] = n_out
        super().__init__(ishape, tuple(oshape))
        self.stages, self.dims, self.adjoint = stages, dims, bool(adjoint)
        self.name = "MonarchOp" + (".H" if adjoint else "")

    @property
    def dtype(self):
        dtypes = [d for d in map(_stage_dtype, self.stages) if d is not None]
        return dtypes[0] if dtypes else None

    @property
    def device(self):
        return next((d for d in map(_stage_device, self.stages) if d is not None), None)

    def _run(self, x: torch.Tensor, adjoint: bool) -> torch.Tensor:
        for d, s in zip(self.dims, self.stages):
            s = s.H if adjoint else s
            x = s(x, dim=d) if isinstance(s, Stage) else s(x.movedim(d, -1)).movedim(-1, d)
        return x

    def _apply(self, x):
        return self._run(x, self.adjoint)

    @property
    def H(self) -> "MonarchOp":
        return MonarchOp(self.stages, self.oshape, self.dims, adjoint=not self.adjoint)

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in dict.fromkeys(self.stages))
        return f"{self.name}([{inner}], {self.ishape} -> {self.oshape}, dims={self.dims})"


__all__ = ["MonarchOp"]
