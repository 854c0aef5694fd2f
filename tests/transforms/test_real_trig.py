import numpy as np
import pytest
import scipy.fft
import torch

import monarch_sci as ms
from monarch_sci import MonarchError

SIZES = [1, 2, 3, 8, 15, 16, 17, 64, 100, 101, 320]


@pytest.mark.parametrize("kind", ["dct", "dst"])
@pytest.mark.parametrize("type", [2, 3])
@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
@pytest.mark.parametrize("n", SIZES)
def test_matches_scipy_float64(kind, type, norm, n):
    x = np.random.default_rng(n).standard_normal((3, n))
    T = getattr(ms.transforms, kind)(n, type=type, norm=norm, dtype=torch.float64)
    ref = getattr(scipy.fft, kind)(x, type=type, norm=norm)
    y = T(torch.from_numpy(x))
    assert y.dtype == torch.float64
    assert np.abs(y.numpy() - ref).max() <= 1e-12 * max(1.0, np.abs(ref).max())


@pytest.mark.parametrize("kind", ["dct", "dst"])
def test_complex_input_transforms_real_and_imaginary_parts(kind):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 24)) + 1j * rng.standard_normal((2, 24))
    T = getattr(ms.transforms, kind)(24, norm="ortho", dtype=torch.float64)
    ref = getattr(scipy.fft, kind)(x, norm="ortho")
    assert np.abs(T(torch.from_numpy(x)).numpy() - ref).max() <= 1e-12


def test_ortho_type3_is_the_inverse_of_type2():
    x = torch.randn(4, 48, dtype=torch.float64)
    for kind in ("dct", "dst"):
        f = getattr(ms.transforms, kind)
        assert torch.allclose(f(48, 3, "ortho", torch.float64)(f(48, 2, "ortho", torch.float64)(x)), x, atol=1e-13)


def test_along_dim_and_2d():
    x = np.random.default_rng(1).standard_normal((16, 3, 16))
    T = ms.transforms.dct(16, norm="ortho", dtype=torch.float64)
    ref = scipy.fft.dctn(x, axes=(0, 2), norm="ortho")
    assert np.abs(T(torch.from_numpy(x), dim=(0, 2)).numpy() - ref).max() <= 1e-12


def test_bad_arguments():
    with pytest.raises(MonarchError, match=r"dct type must be one of \(2, 3\), got 4"):
        ms.transforms.dct(8, type=4)
    with pytest.raises(MonarchError, match="dst norm must be one of"):
        ms.transforms.dst(8, norm="unitary")
