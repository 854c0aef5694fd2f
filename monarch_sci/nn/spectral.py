"""Spectral convolutions for Fourier neural operators: the FFT baseline and the Monarch version.

Both compute y = F^-1( W · F(x) on the kept modes ) + bias, with F the d-dimensional real FFT
(rfftn over the spatial dims) and W a complex weight per kept mode, (in, out, *modes). The FFT
version is the original FNO layer; in ``MonarchSpectralConv`` the per-dim forward and inverse
DFTs are learnable Monarch transforms initialized at the exact DFT (``FourierTransforms``), so at
init the two layers agree to rounding.
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterator, Sequence

import torch
from torch import nn

from ..errors import MonarchError, check_choice
from ..monarch.fixed import dense_along
from .modes import KeptModes, kept_indices
from .transform import INITS, STRUCTURES, MonarchTransform

FFT_NORMS = ("backward", "ortho", "forward")
LEARN = ("both", "forward", "inverse", "none")


def _tuple(value, d: int, what: str) -> tuple[int, ...]:
    values = (value,) * d if isinstance(value, int) else tuple(value)
    if len(values) != d or not all(isinstance(v, int) and v > 0 for v in values):
        raise MonarchError(f"{what} must be {d} positive ints, got {value!r}")
    return values


class SpectralConvBase(nn.Module):
    """Weights, kept modes and the mode-wise product shared by both spectral convolutions.

    modes: per spatial dim, the FNO count (``modes[i]`` lowest non-negative and negative
    frequencies; the last dim keeps frequencies 0 .. modes[-1]-1 of the rfft). init: "fno"
    (uniform [0, 1) complex / (in*out), the original code) or "normal" (std sqrt(2/(in+out)),
    neuraloperator's). bias: a learnable (out, 1, ..., 1) bias added after the inverse transform.
    """

    def __init__(self, in_channels: int, out_channels: int, modes: Sequence[int], bias: bool = False,
                 fft_norm: str = "backward", init: str = "fno", dtype: torch.dtype = torch.complex64,
                 negative: Sequence[int] | None = None):
        super().__init__()
        modes = _tuple(modes, 1 if isinstance(modes, int) else len(modes), "modes")
        check_choice("fft_norm", fft_norm, FFT_NORMS)
        self.in_channels, self.out_channels, self.fft_norm = in_channels, out_channels, fft_norm
        self.positive = modes
        self.negative = tuple(negative) if negative is not None else modes[:-1] + (0,)
        shape = (in_channels, out_channels, *(n + p for n, p in zip(self.negative, self.positive)))
        if init == "fno":
            weight = torch.rand(shape, dtype=dtype) / (in_channels * out_channels)
        elif init == "normal":
            weight = torch.randn(shape, dtype=dtype) * math.sqrt(2 / (in_channels + out_channels))
        else:
            raise MonarchError(f"init must be 'fno' or 'normal', got {init!r}")
        self.weight = nn.Parameter(weight)
        self._mode_major: torch.Tensor | None = None
        d = len(modes)
        self.bias = nn.Parameter(torch.zeros(out_channels, *(1,) * d)) if bias else None

    @property
    def ndim(self) -> int:
        return len(self.positive)

    def kept(self, grid: Sequence[int]) -> KeptModes:
        return KeptModes(tuple(grid), self.negative, self.positive)

    def spectral_weight(self) -> torch.Tensor:
        """The weight applied to the kept modes, (in, out, *kept shape)."""
        return self.weight

    def mode_major_weight(self) -> torch.Tensor:
        """``spectral_weight()`` with the mode dims first, (*kept shape, in, out) contiguous: the layout of
        the mode-wise matmul (``mix_modes``); built once per ``cached()`` block."""
        if self._mode_major is not None:
            return self._mode_major
        w = self.spectral_weight()
        return w.permute(*range(2, w.ndim), 0, 1).contiguous()

    @contextlib.contextmanager
    def cached(self) -> Iterator["SpectralConvBase"]:
        """Within the block every call uses the mode-major weight built on entry (one copy per rollout,
        not one per call); its gradient is summed over the calls and flows back to ``weight`` once."""
        self._mode_major = self.mode_major_weight()
        try:
            yield self
        finally:
            self._mode_major = None

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != self.ndim + 2 or x.shape[1] != self.in_channels:
            raise MonarchError(
                f"{type(self).__name__} expects input (batch, {self.in_channels}, {self.ndim} spatial dims), "
                f"got {tuple(x.shape)}"
            )

    def forward(self, x: torch.Tensor, output_shape: Sequence[int] | None = None) -> torch.Tensor:
        """x (batch, in, *grid) real -> (batch, out, *output_shape or grid)."""
        self._check(x)
        grid = tuple(x.shape[2:])
        out_grid = tuple(output_shape) if output_shape is not None else grid
        modes = self.forward_modes(x, self.kept(grid))  # (batch, in, *kept)
        mixed = mix_modes(modes, self.mode_major_weight().to(modes.dtype))
        y = self.inverse_modes(mixed, self.kept(out_grid))
        return y if self.bias is None else y + self.bias

    def transform(self, x: torch.Tensor, output_shape: Sequence[int] | None = None) -> torch.Tensor:
        """neuraloperator's skip-path hook: identity unless the grid changes."""
        if output_shape is None or tuple(output_shape) == tuple(x.shape[2:]):
            return x
        raise MonarchError(f"{type(self).__name__} does not resample skip connections ({tuple(x.shape[2:])} -> {tuple(output_shape)})")

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, modes={self.positive}, fft_norm={self.fft_norm!r}"


def mix_modes(modes: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """out[b, o, k] = Σ_i modes[b, i, k] W[k, i, o] for every kept mode k: modes (b, in, *kept), W (*kept,
    in, out) -> (b, out, *kept), a view of one batched matmul over the modes ((b, in) @ (in, out) each)."""
    b, n_in, *kept = modes.shape
    d = len(kept)
    per_mode = modes.permute(*range(2, 2 + d), 0, 1).reshape(-1, b, n_in)
    out = torch.matmul(per_mode, weight.reshape(-1, n_in, weight.shape[-1]))
    return out.view(*kept, b, -1).permute(d, d + 1, *range(d))


def rfft_modes(x: torch.Tensor, kept: KeptModes, norm: str) -> torch.Tensor:
    """The kept rfft coefficients of x over its last ``len(kept.grid)`` dims (torch.fft)."""
    return kept.gather(torch.fft.rfftn(x, dim=tuple(range(-len(kept.grid), 0)), norm=norm))


def irfft_modes(modes: torch.Tensor, kept: KeptModes, norm: str) -> torch.Tensor:
    """The real field on ``kept.grid`` whose rfft is ``modes`` on the kept modes and zero elsewhere."""
    return torch.fft.irfftn(kept.scatter(modes), s=kept.grid, dim=tuple(range(-len(kept.grid), 0)), norm=norm)


class SpectralConv(SpectralConvBase):
    """The original FNO spectral convolution through torch.fft (any grid, discretization invariant)."""

    def forward_modes(self, x: torch.Tensor, kept: KeptModes) -> torch.Tensor:
        return rfft_modes(x, kept, self.fft_norm)

    def inverse_modes(self, modes: torch.Tensor, kept: KeptModes) -> torch.Tensor:
        return irfft_modes(modes, kept, self.fft_norm)


def real_input_columns(D: torch.Tensor) -> torch.Tensor:
    """D (m, n) complex -> W (n, 2m) real with x @ W = view_as_real(x @ Dᵀ) for real x (``real_input_apply``)."""
    m, n = D.shape
    return torch.view_as_real(D).permute(1, 0, 2).reshape(n, 2 * m)


def real_input_apply(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """D x along the last dim of a real x (..., n), W = ``real_input_columns(D)``: one real GEMM, (..., m) complex."""
    return torch.view_as_complex((x.to(W.dtype) @ W).unflatten(-1, (W.shape[1] // 2, 2)))


def real_output_rows(E: torch.Tensor) -> torch.Tensor:
    """E (n, m) complex -> W (2m, n) real with view_as_real(z) @ W = Re(z @ Eᵀ) (``real_output_apply``)."""
    n, m = E.shape
    return torch.stack([E.real.transpose(0, 1), -E.imag.transpose(0, 1)], dim=1).reshape(2 * m, n)


def real_output_apply(W: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Re(E z) along the last dim of a complex z (..., m), W = ``real_output_rows(E)``: one real GEMM, (..., n)."""
    return torch.view_as_real(z.contiguous()).reshape(*z.shape[:-1], W.shape[0]) @ W.to(z.real.dtype)


class FourierTransforms(nn.Module):
    """Per-dim forward and inverse DFTs restricted to the kept modes, learnable where asked.

    kept: the kept modes on the grid; learn: "both", "forward", "inverse" or "none" (only the learned
    ones are built; layers run fixed ones as FNO does, through torch.fft); structure: "M", "MM*" or
    "(MM*)^2" learnable factors per transform; norm: numpy's fft norm; truncate: the learnable
    transforms compute only the kept frequencies (rows of the DFT's L blocks that hold them,
    ``transforms.dft_modes``) instead of the full DFT and a gather.
    materialize: apply each learnable transform as the dense (kept, n) matrix built from its live
    Monarch factors (one GEMM; gradients flow to the factors) instead of factor by factor. On the
    small grids of neural operators a GEMM of a few modes beats any factored apply, on GPUs by far;
    ``cached()`` builds the matrices once for many calls (a rollout). init: "exact" (the DFT) or
    "random" (random factors of the same shapes, from torch's global generator).
    Pass one instance to several layers to share the transforms across them.
    """

    def __init__(self, kept: KeptModes, learn: str = "both", structure: str = "M", norm: str = "backward",
                 truncate: bool = True, materialize: bool = True, dtype: torch.dtype = torch.complex64,
                 init: str = "exact"):
        super().__init__()
        check_choice("learn", learn, LEARN)
        check_choice("structure", structure, STRUCTURES)
        check_choice("norm", norm, FFT_NORMS)
        check_choice("init", init, INITS)
        self.kept, self.learn, self.structure, self.norm = kept, learn, structure, norm
        self.truncate, self.materialize = truncate, materialize

        def build(inverse: bool) -> nn.ModuleList:
            kind = ("idft" if inverse else "dft") + ("-modes" if truncate else "")
            return nn.ModuleList(
                MonarchTransform(kind, n, structure=structure, init=init, norm=norm, dtype=dtype,
                                 **({"modes": kept.indices(i)} if truncate else {}))
                for i, n in enumerate(kept.grid)
            )

        self.forward_dft = build(inverse=False) if learn in ("both", "forward") else None
        self.inverse_dft = build(inverse=True) if learn in ("both", "inverse") else None
        self._cache: dict | None = None

    @property
    def grid(self) -> tuple[int, ...]:
        return self.kept.grid

    def matrix(self, inverse: bool, i: int) -> torch.Tensor:
        """The learnable transform along dim i as a dense matrix from its live factors:
        (kept_i, n_i) forward, (n_i, kept_i) inverse."""
        return self._operand(("matrix", inverse, i))

    def _operand(self, key: tuple) -> torch.Tensor:
        """A GEMM operand built from the live factors: ("matrix", inverse, i), or the real layouts of the
        last dim's matrix, ("real input", False, i) / ("real output", True, i). Inside ``cached()`` each is
        built once, at first use, and reused (its gradient summed over the uses)."""
        if self._cache is not None and key in self._cache:
            return self._cache[key]
        kind, inverse, i = key
        if kind == "real input":
            value = real_input_columns(self.matrix(False, i))
        elif kind == "real output":
            value = real_output_rows(self.matrix(True, i))
        else:
            value = (self.inverse_dft if inverse else self.forward_dft)[i].to_dense()
            if not self.truncate:
                value = value.index_select(1 if inverse else 0, kept_indices(self.kept, i, value.device))
        if self._cache is not None:
            self._cache[key] = value
        return value

    @contextlib.contextmanager
    def cached(self) -> Iterator["FourierTransforms"]:
        """Within the block every call uses dense matrices (and their real GEMM layouts) built once from
        the live factors."""
        self._cache = {} if self.materialize else None
        try:
            yield self
        finally:
            self._cache = None

    def fft(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Kept DFT coefficients along spatial dim i by the learnable forward transform:
        (..., n_i, ...) -> (..., kept_i, ...)."""
        dim = i - len(self.grid)
        if self.materialize:
            if dim == -1 and not x.is_complex():
                return real_input_apply(self._operand(("real input", False, i)), x)
            return dense_along(self.matrix(False, i), x, dim)
        spectrum = self.forward_dft[i](x, dim=dim)
        return spectrum if self.truncate else spectrum.index_select(dim, kept_indices(self.kept, i, x.device))

    def ifft(self, modes: torch.Tensor, i: int, real: bool = False) -> torch.Tensor:
        """Learnable inverse DFT along spatial dim i of a spectrum that is zero outside the kept modes
        (its real part with ``real``)."""
        dim = i - len(self.grid)
        if self.materialize:
            if real and dim == -1:
                return real_output_apply(self._operand(("real output", True, i)), modes)
            out = dense_along(self.matrix(True, i), modes, dim)
        elif self.truncate:
            out = self.inverse_dft[i](modes, dim=dim)
        else:
            size = list(modes.shape)
            size[dim] = self.grid[i]
            full = modes.new_zeros(size).index_copy(dim, kept_indices(self.kept, i, modes.device), modes)
            out = self.inverse_dft[i](full, dim=dim)
        return out.real if real else out


@contextlib.contextmanager
def cached_spectral(module: nn.Module) -> Iterator[nn.Module]:
    """Within the block (e.g. an autoregressive rollout calling the same layers many times) every
    ``FourierTransforms`` inside ``module`` uses dense matrices and every spectral layer a mode-major
    weight built once on entry; gradients still reach the Monarch factors and the weights, summed over
    all calls."""
    with contextlib.ExitStack() as stack:
        for sub in module.modules():
            if isinstance(sub, (FourierTransforms, SpectralConvBase)):
                stack.enter_context(sub.cached())
        yield module


class MonarchSpectralConv(SpectralConvBase):
    """FNO spectral convolution with learnable Monarch DFTs (exact at init), on a fixed grid.

    grid: the spatial sizes the transforms are built for; transforms: a shared ``FourierTransforms``
    (default: a new one from learn / structure / truncate / materialize / fft_norm, initialized as
    ``transform_init``: "exact" or "random"). Other arguments as ``SpectralConvBase``. Forward: kept
    DFT coefficients along the last dim (real -> complex, the rfft modes), then along each other dim;
    inverse: inverse DFT per dim from the kept modes, and along the last dim weight the half spectrum
    by 1 (zero and Nyquist frequency) or 2 and take the real part, which is exactly irfft.
    """

    def __init__(self, in_channels: int, out_channels: int, modes: Sequence[int], grid: Sequence[int],
                 transforms: FourierTransforms | None = None, learn: str = "both", structure: str = "M",
                 truncate: bool = True, materialize: bool = True, transform_init: str = "exact", **options):
        super().__init__(in_channels, out_channels, modes, **options)
        grid = _tuple(grid, self.ndim, "grid")
        kept = KeptModes(grid, self.negative, self.positive)
        if transforms is None:
            transforms = FourierTransforms(kept, learn=learn, structure=structure, norm=self.fft_norm, truncate=truncate,
                                           materialize=materialize, init=transform_init)
        if transforms.kept != kept or transforms.norm != self.fft_norm:
            raise MonarchError(
                f"shared transforms keep {transforms.kept.shape} modes of grid {transforms.grid} with norm "
                f"{transforms.norm!r}; this layer needs {kept.shape} modes of grid {grid} with norm {self.fft_norm!r}"
            )
        self.grid, self.transforms = grid, transforms
        # irfft as a real part: the half spectrum's columns count once (zero, Nyquist) or twice
        k = torch.arange(transforms.kept.positive[-1])
        self.register_buffer("hermitian", torch.where((k == 0) | (2 * k == grid[-1]), 1.0, 2.0), persistent=False)

    def _check(self, x: torch.Tensor) -> None:
        super()._check(x)
        if tuple(x.shape[2:]) != self.grid:
            raise MonarchError(
                f"MonarchSpectralConv was built for grid {self.grid}, got input grid {tuple(x.shape[2:])}; "
                f"build the layer (or its transforms) for that grid"
            )

    def forward(self, x: torch.Tensor, output_shape: Sequence[int] | None = None) -> torch.Tensor:
        if output_shape is not None and tuple(output_shape) != self.grid:
            raise MonarchError(f"MonarchSpectralConv outputs its grid {self.grid}, not {tuple(output_shape)}")
        return super().forward(x)

    def forward_modes(self, x: torch.Tensor, kept: KeptModes) -> torch.Tensor:
        if self.transforms.forward_dft is None:  # fixed: exactly FNO's
            return rfft_modes(x, kept, self.fft_norm)
        d, widest = self.ndim, self.transforms.kept
        out = self.transforms.fft(x, d - 1)
        for i in range(d - 1):
            out = self.transforms.fft(out, i)
        if kept != widest:  # fewer modes than the transforms keep (neuraloperator's n_modes)
            for i in range(d):
                out = out.index_select(i - d, kept.positions_in(widest, i, out.device))
        return out

    def inverse_modes(self, modes: torch.Tensor, kept: KeptModes) -> torch.Tensor:
        if self.transforms.inverse_dft is None:  # fixed: exactly FNO's
            return irfft_modes(modes, kept, self.fft_norm)
        d, widest = self.ndim, self.transforms.kept
        if kept != widest:
            for i in range(d):
                size = list(modes.shape)
                size[i - d] = widest.shape[i]
                modes = modes.new_zeros(size).index_copy(i - d, kept.positions_in(widest, i, modes.device), modes)
        for i in range(d - 1):
            modes = self.transforms.ifft(modes, i)
        return self.transforms.ifft(modes * self.hermitian, d - 1, real=True)
