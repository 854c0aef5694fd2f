"""Resolution transfer for Monarch-NO: evaluate a model trained on an n-grid on an N-grid.

A learned Monarch DFT is tied to its size n. Rebuild each spectral layer's transforms at size N from
the learned ones with two fixed, exact resampling maps (per spatial dim, applied dim by dim):

    U_{n→N}: trigonometric interpolation (the Nyquist mode of an even n split evenly over ±n/2);
    S_{N→n}: sampling at the n points of the band-limited projection |f| ≤ n/2 (the ±n/2 modes folded
             into the n-grid's Nyquist), the left inverse of U: S ∘ U = I.

    forward (kept modes):  F̃_N(x) = (N/n) · F̃_n(S x)        inverse:  F̃⁻¹_N(v) = (n/N) · U F̃⁻¹_n(v)

(backward norm; the factors are the DFT's own scaling with n and cancel in a layer). So the rebuilt
layer is K_N = U ∘ K_n ∘ S, and it is *consistent across discretizations*: K_N(U x) = U K_n(x) —
refining the grid of a band-limited input returns the refined output (tested). For a learned row
without Nyquist content, (N/n)·row·S is exactly the row's trigonometric interpolant sampled on the
N-grid, i.e. "learned transform = exact DFT + learned correction, both evaluated as band-limited
functions on the new grid". For the exact DFT (kept modes below n/2) the rebuilt transforms are
the DFT on the N-grid: at init the transferred Monarch-NO *is* FNO at the new resolution (tested).
Pointwise layers and grid channels run at the new resolution, as in FNO. Requires the kept modes
to stay strictly below n/2 (true for FNO's settings). Padded dims are resampled as the padded grid.

>>> from monarch_sci.pde.models import build_model
>>> model = build_model("monarch-no2d-time", grid=(32, 32), modes=4, width=8)   # trained on 32²
>>> fine = at_resolution(model)           # a copy; Monarch layers wrapped, FFT layers untouched
>>> fine(torch.randn(1, 10, 64, 64), steps=2).shape
torch.Size([1, 2, 64, 64])
"""

from __future__ import annotations

import copy
from typing import Sequence

import torch
from torch import nn

from ...errors import MonarchError
from ...nn.spectral import MonarchSpectralConv


def _resample_dim(x: torch.Tensor, n_out: int, dim: int) -> torch.Tensor:
    n_in = x.shape[dim]
    if n_out == n_in:
        return x
    X = torch.fft.fft(x, dim=dim)
    m = min(n_in, n_out)
    h = (m - 1) // 2  # |f| <= h kept as is
    size = list(X.shape)
    size[dim] = n_out
    Y = X.new_zeros(size)
    Y.narrow(dim, 0, h + 1).copy_(X.narrow(dim, 0, h + 1))
    if h:
        Y.narrow(dim, n_out - h, h).copy_(X.narrow(dim, n_in - h, h))
    if m % 2 == 0:  # the ±m/2 band
        half = m // 2
        if n_out < n_in:  # fold +m/2 and −m/2 into the output's Nyquist bin
            Y.narrow(dim, half, 1).copy_(X.narrow(dim, half, 1) + X.narrow(dim, n_in - half, 1))
        else:  # split the input's Nyquist bin evenly
            Y.narrow(dim, half, 1).copy_(X.narrow(dim, half, 1) / 2)
            Y.narrow(dim, n_out - half, 1).copy_(X.narrow(dim, half, 1) / 2)
    return torch.fft.ifft(Y, dim=dim) * (n_out / n_in)


def spectral_resample(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Periodic band-limited resampling of the last len(size) dims of x (real or complex) to ``size``.

    Upsampling is trigonometric interpolation U (the values at the old points are kept); downsampling
    is S, sampling the band-limited projection |f| ≤ n/2 (±n/2 folded into the Nyquist mode), the
    left inverse of U: ``spectral_resample(spectral_resample(x, N), n)`` returns x.
    """
    size = tuple(size)
    if len(size) > x.ndim - 1:
        raise MonarchError(f"cannot resample {len(size)} dims of a tensor of shape {tuple(x.shape)}")
    out = x
    for i, n in enumerate(size):
        if n < 1:
            raise MonarchError(f"resample sizes must be positive, got {size}")
        out = _resample_dim(out, n, i - len(size))
    return out.real if not x.is_complex() and out.is_complex() else out


class Resampled(nn.Module):
    """A fixed-grid spectral layer on any grid: x (b, c, *G) → U(layer(S(x))) (b, c', *G).

    ``layer.grid`` is the grid it was built for; see the module docstring for S and U.
    """

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer
        grid, modes, negative = tuple(layer.grid), layer.positive, layer.negative
        for i, (n, pos, neg) in enumerate(zip(grid, modes, negative)):
            top = pos - 1 if i == len(grid) - 1 else max(pos - 1, neg)
            if 2 * top >= n:
                raise MonarchError(
                    f"resolution transfer needs kept modes below n/2; dim {i} of grid {grid} keeps frequency {top}"
                )

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        grid, built = tuple(x.shape[2:]), tuple(self.layer.grid)
        if grid == built:
            return self.layer(x, *args, **kwargs)
        y = self.layer(spectral_resample(x, built), *args, **kwargs)
        return spectral_resample(y, grid)


def at_resolution(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` whose Monarch spectral layers accept any grid (``Resampled``).

    FFT layers (``SpectralConv``) and everything pointwise are resolution-free already; the copy's
    outputs on the training grid equal the original's. Its parameters are the trained ones (copied).
    """
    model = copy.deepcopy(model)
    targets = [(name, m) for name, m in model.named_modules() if isinstance(m, MonarchSpectralConv)]
    for name, layer in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        if not parent_name and not child:
            return Resampled(layer)
        setattr(parent, child, Resampled(layer))
    return model
