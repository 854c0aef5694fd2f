"""What learned reconstructions minimize and report: image losses on magnitudes, fastMRI's SSIM in torch.

The prediction is |model(kspace, mask, maps)| center-cropped to the target (h, w) (fastMRI's crop).
Per-slice losses, with m the volume's max (fastMRI's data range):

    l1       mean |p − t| / m
    ssim     1 − SSIM(p, t; data_range m)
    ssim-l1  (1 − SSIM) + α · mean |p − t| / m      (α = 1 by default)

SSIM is fastMRI's: uniform 7 × 7 window, K1 = 0.01, K2 = 0.03, sample covariance (× 49/48), the mean
of the SSIM map over the valid region, which equals ``mri.ssim`` (its 3-pixel border crop) exactly.
Metrics per slice: psnr (with data range m), ssim, nmse; the volume metrics of ``mri eval`` are the
ones reported in results (PSNR over a volume is not the mean of slice PSNRs).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import MonarchError
from .crop import center_crop

LOSSES = ("l1", "ssim", "ssim-l1")


def ssim_map(pred: torch.Tensor, target: torch.Tensor, data_range: torch.Tensor, win: int = 7,
             k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """fastMRI's SSIM map on (B, h, w) images over the valid (h − 6, w − 6) region; data_range (B,)."""
    if pred.shape != target.shape or pred.ndim != 3:
        raise MonarchError(f"SSIM needs (batch, h, w) images of equal shape, got {tuple(pred.shape)} and {tuple(target.shape)}")
    if min(pred.shape[-2:]) < win:
        raise MonarchError(f"SSIM needs images of at least {win}×{win}, got {tuple(pred.shape[-2:])}")
    x, y = pred.unsqueeze(1), target.unsqueeze(1)
    kernel = torch.full((1, 1, win, win), 1.0 / win**2, dtype=x.dtype, device=x.device)
    filt = lambda a: F.conv2d(a, kernel)  # noqa: E731 — the uniform window, valid region only
    ux, uy = filt(x), filt(y)
    norm = win * win / (win * win - 1)
    vx, vy, vxy = norm * (filt(x * x) - ux * ux), norm * (filt(y * y) - uy * uy), norm * (filt(x * y) - ux * uy)
    r = data_range.to(x.dtype).reshape(-1, 1, 1, 1)
    c1, c2 = (k1 * r) ** 2, (k2 * r) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    return s.squeeze(1)


class ReconObjective:
    """The trainer's objective for batches of :class:`~monarch_sci.mri.training_data.ReconSample`.

    loss: one of ``LOSSES``; alpha: the L1 weight of "ssim-l1".
    """

    def __init__(self, loss: str = "l1", alpha: float = 1.0):
        if loss not in LOSSES:
            raise MonarchError(f"unknown MRI loss {loss!r}; valid losses: {', '.join(LOSSES)}")
        self.loss, self.alpha = loss, float(alpha)

    def predict(self, model, batch) -> torch.Tensor:
        """|model output| cropped to the target: (B, h, w) float32."""
        out = model(batch.kspace, batch.mask, batch.maps)
        return center_crop(out.abs() if out.is_complex() else out, tuple(batch.target.shape[-2:]), "model output").float()

    def losses(self, model, batch) -> torch.Tensor:
        pred, target, m = self.predict(model, batch), batch.target.float(), batch.max_value.float()
        l1 = (pred - target).abs().flatten(1).mean(1) / m
        if self.loss == "l1":
            return l1
        dissimilarity = 1 - ssim_map(pred, target, m).flatten(1).mean(1)
        return dissimilarity if self.loss == "ssim" else dissimilarity + self.alpha * l1

    def metrics(self, model, batch) -> dict[str, torch.Tensor]:
        pred, target, m = self.predict(model, batch), batch.target.float(), batch.max_value.float()
        mse = (pred - target).square().flatten(1).mean(1)
        return {
            "psnr": 10 * torch.log10(m**2 / mse.clamp_min(torch.finfo(mse.dtype).tiny)),
            "ssim": ssim_map(pred, target, m).flatten(1).mean(1),
            "nmse": mse / target.square().flatten(1).mean(1).clamp_min(torch.finfo(mse.dtype).tiny),
        }


__all__ = ["LOSSES", "ReconObjective", "ssim_map"]
