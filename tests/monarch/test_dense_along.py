import pytest
import torch

from monarch_sci.monarch import Dense
from monarch_sci.monarch.fixed import dense_along

from ..conftest import rel_err


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("x_dtype", [torch.float64, torch.complex128])
def test_dense_along_matches_einsum_and_its_gradients(dim, x_dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 6, 7, generator=g, dtype=x_dtype, requires_grad=True)
    n = x.shape[dim]
    D = torch.randn(4, n, generator=g, dtype=torch.complex128, requires_grad=True)
    letters = "abcd"
    d = dim % 4
    out_spec = letters[:d] + "m" + letters[d + 1 :]
    expected = torch.einsum(f"m{letters[d]},{letters}->{out_spec}", D, x.to(D.dtype))
    got = dense_along(D, x, dim)
    assert got.shape == expected.shape
    assert rel_err(got, expected) < 1e-13
    assert got.is_contiguous()
    w = torch.randn(expected.shape, generator=g, dtype=torch.complex128)
    g1 = torch.autograd.grad((got * w).real.sum(), (D, x))
    g2 = torch.autograd.grad((expected * w).real.sum(), (D, x))
    for a, b in zip(g1, g2):
        assert rel_err(a, b) < 1e-12


def test_dense_stage_along_a_middle_dim_and_its_adjoint():
    g = torch.Generator().manual_seed(1)
    A = torch.randn(6, 5, generator=g, dtype=torch.complex128)
    x = torch.randn(2, 5, 3, generator=g, dtype=torch.complex128)
    y = torch.randn(2, 6, 3, generator=g, dtype=torch.complex128)
    S = Dense(A)
    assert rel_err(S(x, dim=1), torch.einsum("mn,bnc->bmc", A, x)) < 1e-13
    # <S x, y> = <x, Sᴴ y>
    assert abs(torch.vdot(S(x, dim=1).flatten(), y.flatten()) - torch.vdot(x.flatten(), S.H(y, dim=1).flatten())) < 1e-12


@pytest.mark.parametrize("shape", [(4, 3), (2, 4, 3)])
def test_real_form_acts_on_interleaved_pairs(shape):
    from monarch_sci.monarch.fixed import real_form

    g = torch.Generator().manual_seed(2)
    W = torch.randn(shape, generator=g, dtype=torch.complex128)
    x = torch.randn(*shape[:-2], shape[-1], 5, generator=g, dtype=torch.complex128)
    y = W @ x
    as_real = real_form(W) @ torch.view_as_real(x.transpose(-1, -2)).flatten(-2).transpose(-1, -2)
    assert torch.allclose(as_real, torch.view_as_real(y.transpose(-1, -2)).flatten(-2).transpose(-1, -2), atol=1e-13)
    assert torch.equal(real_form(W.real), W.real)


def test_dense_along_takes_lazily_conjugated_inputs():
    g = torch.Generator().manual_seed(4)
    D = torch.randn(4, 3, generator=g, dtype=torch.complex128)
    x = torch.randn(2, 3, generator=g, dtype=torch.complex128)
    assert rel_err(dense_along(D.conj(), x.conj(), -1), x.conj() @ D.conj().T) < 1e-13
