"""The MRI FFT convention pinned against fastMRI's definition (ifftshift → fft2 ortho → fftshift) in numpy."""

import numpy as np
import pytest
import torch

from monarch_sci.mri import centered_fft2, images_to_kspace, kspace_to_images, monarch_fft2


def fastmri_fft2c(x: np.ndarray) -> np.ndarray:
    """fastMRI's fft2c, written with numpy."""
    return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))


def fastmri_ifft2c(y: np.ndarray) -> np.ndarray:
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(y, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))


@pytest.mark.parametrize("shape", [(3, 16, 16), (2, 4, 20, 15), (1, 64, 36), (2, 7, 9)])
def test_centered_fft_matches_fastmri(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    xt = torch.from_numpy(x)
    F = centered_fft2(shape[-2:])
    assert np.abs(F(xt).numpy() - fastmri_fft2c(x)).max() <= 1e-6 * np.abs(x).max()
    assert np.abs(F.H(xt).numpy() - fastmri_ifft2c(x)).max() <= 1e-6 * np.abs(x).max()
    assert np.abs(images_to_kspace(xt).numpy() - fastmri_fft2c(x)).max() <= 1e-6 * np.abs(x).max()
    assert np.abs(kspace_to_images(xt).numpy() - fastmri_ifft2c(x)).max() <= 1e-6 * np.abs(x).max()


def test_complex64_within_1e6():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((4, 64, 48)) + 1j * rng.standard_normal((4, 64, 48))).astype(np.complex64)
    y = centered_fft2((64, 48))(torch.from_numpy(x)).numpy()
    ref = fastmri_fft2c(x.astype(np.complex128))
    assert np.abs(y - ref).max() / np.abs(ref).max() <= 1e-6


@pytest.mark.parametrize("dtype,tol", [(torch.complex128, 1e-10), (torch.complex64, 1e-5)])
def test_monarch_fft_equals_centered_fft_at_init(dtype, tol):
    shape = (3, 16, 12)
    x = torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(0))
    F, M = centered_fft2(shape), monarch_fft2(shape, dtype=dtype)
    ref = F(x)
    assert ((M(x) - ref).abs().max() / ref.abs().max()).item() <= tol
    assert ((M.H(ref) - x).abs().max() / x.abs().max()).item() <= tol
