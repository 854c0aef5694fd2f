import math

import numpy as np
import pytest
import scipy.fft
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.pde.grf import GaussianRandomField, idct_ortho


def fno_gaussian_rf_2d(size, alpha, tau, n, generator):
    """A transcription of FNO's GaussianRF(2, size, alpha, tau).sample(n) (random_fields.py) in today's torch.fft."""
    sigma = tau ** (0.5 * (2 * alpha - 2))
    k_max = size // 2
    wavenumbers = torch.cat((torch.arange(0, k_max), torch.arange(-k_max, 0))).repeat(size, 1).double()
    k_x, k_y = wavenumbers.transpose(0, 1), wavenumbers
    sqrt_eig = (size**2) * math.sqrt(2.0) * sigma * ((4 * math.pi**2 * (k_x**2 + k_y**2) + tau**2) ** (-alpha / 2.0))
    sqrt_eig[0, 0] = 0.0
    coeff = torch.randn(n, size, size, 2, generator=generator, dtype=torch.float64)
    coeff = torch.view_as_complex(coeff) * sqrt_eig
    return torch.fft.ifftn(coeff, dim=(1, 2)).real


def test_fno_convention_reproduces_fnos_sampler_bit_for_bit():
    ours = GaussianRandomField((32, 32), alpha=2.5, tau=7.0, sigma=math.sqrt(2) * 7**1.5)
    a = ours.sample(3, torch.Generator().manual_seed(5))
    b = fno_gaussian_rf_2d(32, 2.5, 7.0, 3, torch.Generator().manual_seed(5))
    assert torch.allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(64,), (16, 24)])
def test_periodic_variance_matches_the_covariance(shape):
    grf = GaussianRandomField(shape, alpha=2.0, tau=3.0, sigma=2.0)
    samples = grf.sample(4000, torch.Generator().manual_seed(0))
    expected = sum(
        4.0 * (4 * math.pi**2 * sum(k**2 for k in ks) + 9.0) ** -2.0
        for ks in np.ndindex(*shape)
        for ks in [tuple(k if k < s // 2 else k - s for k, s in zip(ks, shape, strict=True))]
        if any(ks)
    )
    assert grf.covariance_diagonal() == pytest.approx(expected, rel=1e-12)
    assert samples.var() == pytest.approx(expected, rel=0.05)
    assert samples.mean(dim=tuple(range(1, len(shape) + 1))).abs().max() < 1e-12  # zero mode removed


def test_neumann_field_is_the_cosine_expansion():
    grf = GaussianRandomField((6, 5), alpha=2.0, tau=3.0, boundary="neumann")
    gen = torch.Generator().manual_seed(1)
    field = grf.sample(2, gen)
    xi = torch.randn(2, 6, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    k1, k2 = torch.meshgrid(torch.arange(6.0), torch.arange(5.0), indexing="ij")
    coef = 3.0 * (math.pi**2 * (k1**2 + k2**2) + 9.0) ** -1.0
    coef[0, 0] = 0.0
    L = (math.sqrt(30) * coef * xi).numpy()  # MATLAB GRF.m: s * coef .* xi, then idct2 (s = sqrt(#points) here)
    expected = scipy.fft.idctn(L, type=2, norm="ortho", axes=(1, 2))
    assert np.allclose(field.numpy(), expected, atol=1e-13)


def test_idct_matches_scipy():
    x = torch.randn(3, 7, 10, dtype=torch.float64)
    for dim in (1, 2):
        assert np.allclose(
            idct_ortho(x, dim).numpy(), scipy.fft.idct(x.numpy(), type=2, norm="ortho", axis=dim), atol=1e-13
        )


def test_bad_parameters_name_the_value():
    with pytest.raises(MonarchError, match="boundary 'dirichlet'"):
        GaussianRandomField(8, 2.0, 3.0, boundary="dirichlet")
    with pytest.raises(MonarchError, match="alpha must exceed"):
        GaussianRandomField((8, 8), 0.5, 3.0)
