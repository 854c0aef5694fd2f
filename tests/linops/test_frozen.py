"""Frozen operators: A's values, gradients Aᴴ ȳ to the input only; Multiply's cached conjugate weights."""

import pytest
import torch

from monarch_sci.linops import FFT, Frozen, Identity, Multiply
from monarch_sci.mri.operators import sense_operator


def _sense(seed=0, dtype=torch.complex128):
    g = torch.Generator().manual_seed(seed)
    maps = torch.randn(2, 4, 6, 8, generator=g, dtype=dtype)
    mask = (torch.rand(2, 1, 1, 8, generator=g) < 0.5).to(dtype.to_real())
    return sense_operator(maps, mask), g


@pytest.mark.parametrize("normal", [False, True])
def test_frozen_values_and_input_gradient_match_autograd_through_the_operator(normal):
    A, g = _sense()
    system = A.normal() + 0.1 * Identity(A.ishape) if normal else A  # Hermitian, and not
    x = torch.randn(2, 6, 8, generator=g, dtype=torch.complex128, requires_grad=True)
    w = torch.randn(2, *system.oshape, generator=g, dtype=torch.complex128)
    frozen = Frozen(system)
    y = frozen(x)
    assert torch.equal(y, system(x))
    (g_frozen,) = torch.autograd.grad((y * w).real.sum(), x)
    (g_autograd,) = torch.autograd.grad((system(x) * w).real.sum(), x)
    assert (g_frozen - g_autograd).abs().max() <= 1e-12 * g_autograd.abs().max()
    assert y.grad_fn is not None and "Frozen" in type(y.grad_fn).__name__


def test_frozen_real_input_gets_a_real_gradient_and_the_adjoint_stays_frozen():
    op = FFT((5,), norm="ortho")
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 5, dtype=torch.complex128)
    (grad,) = torch.autograd.grad((Frozen(op)(x) * w).real.sum(), x)
    (expected,) = torch.autograd.grad((torch.fft.fft(x, norm="ortho") * w).real.sum(), x)
    assert grad.dtype == torch.float64 and torch.allclose(grad, expected, atol=1e-13)
    assert isinstance(Frozen(op).H, Frozen) and Frozen(Frozen(op)).op is op
    assert Frozen(op).adjoint_test() < 1e-13


def test_frozen_operator_weights_take_no_gradient():
    maps = torch.randn(3, 4, 4, dtype=torch.complex128, requires_grad=True)
    x = torch.randn(4, 4, dtype=torch.complex128, requires_grad=True)
    Frozen(Multiply(maps, (4, 4)))(x).abs().sum().backward()
    assert maps.grad is None and x.grad is not None


def test_multiply_adjoint_follows_in_place_weight_updates():
    maps = torch.randn(3, 4, 4, dtype=torch.complex128)
    S = Multiply(maps, (4, 4))
    y = torch.randn(3, 4, 4, dtype=torch.complex128)
    first = S.H(y)
    assert torch.allclose(first, (y * maps.conj()).sum(0))
    maps.mul_(1j)
    assert torch.allclose(S.H(y), (y * maps.conj()).sum(0)) and not torch.allclose(S.H(y), first)


@pytest.mark.parametrize("learn", ["inverse", "none"])
def test_sense_ops_freeze_the_fixed_forward_model(learn):
    from monarch_sci.mri.models.fourier import FourierPair
    from monarch_sci.mri.models.physics import sense_ops

    pair = FourierPair((6, 8), learn=learn, dtype=torch.complex128)
    maps = torch.randn(2, 4, 6, 8, dtype=torch.complex128)
    mask = torch.ones(2, 1, 1, 8, dtype=torch.float64)
    assert isinstance(sense_ops(pair, mask, maps).A, Frozen)
    assert not isinstance(sense_ops(pair, mask, maps.requires_grad_()).A, Frozen)
    assert not isinstance(sense_ops(FourierPair((6, 8), learn="forward", dtype=torch.complex128), mask, maps.detach()).A, Frozen)
