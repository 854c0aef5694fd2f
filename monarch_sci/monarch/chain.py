"""Chains: products of Monarch factors and fixed stages (the classes MM* and (MM*)^2)."""

from __future__ import annotations

from typing import Iterable

import torch

from ..errors import MonarchError
from .factor import Monarch
from .fixed import Permutation, RealPart
from .stage import Stage, Structure, class_of


class Chain(Stage):
    """The product stages[-1] ··· stages[1] · stages[0]: ``stages[0]`` is applied first.

    Nested chains are flattened and adjacent permutations merged. ``cls`` states the Monarch
    class when a theorem gives a tighter one than the factor pattern shows (see ``class_of``).

    >>> M1, M2 = Monarch.random(16, dtype=torch.float64), Monarch.random(16, dtype=torch.float64)
    >>> C = Chain([M2.H, M1])           # M1 · M2^H, a member of MM*
    >>> C.structure.cls
    'MM*'
    """

    name = "Chain"

    def __init__(self, stages: Iterable[Stage], cls: str | None = None, name: str | None = None):
        flat: list[Stage] = []
        for stage in stages:
            if not isinstance(stage, Stage):
                raise MonarchError(f"a Chain is made of stages, got {type(stage).__name__}")
            parts = stage.stages if isinstance(stage, Chain) else [stage]
            for part in parts:
                if flat and isinstance(part, Permutation) and isinstance(flat[-1], Permutation):
                    flat[-1] = flat[-1].then(part)
                else:
                    flat.append(part)
        if not flat:
            raise MonarchError("a Chain needs at least one stage")
        for i, (a, b) in enumerate(zip(flat, flat[1:])):
            if a.n_out != b.n_in:
                raise MonarchError(
                    f"stage {i} ({a!r}) outputs length {a.n_out} but stage {i + 1} ({b!r}) expects {b.n_in}"
                )
        self.stages, self.cls = flat, cls
        if name:
            self.name = name
        self.n_in, self.n_out = flat[0].n_in, flat[-1].n_out

    @property
    def dtype(self) -> torch.dtype:
        dtypes = [s.dtype for s in self.stages if not isinstance(s, Permutation)]
        result = dtypes[0] if dtypes else torch.get_default_dtype()
        for d in dtypes[1:]:
            result = torch.promote_types(result, d)
        return result

    @property
    def device(self) -> torch.device:
        return self.stages[0].device

    @property
    def factors(self) -> list[Monarch]:
        """The Monarch factors, in application order (inside real parts too)."""
        found = []
        for stage in self.stages:
            inner = stage.inner if isinstance(stage, RealPart) else stage
            found += inner.factors if isinstance(inner, Chain) else [inner] if isinstance(inner, Monarch) else []
        return found

    @property
    def numel(self) -> int:
        """Entries in all Monarch factors."""
        return sum(f.numel for f in self.factors)

    def _apply(self, x):
        for stage in self.stages:
            x = stage._apply(x)
        return x

    def adjoint(self) -> "Chain":
        return Chain([s.adjoint() for s in reversed(self.stages)], cls=_reversed_cls(self.cls), name=self.name)

    def transpose(self) -> "Chain":
        return Chain([s.transpose() for s in reversed(self.stages)], cls=_reversed_cls(self.cls), name=self.name)

    def to(self, dtype=None, device=None) -> "Chain":
        return Chain([s.to(dtype, device) for s in self.stages], cls=self.cls, name=self.name)

    def _tokens(self):
        tokens, fixed = (), ()
        for stage in reversed(self.stages):
            t, f = stage._tokens()
            tokens, fixed = tokens + t, fixed + f
        return tokens, fixed

    @property
    def structure(self) -> Structure:
        found = super().structure
        if self.cls is None or found.dense:
            return found
        return Structure(cls=self.cls, factors=found.factors, fixed=found.fixed)

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in self.stages)
        return f"{self.name}([{inner}]) : {self.structure}"


def _reversed_cls(cls: str | None) -> str | None:
    """Class of the (conjugate) transpose: (M1 M2*)^H = M2 M1*, and M^H lies in MM*."""
    return "MM*" if cls == "M" else cls


__all__ = ["Chain", "class_of"]
