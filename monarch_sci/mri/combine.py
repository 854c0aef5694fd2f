"""Coil combination: root-sum-of-squares and the sensitivity-weighted sum Σ_c conj(S_c) · img_c.

Coils sit at ``dim`` (default −3 of (..., C, H, W)). RSS is what fastMRI stores as
'reconstruction_rss' (of the fully sampled, inverse-FFT'd coil images, then center-cropped).
"""

from __future__ import annotations

import torch

from ..errors import MonarchError
from ..linops import FFT


def rss(coil_images: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """√(Σ_c |x_c|²) over ``dim``: real, one dim fewer."""
    return torch.sqrt((coil_images.abs() ** 2).sum(dim))


def coil_combine(coil_images: torch.Tensor, maps: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """Σ_c conj(S_c) · x_c over ``dim`` (the adjoint of the coil expansion x ↦ S_c x)."""
    if coil_images.shape[dim] != maps.shape[dim]:
        raise MonarchError(
            f"coil_combine: {coil_images.shape[dim]} coil images (shape {tuple(coil_images.shape)}) but "
            f"{maps.shape[dim]} sensitivity maps (shape {tuple(maps.shape)})"
        )
    return (maps.conj() * coil_images).sum(dim)


def kspace_to_images(kspace: torch.Tensor) -> torch.Tensor:
    """Coil images from k-space (..., H, W): fastMRI's ifft2c (ifftshift → ifft2 ortho → fftshift)."""
    if not kspace.is_complex():
        raise MonarchError(f"k-space must be complex, got {kspace.dtype} of shape {tuple(kspace.shape)}")
    return FFT(tuple(kspace.shape[-2:]), (-2, -1), centered=True).H(kspace)


def images_to_kspace(images: torch.Tensor) -> torch.Tensor:
    """k-space of images (..., H, W): fastMRI's fft2c (ifftshift → fft2 ortho → fftshift)."""
    return FFT(tuple(images.shape[-2:]), (-2, -1), centered=True)(images.to(torch.promote_types(images.dtype, torch.complex64)))


def rss_from_kspace(kspace: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """RSS of the inverse centered FFT of multi-coil k-space (..., C, H, W)."""
    return rss(kspace_to_images(kspace), dim)


__all__ = ["coil_combine", "images_to_kspace", "kspace_to_images", "rss", "rss_from_kspace"]
