"""MonarchSpectralConv as a ``conv_module`` for neuraloperator's FNO (neuraloperator >= 1.0).

    from neuralop.models import FNO
    model = FNO(n_modes=(16, 16), hidden_channels=32, in_channels=3, out_channels=1,
                conv_module=ms.nn.neuralop_conv_module(grid=(64, 64)))

neuraloperator builds each layer as conv_module(in_channels, out_channels, n_modes, **options) and
calls forward(x, output_shape=None) and transform(x, output_shape=None); FNO sets ``n_modes``.
Its convention: n_modes counts all kept modes per dim (n_modes // 2 negative, the rest
non-negative; the last dim keeps n_modes // 2 + 1 rfft modes), the weight is one dense complex
tensor (in, out, *modes) in fftshifted order with a (out, 1, ..., 1) bias, fft norm "forward".
"""

from __future__ import annotations

from functools import partial
from typing import Sequence

from ..errors import MonarchError
from .modes import KeptModes
from .spectral import MonarchSpectralConv

# neuraloperator options whose other values change the layer's math; accepted at these values only.
_SUPPORTED = {
    "complex_data": False,
    "separable": False,
    "factorization": None,
    "resolution_scaling_factor": None,
    "fno_block_precision": "full",
}
# options that only matter for factorized weights, ignored here
_IGNORED = ("rank", "fixed_rank_modes", "implementation", "decomposition_kwargs", "device")


class NeuralopMonarchSpectralConv(MonarchSpectralConv):
    """MonarchSpectralConv with neuraloperator's constructor, mode convention and settable n_modes."""

    def __init__(self, in_channels: int, out_channels: int, n_modes: Sequence[int] | int, grid: Sequence[int],
                 max_n_modes: Sequence[int] | None = None, bias: bool = True, fft_norm: str = "forward",
                 learn: str = "both", structure: str = "M", transforms=None, **options):
        for key, value in options.items():
            if key in _SUPPORTED and value != _SUPPORTED[key] and not (key == "factorization" and str(value).lower() == "dense"):
                raise MonarchError(f"MonarchSpectralConv supports {key}={_SUPPORTED[key]!r} only, got {value!r}")
            if key not in _SUPPORTED and key not in _IGNORED:
                raise MonarchError(f"unknown neuraloperator option {key!r} for MonarchSpectralConv")
        n_modes = [n_modes] if isinstance(n_modes, int) else list(n_modes)
        self.max_n_modes = list(max_n_modes or n_modes)
        widest = KeptModes.neuralop(grid, self.max_n_modes)
        super().__init__(in_channels, out_channels, widest.positive, grid, transforms=transforms, learn=learn,
                         structure=structure, bias=bias, fft_norm=fft_norm, init="normal", negative=widest.negative)
        self.n_modes = n_modes

    @property
    def n_modes(self) -> list[int]:
        return self._n_modes

    @n_modes.setter
    def n_modes(self, n_modes) -> None:
        n_modes = [n_modes] if isinstance(n_modes, int) else list(n_modes)
        if any(m > top for m, top in zip(n_modes, self.max_n_modes)) or len(n_modes) != len(self.max_n_modes):
            raise MonarchError(f"n_modes {n_modes} exceed max_n_modes {self.max_n_modes}")
        self._kept = KeptModes.neuralop(self.grid, n_modes)
        self._n_modes = n_modes[:-1] + [n_modes[-1] // 2 + 1]

    def kept(self, grid: Sequence[int]) -> KeptModes:
        return KeptModes(tuple(grid), self._kept.negative, self._kept.positive)

    def spectral_weight(self):
        """The centered slice of the weight for the current n_modes, as neuraloperator takes it."""
        index = [slice(None), slice(None)]
        for neg, pos, top_neg in zip(self._kept.negative[:-1], self._kept.positive[:-1], self.negative[:-1]):
            index.append(slice(top_neg - neg, top_neg + pos))
        index.append(slice(0, self._kept.positive[-1]))
        return self.weight[tuple(index)]


def neuralop_conv_module(grid: Sequence[int], **options):
    """A ``conv_module`` for ``neuralop.models.FNO`` building Monarch spectral layers for ``grid``.

    options: learn, structure, transforms (a shared ``FourierTransforms``), fft_norm.
    """
    return partial(NeuralopMonarchSpectralConv, grid=tuple(grid), **options)
