"""Classical reconstructions of undersampled multi-coil k-space (S, C, H, W), behind a registry.

- zero-filled: RSS of the inverse centered FFT of the masked k-space (fastMRI's baseline);
- sense: x = argmin ‖M F S x − y‖² + λ ‖x‖², by conjugate gradient on (Aᴴ A + λ I) x = Aᴴ y,
  batched over slices on ``ms.linops`` (any device; F pluggable);
- l1-wavelet: argmin ½‖M F S x − y‖² + λ ‖Ψ x‖₁ with sigpy's ``L1WaveletRecon`` (Daubechies-4),
  run on k-space scaled so that the zero-filled SENSE image has max 1 (λ is then relative).

All return images (S, H, W) (complex for sense and l1-wavelet); the caller crops and takes |·|.
mask: broadcasting against (S, C, H, W), e.g. (S, 1, 1, W); maps: (S, C, H, W) or (C, H, W).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..errors import MonarchError
from ..linops import Identity
from ._lazy import require
from .cg import conjugate_gradient
from .combine import kspace_to_images, rss
from .operators import sense_operator


def _check(kspace: torch.Tensor, maps: torch.Tensor | None) -> torch.Tensor | None:
    if not isinstance(kspace, torch.Tensor) or not kspace.is_complex() or kspace.ndim != 4:
        raise MonarchError(
            f"reconstruction needs complex k-space (slices, coils, H, W), got "
            f"{getattr(kspace, 'dtype', type(kspace))} {tuple(getattr(kspace, 'shape', ()))}"
        )
    if maps is None:
        return None
    if maps.ndim == 3:
        maps = maps.unsqueeze(0).expand(kspace.shape[0], *maps.shape)
    if tuple(maps.shape) != tuple(kspace.shape):
        raise MonarchError(f"coil maps {tuple(maps.shape)} do not match k-space {tuple(kspace.shape)} (slices, coils, H, W)")
    return maps.to(kspace.dtype).to(kspace.device)


def _mask4(mask: torch.Tensor, kspace: torch.Tensor) -> torch.Tensor:
    """The mask as a 4-D tensor broadcasting against k-space (S, C, H, W)."""
    if not isinstance(mask, torch.Tensor) or mask.ndim > 4:
        raise MonarchError(f"the mask must be a tensor broadcasting to k-space (S, C, H, W), got {getattr(mask, 'shape', mask)}")
    mask = mask.reshape((1,) * (4 - mask.ndim) + tuple(mask.shape)).to(kspace.device)
    try:
        torch.broadcast_shapes(tuple(mask.shape), tuple(kspace.shape))
    except RuntimeError:
        raise MonarchError(f"mask {tuple(mask.shape)} does not broadcast to k-space {tuple(kspace.shape)}") from None
    return mask


def zero_filled(kspace: torch.Tensor, mask: torch.Tensor | None = None, maps: torch.Tensor | None = None) -> torch.Tensor:
    """RSS of ifft2c(masked k-space): (S, H, W) real. ``mask`` and ``maps`` are not needed."""
    _check(kspace, None)
    if mask is not None:
        kspace = kspace * _mask4(mask, kspace)
    return rss(kspace_to_images(kspace), dim=1)


def sense(
    kspace: torch.Tensor,
    mask: torch.Tensor,
    maps: torch.Tensor,
    lamda: float = 1e-2,
    max_iter: int = 50,
    tol: float = 1e-6,
    fourier="fft",
) -> torch.Tensor:
    """ℓ2-regularized SENSE by CG: (S, H, W) complex. λ is relative to ‖Aᴴ A‖ ≤ 1 (normalized maps)."""
    maps = _check(kspace, maps)
    A = sense_operator(maps, _mask4(mask, kspace), fourier)
    system = A.normal() + lamda * Identity(A.ishape)
    with torch.no_grad():
        x, _ = conjugate_gradient(system, A.H(kspace), max_iter=max_iter, tol=tol)
    return x


def l1_wavelet(
    kspace: torch.Tensor,
    mask: torch.Tensor,
    maps: torch.Tensor,
    lamda: float = 1e-3,
    max_iter: int = 100,
    wave_name: str = "db4",
) -> torch.Tensor:
    """sigpy L1WaveletRecon per slice (CPU): (S, H, W) complex, in the input's scale."""
    sigpy_app = require("sigpy.mri.app", "the L1-wavelet reconstruction")
    maps = _check(kspace, maps)
    mask = _mask4(mask, kspace)
    scale_img = sense_operator(maps, mask).H(kspace * mask)
    scales = scale_img.abs().flatten(1).amax(1).clamp_min(torch.finfo(torch.float32).tiny)
    out = []
    for s in range(kspace.shape[0]):
        y = (kspace[s] * mask[min(s, mask.shape[0] - 1)] / scales[s]).cpu().numpy().astype(np.complex64)
        weights = np.broadcast_to(mask[min(s, mask.shape[0] - 1)].cpu().numpy().astype(np.float32), y.shape)
        app = sigpy_app.L1WaveletRecon(
            y, maps[s].cpu().numpy(), lamda, weights=np.ascontiguousarray(weights), wave_name=wave_name,
            max_iter=max_iter, show_pbar=False,
        )
        out.append(torch.from_numpy(np.asarray(app.run())).to(kspace.dtype) * scales[s].cpu())
    return torch.stack(out).to(kspace.device)


RECONSTRUCTIONS: dict[str, Callable[..., torch.Tensor]] = {"zero-filled": zero_filled, "sense": sense, "l1-wavelet": l1_wavelet}
NEEDS_MAPS = {"zero-filled": False, "sense": True, "l1-wavelet": True}


def reconstruct(method: str, kspace: torch.Tensor, mask: torch.Tensor, maps: torch.Tensor | None = None, **options) -> torch.Tensor:
    """Run the reconstruction registered as ``method``; returns images (S, H, W)."""
    if method not in RECONSTRUCTIONS:
        raise MonarchError(f"unknown reconstruction method {method!r}; valid methods: {', '.join(RECONSTRUCTIONS)}")
    if NEEDS_MAPS[method] and maps is None:
        raise MonarchError(f"the {method} reconstruction needs coil sensitivity maps")
    return RECONSTRUCTIONS[method](kspace, mask, maps, **options) if NEEDS_MAPS[method] else zero_filled(kspace, mask)


__all__ = ["NEEDS_MAPS", "RECONSTRUCTIONS", "l1_wavelet", "reconstruct", "sense", "zero_filled"]
