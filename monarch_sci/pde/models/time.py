"""Time-dependent operators: autoregressive FNO-2D+time, space-time FNO-3D, and persistence.

All take the last ``in_frames`` frames u(t−T_in+1 .. t) as channels, (batch, T_in, *grid), and return
``steps`` future frames (batch, steps, *grid); ``forward`` is the whole rollout, so DDP sees it
(``Autoregressive.compile`` compiles one step, the trunk: the unrolled rollout is too long a graph).

- ``Autoregressive`` (FNO-2D in the FNO paper): a trunk maps T_in frames (+ grid) to the next frame;
  the window slides by one frame per step: u_{t+1} = G(u_{t−9..t}), then (u_{t−8..t+1}) → u_{t+2} ...
  Training backpropagates through the whole rollout (the paper's "trained through the rollout").
- ``SpaceTime`` (FNO-3D): the T_in frames are repeated along a new time axis of length ``steps``
  and a 3-D trunk over (x, y, t) (time zero-padded) outputs all steps at once.
- ``Persistence``: the last input frame, repeated (the baseline every model must beat).
"""

from __future__ import annotations

import torch
from torch import nn

from ...errors import MonarchError
from ...nn.spectral import cached_spectral


def _check_frames(x: torch.Tensor, in_frames: int, ndim: int, who: str) -> None:
    if x.ndim != ndim + 2 or x.shape[1] != in_frames:
        raise MonarchError(f"{who} expects frames (batch, {in_frames}, {ndim} spatial dims), got {tuple(x.shape)}")


class Autoregressive(nn.Module):
    """u(T_in frames) ↦ the next frame by ``trunk``, rolled out ``steps`` times.

    trunk: (batch, in_frames, *grid) → (batch, 1, *grid), e.g. ``FNO(in_frames, 1, ...)``.
    """

    def __init__(self, trunk: nn.Module, in_frames: int = 10, ndim: int = 2):
        super().__init__()
        self.trunk, self.in_frames, self.ndim = trunk, in_frames, ndim

    def forward(self, frames: torch.Tensor, steps: int = 1) -> torch.Tensor:
        """frames (batch, in_frames, *grid) → (batch, steps, *grid)."""
        _check_frames(frames, self.in_frames, self.ndim, type(self).__name__)
        if steps < 1:
            raise MonarchError(f"steps must be >= 1, got {steps}")
        window, out = frames, []
        with cached_spectral(self.trunk):  # Monarch DFTs as dense matrices, mode-major weights: once per rollout
            for _ in range(steps):
                nxt = self.trunk(window)
                out.append(nxt)
                window = torch.cat([window[:, 1:], nxt.to(window.dtype)], dim=1)
        return torch.cat(out, dim=1)

    def compile(self, *args, **kwargs) -> None:
        """``torch.compile`` the trunk in place (``nn.Module.compile``); the rollout loop stays eager."""
        self.trunk.compile(*args, **kwargs)


class SpaceTime(nn.Module):
    """All ``steps`` frames at once from a trunk over (*grid, t) (FNO-3D).

    trunk: (batch, in_frames, *grid, steps) → (batch, 1, *grid, steps), e.g. a 3-D ``FNO`` with the
    time axis padded. ``steps`` is fixed by the trunk's spectral layers when they are Monarch ones.
    """

    def __init__(self, trunk: nn.Module, in_frames: int = 10, steps: int = 40, ndim: int = 2):
        super().__init__()
        self.trunk, self.in_frames, self.steps, self.ndim = trunk, in_frames, steps, ndim

    def forward(self, frames: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        _check_frames(frames, self.in_frames, self.ndim, type(self).__name__)
        steps = self.steps if steps is None else steps
        x = frames.unsqueeze(-1).expand(*frames.shape, steps)
        return self.trunk(x).squeeze(1).movedim(-1, 1)


class Persistence(nn.Module):
    """û(t + k) = u(t): the last input frame for every step (no parameters)."""

    def __init__(self, in_frames: int = 10, ndim: int = 2):
        super().__init__()
        self.in_frames, self.ndim = in_frames, ndim

    def forward(self, frames: torch.Tensor, steps: int = 1) -> torch.Tensor:
        _check_frames(frames, self.in_frames, self.ndim, type(self).__name__)
        return frames[:, -1:].expand(-1, steps, *frames.shape[2:])
