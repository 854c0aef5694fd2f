import numpy as np
import pytest
import torch

import monarch_sci as ms
from monarch_sci import MonarchError

from ..conftest import rel_err

SIZES = [4, 16, 64, 96, 320, 368, 640, 1000, 4096]


def numpy_dft_matrix(n):
    idx = np.arange(n)
    return np.exp(-2j * np.pi * (np.outer(idx, idx) % n) / n)


@pytest.mark.parametrize("n", SIZES)
def test_dense_form_matches_numpy_complex128(n):
    T = ms.transforms.dft(n, dtype=torch.complex128)
    assert np.abs(T.to_dense().numpy() - numpy_dft_matrix(n)).max() <= 1e-12
    assert T.structure.cls == "(MM*)^2" and T.structure.factors == ("M",)


@pytest.mark.parametrize("n", SIZES)
def test_complex64_relative_error(n, gen):
    x = torch.randn(4, n, dtype=torch.complex64, generator=gen)
    y = ms.transforms.dft(n, dtype=torch.complex64)(x)
    ref = np.fft.fft(x.numpy().astype(np.complex128))
    assert np.abs(y.numpy() - ref).max() / np.abs(ref).max() <= 1e-5


def reference(x, norm, inverse, centered, axes=(-1,)):
    f = np.fft.ifftn if inverse else np.fft.fftn
    if centered:
        return np.fft.fftshift(f(np.fft.ifftshift(x, axes=axes), axes=axes, norm=norm), axes=axes)
    return f(x, axes=axes, norm=norm)


@pytest.mark.parametrize("n", [1, 2, 7, 12, 15, 64, 96, 97])
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("centered", [False, True])
def test_numpy_conventions(n, norm, inverse, centered, gen):
    x = torch.randn(3, n, dtype=torch.complex128, generator=gen)
    T = ms.transforms.dft(n, norm=norm, inverse=inverse, centered=centered, dtype=torch.complex128)
    assert rel_err(T(x), torch.from_numpy(reference(x.numpy(), norm, inverse, centered))) < 1e-13


def test_separable_2d_matches_fft2_and_mri_convention(gen):
    x = torch.randn(2, 3, 16, 16, dtype=torch.complex128, generator=gen)
    T = ms.transforms.dft(16, norm="ortho", centered=True, dtype=torch.complex128)
    expected = reference(x.numpy(), "ortho", False, True, axes=(-2, -1))
    assert rel_err(T(x, dim=(-2, -1)), torch.from_numpy(expected)) < 1e-13
    assert rel_err(T.H(T(x, dim=-2), dim=-2), x) < 1e-13  # ortho: inverse = adjoint


def test_real_input_and_any_dim(gen):
    x = torch.randn(12, 5, generator=gen)
    y = ms.transforms.dft(12)(x, dim=0)
    assert y.dtype == torch.complex64
    assert rel_err(y, torch.fft.fft(x, dim=0)) < 1e-6


def test_prime_sizes_fall_back_to_dense():
    s = ms.transforms.dft(97).structure
    assert s.dense and s.cls == "dense" and "dense" in s.fixed


def test_bad_arguments():
    with pytest.raises(MonarchError, match="norm must be one of"):
        ms.transforms.dft(8, norm="unitary")
    with pytest.raises(MonarchError, match="positive integer size, got 0"):
        ms.transforms.dft(0)
    with pytest.raises(MonarchError, match="dtype torch.complex64 but the input has dtype torch.complex128"):
        ms.transforms.dft(8)(torch.zeros(8, dtype=torch.complex128))
