"""Image-quality metrics exactly as fastMRI's ``evaluate.py``, on magnitude volumes (slices, h, w).

- NMSE = ‖gt − pred‖² / ‖gt‖² over the whole volume;
- PSNR = 10 log10(max(gt)² / MSE), max over the volume (skimage ``peak_signal_noise_ratio`` with
  data_range = gt.max());
- SSIM = mean over slices of skimage ``structural_similarity(gt[s], pred[s], data_range=gt.max())``
  with its defaults: uniform 7×7 window, K1 = 0.01, K2 = 0.03, sample covariance (× 49/48), mean
  of the SSIM map without the 3-pixel border;
- SSIM_gaussian: the Wang et al. 2004 variant (Gaussian window σ = 1.5 truncated at 3.5σ, i.e.
  11×11, population covariance, 5-pixel border) — different numbers, labeled as such.

Computed in float64 with scipy.ndimage filters (skimage uses the same ones); inputs may be numpy
arrays or torch tensors. A 2-D input counts as one slice.
"""

from __future__ import annotations

import numpy as np

from ..errors import MonarchError


def _as_volume(x, what: str) -> np.ndarray:
    try:
        import torch

        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise MonarchError(f"{what} must be a real magnitude image, got {x.dtype}; take abs() first")
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise MonarchError(f"{what} must be a volume (slices, h, w) or an image (h, w), got shape {x.shape}")
    return x.astype(np.float64)


def _pair(gt, pred) -> tuple[np.ndarray, np.ndarray]:
    gt, pred = _as_volume(gt, "ground truth"), _as_volume(pred, "prediction")
    if gt.shape != pred.shape:
        raise MonarchError(f"ground truth {gt.shape} and prediction {pred.shape} have different shapes; center-crop them first")
    return gt, pred


def mse(gt, pred) -> float:
    """Mean squared error over the volume."""
    gt, pred = _pair(gt, pred)
    return float(np.mean((gt - pred) ** 2))


def nmse(gt, pred) -> float:
    """‖gt − pred‖² / ‖gt‖² over the volume."""
    gt, pred = _pair(gt, pred)
    denom = np.linalg.norm(gt) ** 2
    if denom == 0:
        raise MonarchError("NMSE is undefined for an all-zero ground truth")
    return float(np.linalg.norm(gt - pred) ** 2 / denom)


def psnr(gt, pred, maxval: float | None = None) -> float:
    """10 log10(maxval² / MSE), maxval = gt.max() of the volume by default (inf if equal)."""
    gt, pred = _pair(gt, pred)
    maxval = float(gt.max()) if maxval is None else float(maxval)
    err = np.mean((gt - pred) ** 2)
    return float("inf") if err == 0 else float(10 * np.log10(maxval**2 / err))


def _ssim_slice(x: np.ndarray, y: np.ndarray, data_range: float, gaussian: bool, k1: float, k2: float) -> float:
    from scipy import ndimage

    if gaussian:
        sigma, truncate = 1.5, 3.5
        win = 2 * int(truncate * sigma + 0.5) + 1

        def filt(a):
            return ndimage.gaussian_filter(a, sigma=sigma, truncate=truncate, mode="reflect")

        cov_norm = 1.0
    else:
        win = 7

        def filt(a):
            return ndimage.uniform_filter(a, size=win)

        cov_norm = win * win / (win * win - 1)
    if min(x.shape) < win:
        raise MonarchError(f"SSIM needs images of at least {win}×{win}, got {x.shape}")
    ux, uy = filt(x), filt(y)
    vx = cov_norm * (filt(x * x) - ux * ux)
    vy = cov_norm * (filt(y * y) - uy * uy)
    vxy = cov_norm * (filt(x * y) - ux * uy)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    pad = (win - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean())


def ssim(gt, pred, maxval: float | None = None, k1: float = 0.01, k2: float = 0.03) -> float:
    """fastMRI's SSIM: mean over slices, uniform 7×7 window, data_range = gt.max() of the volume."""
    gt, pred = _pair(gt, pred)
    maxval = float(gt.max()) if maxval is None else float(maxval)
    return float(np.mean([_ssim_slice(g, p, maxval, False, k1, k2) for g, p in zip(gt, pred)]))


def ssim_gaussian(gt, pred, maxval: float | None = None, k1: float = 0.01, k2: float = 0.03) -> float:
    """Gaussian-window SSIM (σ 1.5, 11×11, population covariance): NOT fastMRI's number."""
    gt, pred = _pair(gt, pred)
    maxval = float(gt.max()) if maxval is None else float(maxval)
    return float(np.mean([_ssim_slice(g, p, maxval, True, k1, k2) for g, p in zip(gt, pred)]))


METRICS = {"MSE": mse, "NMSE": nmse, "PSNR": psnr, "SSIM": ssim, "SSIM_gaussian": ssim_gaussian}


def volume_metrics(gt, pred, names=tuple(METRICS)) -> dict[str, float]:
    """The named metrics of one volume (default all: MSE, NMSE, PSNR, SSIM, SSIM_gaussian)."""
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise MonarchError(f"unknown metrics {unknown}; valid names: {', '.join(METRICS)}")
    return {n: METRICS[n](gt, pred) for n in names}


__all__ = ["METRICS", "mse", "nmse", "psnr", "ssim", "ssim_gaussian", "volume_metrics"]
