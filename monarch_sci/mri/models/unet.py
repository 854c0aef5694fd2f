"""The fastMRI U-Net (Ronneberger et al. 2015, as in fastMRI's baseline) and its normalized complex wrapper.

``UNet(in_chans, out_chans, chans, pools)``: ``pools`` down levels, each two 3×3 conv →
InstanceNorm → LeakyReLU(0.2) blocks then 2×2 average pooling, channels doubling from ``chans``;
a bottleneck block; ``pools`` up levels of 2×2 transposed conv (→ InstanceNorm → LeakyReLU),
concatenation with the skip, two conv blocks; a final 1×1 conv. chans 32, pools 4 (fastMRI's
baseline) has 7,756,097 parameters, fastMRI's count. Inputs of any size: padded up to a multiple
of 2^pools (reflect) and cropped back.

``NormUNet``: a U-Net on a complex image (B, H, W) as 2 real channels (re, im), each normalized by
its per-sample mean and standard deviation before the network (as in fastMRI's VarNet); its output
is a correction in the input's scale, σ · UNet((x − μ) / σ), so x ↦ NormUNet(x) is equivariant to a
positive rescaling of x. zero_init: the last 1×1 conv starts at zero, so the correction starts at 0
(a cascade x − η DC − R(x) starts as plain data consistency).

>>> net = UNet(1, 1, chans=4, pools=2)
>>> net(torch.randn(2, 1, 30, 18)).shape
torch.Size([2, 1, 30, 18])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import MonarchError


def _block(cin: int, cout: int) -> nn.Sequential:
    """Two 3×3 conv → InstanceNorm → LeakyReLU(0.2) layers (no bias: the norm removes it)."""
    layers = []
    for a, b in ((cin, cout), (cout, cout)):
        layers += [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.InstanceNorm2d(b), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers)


def _up(cin: int, cout: int) -> nn.Sequential:
    """2×2 transposed conv (stride 2) → InstanceNorm → LeakyReLU(0.2): doubles H and W."""
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 2, stride=2, bias=False), nn.InstanceNorm2d(cout), nn.LeakyReLU(0.2))


class UNet(nn.Module):
    """x (B, in_chans, H, W) real → (B, out_chans, H, W); see the module docstring."""

    def __init__(self, in_chans: int = 1, out_chans: int = 1, chans: int = 32, pools: int = 4):
        super().__init__()
        for name, value in (("in_chans", in_chans), ("out_chans", out_chans), ("chans", chans)):
            if not isinstance(value, int) or value < 1:
                raise MonarchError(f"UNet {name} must be a positive int, got {value!r}")
        if not isinstance(pools, int) or pools < 1:
            raise MonarchError(f"UNet pools must be an int ≥ 1, got {pools!r}")
        self.in_chans, self.out_chans, self.chans, self.pools = in_chans, out_chans, chans, pools
        widths = [chans * 2**i for i in range(pools + 1)]
        self.down = nn.ModuleList([_block(in_chans, chans)] + [_block(widths[i], widths[i + 1]) for i in range(pools - 1)])
        self.bottom = _block(widths[pools - 1], widths[pools])
        self.up = nn.ModuleList(_up(widths[i + 1], widths[i]) for i in reversed(range(pools)))
        self.merge = nn.ModuleList(_block(2 * widths[i], widths[i]) for i in reversed(range(pools)))
        self.out = nn.Conv2d(chans, out_chans, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_chans:
            raise MonarchError(f"UNet expects (batch, {self.in_chans}, H, W), got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        m = 2**self.pools
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            mode = "reflect" if min(h, w) > max(ph, pw) else "replicate"
            x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode=mode)
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.avg_pool2d(x, 2)
        x = self.bottom(x)
        for up, merge in zip(self.up, self.merge):
            x = merge(torch.cat([up(x), skips.pop()], dim=1))
        x = self.out(x)
        return x[..., ph // 2 : ph // 2 + h, pw // 2 : pw // 2 + w]


class NormUNet(nn.Module):
    """A U-Net on complex images (B, H, W) → (B, H, W): (re, im) channels, per-sample normalized."""

    def __init__(self, chans: int = 18, pools: int = 4, zero_init: bool = False):
        super().__init__()
        self.unet = UNet(2, 2, chans, pools)
        if zero_init:
            nn.init.zeros_(self.unet.out.weight)
            nn.init.zeros_(self.unet.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or not x.is_complex():
            raise MonarchError(f"NormUNet expects complex images (batch, H, W), got {x.dtype} {tuple(x.shape)}")
        z = torch.view_as_real(x).permute(0, 3, 1, 2)  # (B, 2, H, W)
        mean = z.mean(dim=(-2, -1), keepdim=True)
        std = z.std(dim=(-2, -1), keepdim=True).clamp_min(torch.finfo(z.dtype).tiny ** 0.5)
        out = self.unet(((z - mean) / std).to(self.unet.out.weight.dtype)).to(z.dtype) * std
        return torch.view_as_complex(out.permute(0, 2, 3, 1).contiguous())


__all__ = ["NormUNet", "UNet"]
