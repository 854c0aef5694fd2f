"""From a solver grid to an output grid: periodic fields (points j/n) and node grids (points j/(n−1)).

FNO's released data were made by plain subsampling of the solver grid (256² → 64² takes every 4th point;
Darcy 421 → 85/141/211 every 5th/3rd/2nd node), so "subsample" is the default everywhere; "spectral"
(Fourier truncation to |k| < s/2, the band-limited interpolant) is offered for periodic fields.
"""

from __future__ import annotations

import torch

from ..errors import MonarchError

METHODS = ("subsample", "spectral")


def downsample_periodic(w: torch.Tensor, s: int, method: str = "subsample", ndim: int = 2) -> torch.Tensor:
    """Periodic field (..., n[, n]) on the last ``ndim`` dims → (..., s[, s]) on points j / s.

    subsample: w[..., ::n/s] (n must be a multiple of s). spectral: keep the Fourier modes |k_i| < s/2
    (the Nyquist mode of the s grid is dropped) and evaluate on the s grid; exact for fields band-limited
    below s/2.
    """
    n = w.shape[-1]
    if s == n:
        return w
    if method not in METHODS:
        raise MonarchError(f"unknown downsample method {method!r}; valid: {', '.join(METHODS)}")
    if s > n:
        raise MonarchError(f"output grid {s} is finer than the solver grid {n}; choose output_grid <= {n}")
    if method == "subsample":
        if n % s:
            raise MonarchError(f"subsampling needs the solver grid ({n}) to be a multiple of the output grid ({s})")
        r = n // s
        index = (Ellipsis,) + (slice(None, None, r),) * ndim
        return w[index]
    if ndim not in (1, 2):
        raise MonarchError(f"spectral downsampling supports 1-D and 2-D fields, got ndim={ndim}")
    dims = tuple(range(-ndim, 0))
    spec = torch.fft.rfftn(w, dim=dims)
    keep = (s - 1) // 2  # highest kept |k|: the s grid's Nyquist mode is dropped
    out = spec.new_zeros(*spec.shape[: spec.ndim - ndim], *((s,) if ndim == 2 else ()), s // 2 + 1)
    if ndim == 1:
        out[..., : keep + 1] = spec[..., : keep + 1]
    else:
        out[..., : keep + 1, : keep + 1] = spec[..., : keep + 1, : keep + 1]
        if keep:
            out[..., s - keep :, : keep + 1] = spec[..., n - keep :, : keep + 1]
    return torch.fft.irfftn(out, s=(s,) * ndim, dim=dims) * (s / n) ** ndim


def subsample_nodes(u: torch.Tensor, s: int, ndim: int = 2) -> torch.Tensor:
    """Node-grid field (..., n[, n]) with points j/(n−1) → every r-th node, r = (n−1)/(s−1)."""
    n = u.shape[-1]
    if s == n:
        return u
    if s > n or (n - 1) % (s - 1):
        raise MonarchError(f"node grid {n} cannot be subsampled to {s}: (n-1) must be a multiple of (s-1)")
    r = (n - 1) // (s - 1)
    return u[(Ellipsis,) + (slice(None, None, r),) * ndim]
