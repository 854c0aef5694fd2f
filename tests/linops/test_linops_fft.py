"""FFT pinned against numpy.fft (all norms, forward and inverse) and fastMRI's centered FFT."""

import itertools

import numpy as np
import pytest
import torch

from monarch_sci.linops import FFT, Identity, MonarchOp
from monarch_sci.monarch import Dense

NORMS = ("backward", "ortho", "forward")


def _x(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _close(actual: torch.Tensor, expected: np.ndarray, tol=1e-12):
    err = np.abs(actual.numpy() - expected).max() / np.abs(expected).max()
    assert err <= tol, f"relative max error {err:.2e}"


@pytest.mark.parametrize("norm,inverse", itertools.product(NORMS, (False, True)))
def test_fft_1d_matches_numpy(norm, inverse):
    x = _x(4, 9, 10)
    op = FFT((9, 10), dims=-1, norm=norm, inverse=inverse)
    expected = (np.fft.ifft if inverse else np.fft.fft)(x, axis=-1, norm=norm)
    _close(op(torch.from_numpy(x)), expected)
    op0 = FFT((9, 10), dims=0, norm=norm, inverse=inverse)  # dim 0 of ishape = tensor dim -2
    _close(op0(torch.from_numpy(x)), (np.fft.ifft if inverse else np.fft.fft)(x, axis=-2, norm=norm))


@pytest.mark.parametrize("norm,inverse", itertools.product(NORMS, (False, True)))
def test_fft2_matches_numpy(norm, inverse):
    x = _x(2, 3, 8, 7)
    op = FFT((3, 8, 7), dims=(-2, -1), norm=norm, inverse=inverse)
    expected = (np.fft.ifft2 if inverse else np.fft.fft2)(x, axes=(-2, -1), norm=norm)
    _close(op(torch.from_numpy(x)), expected)


@pytest.mark.parametrize("shape", [(8, 6), (7, 9), (5, 8)])
def test_centered_fft2_matches_fastmri_convention(shape):
    x = _x(3, *shape)
    axes = (-2, -1)
    expected = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=axes), norm="ortho"), axes=axes)
    F = FFT((3, *shape), dims=axes, centered=True)
    _close(F(torch.from_numpy(x)), expected)
    # the adjoint is fastMRI's ifft2c: ifftshift -> ifft2(ortho) -> fftshift
    expected_h = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(x, axes=axes), norm="ortho"), axes=axes)
    _close(F.H(torch.from_numpy(x)), expected_h)
    # centered 1-D too
    expected_1d = np.fft.fftshift(np.fft.fft(np.fft.ifftshift(x, axes=-1), norm="ortho"), axes=-1)
    _close(FFT((3, *shape), centered=True)(torch.from_numpy(x)), expected_1d)


@pytest.mark.parametrize("norm,inverse", itertools.product(NORMS, (False, True)))
def test_centered_fft_over_any_dims_and_norms_matches_shifted_numpy(norm, inverse):
    """The phase-ramp implementation of the shifts, on non-adjacent dims of odd and even sizes and a real input."""
    x = np.random.default_rng(1).standard_normal((5, 4, 9))
    axes = (-3, -1)
    f = np.fft.ifftn if inverse else np.fft.fftn
    expected = np.fft.fftshift(f(np.fft.ifftshift(x, axes=axes), axes=axes, norm=norm), axes=axes)
    _close(FFT((5, 4, 9), dims=axes, norm=norm, centered=True, inverse=inverse)(torch.from_numpy(x)), expected)


def test_centered_ramps_are_built_once_per_shape_and_device():
    """A new operator of the same shape (``F.H`` builds one per call) reuses the phase ramps."""
    from tests.dispatched import DispatchedOps

    x = torch.from_numpy(_x(2, 6, 5))
    FFT((2, 6, 5), (-2, -1), centered=True).H(x)
    with DispatchedOps() as ops:
        FFT((2, 6, 5), (-2, -1), centered=True).H(x)
    assert not {"arange", "exp", "remainder"} & ops.names, ops.names


@pytest.mark.parametrize("norm", NORMS)
def test_adjoint_norms(norm):
    """F_norm^H is the inverse transform with backward <-> forward swapped; ortho is unitary."""
    F = FFT((6, 10), dims=(-2, -1), norm=norm, centered=True)
    assert F.H.inverse and F.H.norm == {"backward": "forward", "ortho": "ortho", "forward": "backward"}[norm]
    assert (F.H.H.norm, F.H.H.inverse) == (norm, False)
    N = F.normal().to_dense(torch.complex128)
    scale = {"backward": 60.0, "ortho": 1.0, "forward": 1 / 60}[norm]  # F^H F = (n c^2) I
    torch.testing.assert_close(N, scale * Identity((6, 10)).to_dense(torch.complex128), rtol=0, atol=1e-12 * scale)


def test_fft_equals_dense_dft_through_monarch_op():
    """MonarchOp with a dense DFT stage reproduces the FFT operator (the pluggable-F contract)."""
    n = 12
    j = torch.arange(n, dtype=torch.float64)
    dft = torch.exp(-2j * torch.pi * torch.outer(j, j) / n) / n**0.5
    shift = torch.fft.fftshift(torch.eye(n, dtype=torch.complex128), dim=0)  # P: x -> fftshift(x)
    centered = shift @ dft @ shift.T  # fftshift ∘ F ∘ ifftshift
    x = torch.from_numpy(_x(2, n, n))
    F = FFT((2, n, n), (-2, -1), centered=True)
    G = MonarchOp(Dense(centered), (2, n, n), (-2, -1))
    torch.testing.assert_close(G(x), F(x), rtol=0, atol=1e-12)
    torch.testing.assert_close(G.H(x), F.H(x), rtol=0, atol=1e-12)


def test_real_input_gives_complex_output():
    x = torch.randn(4, 6, dtype=torch.float64)
    y = FFT((4, 6), (-2, -1))(x)
    assert y.dtype == torch.complex128
    _close(y, np.fft.fft2(x.numpy(), norm="ortho"))
