"""Which Fourier modes a spectral convolution keeps, and how to gather / scatter them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from ..device_cache import device_cached
from ..errors import MonarchError


@dataclass(frozen=True)
class KeptModes:
    """Kept frequencies of an rfftn spectrum on a grid.

    grid: spatial sizes (n_1, ..., n_d). Along each dim but the last, ``negative[i]`` negative and
    ``positive[i]`` non-negative frequencies are kept (ascending, i.e. fftshifted order); along the
    last dim the frequencies 0 .. positive[-1]-1 of the rfft half spectrum. This is both the
    original FNO's "both corners of the lowest modes" and neuraloperator's centered slice.
    """

    grid: tuple[int, ...]
    negative: tuple[int, ...]
    positive: tuple[int, ...]

    @classmethod
    def fno(cls, grid: Sequence[int], modes: Sequence[int]) -> "KeptModes":
        """Original FNO: ``modes[i]`` lowest non-negative and negative frequencies; ``modes[-1]`` rfft modes."""
        modes = tuple(modes)
        return cls(tuple(grid), tuple(modes[:-1]) + (0,), modes)

    @classmethod
    def neuralop(cls, grid: Sequence[int], n_modes: Sequence[int]) -> "KeptModes":
        """neuraloperator >= 1.0: n_modes counts all kept modes per dim; the last keeps n_modes // 2 + 1."""
        n_modes = tuple(n_modes)
        negative = tuple(k // 2 for k in n_modes[:-1]) + (0,)
        positive = tuple(k - k // 2 for k in n_modes[:-1]) + (n_modes[-1] // 2 + 1,)
        return cls(tuple(grid), negative, positive)

    def __post_init__(self):
        if not (len(self.grid) == len(self.negative) == len(self.positive)):
            raise MonarchError(f"modes {self.positive} and grid {self.grid} have different numbers of dims")
        for i, (n, neg, pos) in enumerate(zip(self.grid, self.negative, self.positive)):
            limit = n // 2 + 1 if i == len(self.grid) - 1 else n
            if pos < 1 or neg < 0 or neg + pos > limit:
                raise MonarchError(
                    f"dim {i} of grid {self.grid} keeps {neg} negative and {pos} non-negative modes; "
                    f"at most {limit} modes fit"
                )

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the kept block of the spectrum (and of the weights' mode dims)."""
        return tuple(n + p for n, p in zip(self.negative, self.positive))

    @property
    def spectrum_shape(self) -> tuple[int, ...]:
        """Shape of the rfftn spectrum: (n_1, ..., n_d // 2 + 1)."""
        return self.grid[:-1] + (self.grid[-1] // 2 + 1,)

    def indices(self, dim: int, device=None) -> torch.Tensor:
        """Positions of the kept frequencies along ``dim`` in the (unshifted) spectrum."""
        freqs = torch.arange(-self.negative[dim], self.positive[dim], device=device)
        return freqs % self.grid[dim]

    def positions_in(self, wider: "KeptModes", dim: int, device=None) -> torch.Tensor:
        """Where this object's kept frequencies along ``dim`` sit in ``wider``'s kept block."""
        if self.negative[dim] > wider.negative[dim] or self.positive[dim] > wider.positive[dim]:
            raise MonarchError(f"modes {self.shape} do not fit inside {wider.shape} along dim {dim}")
        return torch.arange(-self.negative[dim], self.positive[dim], device=device) + wider.negative[dim]

    def gather(self, spectrum: torch.Tensor) -> torch.Tensor:
        """(..., *spectrum_shape) -> (..., *shape): the kept modes (differentiable; backward = ``scatter``)."""
        return _KeptSelection.apply(spectrum, self, False)

    def scatter(self, block: torch.Tensor) -> torch.Tensor:
        """(..., *shape) -> (..., *spectrum_shape), zeros outside the kept modes (the adjoint of ``gather``)."""
        return _KeptSelection.apply(block, self, True)

    def _select(self, spectrum: torch.Tensor) -> torch.Tensor:
        """``gather`` without autograd: leading slices (views) along the dims without negative
        frequencies, then one ``index_select`` per other dim (one launch for FNO-2D)."""
        d = len(self.grid)
        for i in range(d):
            if self.negative[i] == 0:
                spectrum = spectrum.narrow(i - d, 0, self.positive[i])
        gathered = [i for i in range(d) if self.negative[i] > 0]
        for i in gathered:
            spectrum = spectrum.index_select(i - d, kept_indices(self, i, spectrum.device))
        return spectrum if gathered else spectrum.contiguous()

    def _place(self, block: torch.Tensor) -> torch.Tensor:
        """``scatter`` without autograd: zeros, then the block copied into the leading slices along the
        dims without negative frequencies and ``index_copy_`` along the others (two launches for FNO-2D)."""
        d = len(self.grid)
        full = block.new_zeros(*block.shape[:-d], *self.spectrum_shape)
        view = full
        for i in range(d):
            if self.negative[i] == 0:
                view = view.narrow(i - d, 0, self.positive[i])
        placed = [i for i in range(d) if self.negative[i] > 0]
        if not placed:
            view.copy_(block)
        for n, i in enumerate(placed):
            index = kept_indices(self, i, block.device)
            if n == len(placed) - 1:
                view.index_copy_(i - d, index, block)
            else:
                size = list(block.shape)
                size[i - d] = self.spectrum_shape[i]
                block = block.new_zeros(size).index_copy(i - d, index, block)
        return full


class _KeptSelection(torch.autograd.Function):
    """``kept._select`` (place=False) or its adjoint ``kept._place`` (place=True); the backward of
    each is the other, so gradients of any order stay exact selections."""

    @staticmethod
    def forward(ctx, x, kept, place):
        ctx.kept, ctx.place = kept, place
        return kept._place(x) if place else kept._select(x)

    @staticmethod
    def backward(ctx, grad):
        return _KeptSelection.apply(grad, ctx.kept, not ctx.place), None, None


@device_cached
def kept_indices(kept: KeptModes, dim: int, device: torch.device) -> torch.Tensor:
    """``kept.indices(dim, device)``, built once per (modes, dim, device), so a gather or scatter in
    a loop (a rollout) launches no index kernels; see ``device_cached``."""
    return kept.indices(dim, device)
