"""Training views of a PDEData as torch Datasets of named samples (channels first, no copies).

| view              | x                          | y                         | FNO use                         |
|-------------------|----------------------------|---------------------------|---------------------------------|
| TimeWindows       | (n_in, *space) frames      | (n_out, *space) next ones | FNO-2D: 10 frames → next/rollout |
| OneStepPairs      | (1, *space) frame r        | (1, *space) frame r + 1   | one-step operators              |
| SpaceTimeBlocks   | (n_in, n_out, *space)      | (1, n_out, *space)        | FNO-3D (input frames repeated)  |
| SteadyPairs       | (1, *space) a              | (1, *space) u (or u(T))   | Darcy, Burgers a ↦ u(1)          |

Windows never cross trajectories, so a ``PDEData.split`` before building views keeps train and test apart.

>>> data = PDEData(u=torch.randn(2, 50, 8, 8), t=torch.arange(1.0, 51.0))
>>> rollout = TimeWindows(data, n_in=10, n_out=None)   # FNO-2D training: 10 frames → the other 40
>>> len(rollout), rollout[0].x.shape, rollout[0].y.shape
(2, torch.Size([10, 8, 8]), torch.Size([40, 8, 8]))
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.utils.data import Dataset

from ..errors import MonarchError
from .data import PDEData


class PDESample(NamedTuple):
    """One training pair: input x, target y, the trajectory ``index`` and the target's first frame ``t``."""

    x: torch.Tensor
    y: torch.Tensor
    index: int
    t: int


def _need_time(data: PDEData, view: str) -> None:
    if not data.time_dependent:
        raise MonarchError(
            f"{view} needs trajectories (N, R, *space) but {data.source or 'the data'} is steady; use SteadyPairs"
        )


class TimeWindows(Dataset):
    """Windows of ``n_in`` consecutive frames → the next ``n_out`` (None: all remaining, one per trajectory).

    Starts 0, stride, 2·stride, … up to R − n_in − n_out; sample = (trajectory, start) in row-major order.
    """

    def __init__(self, data: PDEData, n_in: int = 10, n_out: int | None = 1, stride: int = 1):
        _need_time(data, type(self).__name__)
        R = data.u.shape[1]
        n_out = R - n_in if n_out is None else n_out
        if n_in < 1 or n_out < 1 or n_in + n_out > R or stride < 1:
            raise MonarchError(
                f"{type(self).__name__}: n_in={n_in}, n_out={n_out}, stride={stride} do not fit trajectories of {R} frames"
            )
        self.data, self.n_in, self.n_out = data, n_in, n_out
        self.starts = list(range(0, R - n_in - n_out + 1, stride))

    def __len__(self) -> int:
        return self.data.n * len(self.starts)

    def _window(self, i: int) -> tuple[int, int]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"sample {i} out of range for {len(self)} samples")
        i %= len(self)
        return i // len(self.starts), self.starts[i % len(self.starts)]

    def __getitem__(self, i: int) -> PDESample:
        index, start = self._window(i)
        u = self.data.u[index]
        mid = start + self.n_in
        return PDESample(u[start:mid], u[mid : mid + self.n_out], index, mid)


class OneStepPairs(TimeWindows):
    """Frame r → frame r + 1 for every r of every trajectory (x, y: (1, *space))."""

    def __init__(self, data: PDEData):
        super().__init__(data, n_in=1, n_out=1, stride=1)


class SpaceTimeBlocks(TimeWindows):
    """FNO-3D pairs: the first ``n_in`` frames repeated over the ``n_out`` target times (an expanded view)."""

    def __init__(self, data: PDEData, n_in: int = 10, n_out: int | None = None, stride: int = 1):
        super().__init__(data, n_in, n_out, stride)

    def __getitem__(self, i: int) -> PDESample:
        x, y, index, t = super().__getitem__(i)
        x = x.unsqueeze(1).expand(self.n_in, self.n_out, *x.shape[1:])
        return PDESample(x, y.unsqueeze(0), index, t)


class SteadyPairs(Dataset):
    """Input field → solution (x, y: (1, *space)); for trajectories the target is frame ``target`` (default the last).

    The input is ``a``; data without one (PDEBench trajectories) use the first frame.
    """

    def __init__(self, data: PDEData, target: int = -1):
        if data.time_dependent:
            R = data.u.shape[1]
            if not -R <= target < R:
                raise MonarchError(f"SteadyPairs: target frame {target} out of range for {R} frames")
            self.target = target % R
        else:
            self.target = 0
        if data.a is None and not data.time_dependent:
            raise MonarchError(f"SteadyPairs: {data.source or 'the data'} has no input field 'a'")
        self.data = data

    def __len__(self) -> int:
        return self.data.n

    def __getitem__(self, i: int) -> PDESample:
        d = self.data
        if d.time_dependent:
            x = d.a[i] if d.a is not None else d.u[i, 0]
            y = d.u[i, self.target]
        else:
            x, y = d.a[i], d.u[i]
        return PDESample(x.unsqueeze(0), y.unsqueeze(0), int(i) % d.n, self.target)


VIEWS = {"windows": TimeWindows, "one-step": OneStepPairs, "space-time": SpaceTimeBlocks, "steady": SteadyPairs}


def make_view(name: str, data: PDEData, **options) -> Dataset:
    """The view registered as ``name`` (see VIEWS) over ``data``; an unknown name lists the valid ones."""
    if name not in VIEWS:
        raise MonarchError(f"unknown view {name!r}; valid views: {', '.join(VIEWS)}")
    return VIEWS[name](data, **options)
