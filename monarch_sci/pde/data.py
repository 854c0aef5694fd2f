"""PDEData: one PDE data set in memory, in the canonical layout every loader returns.

    a  (N, *space) or None    input field (initial condition or coefficient)
    u  (N, R, *space)         trajectories at the times t (R,)         when t is not None
       (N, *space)            steady solutions                          when t is None

Space axes are (x[, y]) with x the slower one, as in our HDF5 layout and PDEBench; FNO's .mat files (time
last) are moved into this layout by their loader. ``split`` follows FNO's scripts: the first n_train
samples train, the last n_test test.

>>> data = PDEData(u=torch.zeros(5, 3, 8, 8), a=torch.zeros(5, 8, 8), t=torch.arange(1.0, 4.0))
>>> train, test = data.split(4, 1)
>>> train.n, test.n, data.space_shape
(4, 1, (8, 8))
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from ..errors import MonarchError


@dataclass(frozen=True)
class PDEData:
    """Arrays of one data set plus where they came from; shapes are checked on construction."""

    u: torch.Tensor
    a: torch.Tensor | None = None
    t: torch.Tensor | None = None
    grid: str = "unknown"  # "periodic" (points j/s), "nodes" (points j/(s-1)) or "unknown"
    source: str = ""
    format: str = ""
    keys: dict = field(default_factory=dict)  # canonical name -> key in the source file, for messages
    attrs: dict = field(default_factory=dict)

    def __post_init__(self):
        where = f"{self.source}: " if self.source else ""
        name = lambda k: f"{k!r}" if self.keys.get(k, k) == k else f"{k!r} (key {self.keys[k]!r})"  # noqa: E731
        if self.u.ndim < 2:
            raise MonarchError(
                f"{where}{name('u')} must have a sample axis and space axes, got shape {tuple(self.u.shape)}"
            )
        if self.t is not None:
            if self.t.ndim != 1 or self.u.ndim < 3 or self.u.shape[1] != len(self.t):
                raise MonarchError(
                    f"{where}inconsistent shapes: {name('u')} {tuple(self.u.shape)} should be (N, R, *space) "
                    f"with R = len({name('t')}) = {len(self.t) if self.t.ndim == 1 else tuple(self.t.shape)}"
                )
        if self.a is not None:
            if self.a.shape[0] != self.u.shape[0]:
                raise MonarchError(
                    f"{where}inconsistent shapes: {name('a')} {tuple(self.a.shape)} and {name('u')} "
                    f"{tuple(self.u.shape)} hold different numbers of samples ({self.a.shape[0]} vs {self.u.shape[0]})"
                )
            if tuple(self.a.shape[1:]) != self.space_shape:
                raise MonarchError(
                    f"{where}inconsistent shapes: {name('a')} {tuple(self.a.shape)} has space shape "
                    f"{tuple(self.a.shape[1:])} but {name('u')} {tuple(self.u.shape)} has {self.space_shape}"
                )

    @property
    def n(self) -> int:
        """Number of samples (trajectories)."""
        return self.u.shape[0]

    @property
    def time_dependent(self) -> bool:
        return self.t is not None

    @property
    def space_shape(self) -> tuple[int, ...]:
        return tuple(self.u.shape[2:] if self.t is not None else self.u.shape[1:])

    def subset(self, index: slice | torch.Tensor | list[int]) -> "PDEData":
        """The samples ``index`` (a slice keeps views, no copy)."""
        return replace(self, u=self.u[index], a=None if self.a is None else self.a[index])

    def split(self, n_train: int, n_test: int) -> tuple["PDEData", "PDEData"]:
        """(first n_train samples, last n_test samples), as FNO's training scripts split the .mat files."""
        if n_train < 0 or n_test < 0 or n_train + n_test > self.n:
            raise MonarchError(
                f"{self.source or 'data'}: cannot split {self.n} samples into n_train={n_train} and n_test={n_test}"
            )
        return self.subset(slice(0, n_train)), self.subset(slice(self.n - n_test, self.n))

    def subsample(self, stride: int) -> "PDEData":
        """Every ``stride``-th grid point along each space axis (FNO's 421 → 85 is stride 5)."""
        if stride < 1:
            raise MonarchError(f"subsample stride must be >= 1, got {stride}")
        space = (slice(None, None, stride),) * len(self.space_shape)
        lead_u = (slice(None),) * (2 if self.t is not None else 1)
        return replace(
            self,
            u=self.u[lead_u + space],
            a=None if self.a is None else self.a[(slice(None),) + space],
        )

    def to(self, dtype: torch.dtype) -> "PDEData":
        """The same data with floating arrays (and boolean inputs) cast to ``dtype``."""
        return replace(self, u=self.u.to(dtype), a=None if self.a is None else self.a.to(dtype))
