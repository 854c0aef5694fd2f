"""Metrics pinned against fastMRI's evaluate definitions (skimage with fastMRI's settings)."""

import numpy as np
import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.mri.metrics import mse, nmse, psnr, ssim, ssim_gaussian, volume_metrics

skm = pytest.importorskip("skimage.metrics")


def _volume(seed=0, shape=(3, 40, 52), dtype=np.float64):
    rng = np.random.default_rng(seed)
    gt = np.abs(rng.standard_normal(shape)).cumsum(-1)
    gt = gt / gt.max()
    pred = np.abs(gt + 0.05 * rng.standard_normal(shape))
    return gt.astype(dtype), pred.astype(dtype)


def test_identical_images():
    gt, _ = _volume()
    assert nmse(gt, gt) == 0.0
    assert ssim(gt, gt) == pytest.approx(1.0, abs=1e-12)
    assert ssim_gaussian(gt, gt) == pytest.approx(1.0, abs=1e-12)
    assert psnr(gt, gt) == float("inf")
    assert mse(gt, gt) == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ssim_equals_skimage_with_fastmri_settings(dtype):
    gt, pred = _volume(dtype=dtype)
    maxval = gt.max()  # fastMRI: data_range = the target volume's max
    ref = np.mean([skm.structural_similarity(g, p, data_range=maxval) for g, p in zip(gt, pred)])
    ours = ssim(gt, pred)
    assert abs(ours - ref) <= 1e-6 and 0.2 < ours < 0.99
    # torch inputs give the same number
    assert ssim(torch.from_numpy(gt), torch.from_numpy(pred)) == pytest.approx(ours, abs=1e-12)


def test_gaussian_ssim_equals_skimage_gaussian_and_differs_from_fastmri():
    gt, pred = _volume(seed=1)
    ref = np.mean(
        [
            skm.structural_similarity(g, p, data_range=gt.max(), gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
            for g, p in zip(gt, pred)
        ]
    )
    assert abs(ssim_gaussian(gt, pred) - ref) <= 1e-6
    assert abs(ssim_gaussian(gt, pred) - ssim(gt, pred)) > 1e-3


def test_psnr_and_nmse_definitions():
    gt, pred = _volume(seed=2)
    assert abs(psnr(gt, pred) - skm.peak_signal_noise_ratio(gt, pred, data_range=gt.max())) <= 1e-9
    assert nmse(gt, pred) == pytest.approx(np.linalg.norm(gt - pred) ** 2 / np.linalg.norm(gt) ** 2, rel=1e-12)
    # PSNR uses the volume max, not per-slice maxima
    per_slice = np.mean([skm.peak_signal_noise_ratio(g, p, data_range=g.max()) for g, p in zip(gt, pred)])
    assert abs(psnr(gt, pred) - per_slice) > 1e-3


def test_volume_metrics_and_errors():
    gt, pred = _volume()
    values = volume_metrics(gt, pred)
    assert set(values) == {"MSE", "NMSE", "PSNR", "SSIM", "SSIM_gaussian"}
    assert ssim(gt[0], pred[0]) == pytest.approx(ssim(gt[:1], pred[:1]))  # a 2-D image is one slice
    with pytest.raises(MonarchError, match="different shapes"):
        ssim(gt, pred[:, :-1])
    with pytest.raises(MonarchError, match="real magnitude"):
        nmse(gt.astype(complex), pred)
    with pytest.raises(MonarchError, match="valid names"):
        volume_metrics(gt, pred, names=("LPIPS",))
    with pytest.raises(MonarchError, match="all-zero"):
        nmse(np.zeros((1, 8, 8)), pred[:1, :8, :8])
