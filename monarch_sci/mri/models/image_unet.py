"""The image-domain U-Net baseline (fastMRI's): zero-filled RSS in, magnitude image out.

    x_zf = RSS(ifft2c(y)),   x̂ = σ · UNet((x_zf − μ) / σ) + μ

μ, σ: the per-sample mean and standard deviation of x_zf (fastMRI's instance normalization of the
U-Net input; its target is normalized the same way, which is what un-normalizing the output does
here), so the model is equivariant to a rescaling of the k-space. No coil maps are used.

>>> model = ImageUNet(chans=4, pools=2)
>>> model(torch.randn(2, 4, 32, 24, dtype=torch.complex64), torch.ones(2, 1, 1, 24), None).shape
torch.Size([2, 32, 24])
"""

from __future__ import annotations

import torch
from torch import nn

from ...errors import MonarchError
from ..combine import rss_from_kspace
from .unet import UNet


class ImageUNet(nn.Module):
    """(kspace, mask, maps) → real images (B, H, W); ``maps`` and ``mask`` are not used (the k-space is masked)."""

    def __init__(self, chans: int = 32, pools: int = 4):
        super().__init__()
        self.unet = UNet(1, 1, chans, pools)

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor | None = None, maps: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(kspace, torch.Tensor) or kspace.ndim != 4 or not kspace.is_complex():
            raise MonarchError(f"the U-Net baseline expects complex k-space (batch, coils, H, W), got {tuple(getattr(kspace, 'shape', ()))}")
        weight = self.unet.out.weight
        with torch.autocast(kspace.device.type, enabled=False):
            image = rss_from_kspace(kspace).to(weight.dtype).unsqueeze(1)  # (B, 1, H, W)
        mean = image.mean(dim=(-2, -1), keepdim=True)
        std = image.std(dim=(-2, -1), keepdim=True).clamp_min(torch.finfo(image.dtype).tiny ** 0.5)
        out = self.unet((image - mean) / std).to(image.dtype) * std + mean
        return out.squeeze(1)


__all__ = ["ImageUNet"]
