"""MonarchOp: 1-D and separable 2-D application, equality with Kronecker products, errors, learnable stages."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.linops import MonarchOp
from monarch_sci.monarch import Chain, Monarch

CD = torch.complex128


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_1d_matches_dense_along_any_dim():
    M = Monarch.random(16, 12, dtype=CD, generator=_gen(0))
    x = torch.randn(3, 16, 5, dtype=CD, generator=_gen(1))
    A = MonarchOp(M, (16, 5), dims=-2)
    assert A.oshape == (12, 5)
    expected = torch.einsum("oi,bij->boj", M.to_dense(), x)
    torch.testing.assert_close(A(x), expected, rtol=0, atol=1e-13)


def test_2d_separable_is_kronecker_product():
    MH = Monarch.random(16, 12, dtype=CD, generator=_gen(0))
    MW = Chain([Monarch.random(8, dtype=CD, generator=_gen(2)).H, Monarch.random(8, dtype=CD, generator=_gen(1))])
    A = MonarchOp((MH, MW), (16, 8), dims=(-2, -1))
    assert A.oshape == (12, 8)
    torch.testing.assert_close(A.to_dense(), torch.kron(MH.to_dense(), MW.to_dense()), rtol=0, atol=1e-13)
    same = MonarchOp(MW, (8, 8), dims=(-2, -1))
    torch.testing.assert_close(same.to_dense(), torch.kron(MW.to_dense(), MW.to_dense()), rtol=0, atol=1e-13)


def test_adjoint_uses_stage_H():
    M = Monarch.random(16, 12, dtype=CD, generator=_gen(0))
    A = MonarchOp(M, (16,))
    assert A.H.ishape == (12,) and A.H.oshape == (16,) and A.H.adjoint
    torch.testing.assert_close(A.H.to_dense(), M.H.to_dense(), rtol=0, atol=1e-13)
    assert not A.H.H.adjoint


def test_errors():
    M = Monarch.random(16, dtype=CD, generator=_gen(0))
    with pytest.raises(MonarchError, match=r"maps length 16 -> 16 but ishape \(3, 12\) has 12 along dim -1"):
        MonarchOp(M, (3, 12))
    with pytest.raises(MonarchError, match="lacks"):
        MonarchOp(torch.eye(4), (4,))
    with pytest.raises(MonarchError, match="got 3 stages for 2 dims"):
        MonarchOp((M, M, M), (16, 16), (-2, -1))
    with pytest.raises(MonarchError, match=r"MonarchOp expects input \(\.\.\., 3, 16\), got \(16, 3\)"):
        MonarchOp(M, (3, 16))(torch.zeros(16, 3, dtype=CD))


class LearnableDense(torch.nn.Module):
    """A learnable stage as an nn.Module: the interface MonarchOp relies on, nothing more."""

    def __init__(self, n):
        super().__init__()
        self.A = torch.nn.Parameter(torch.eye(n, dtype=CD))
        self.n_in = self.n_out = n

    def forward(self, x):
        return x @ self.A.T

    @property
    def H(self):
        module = self

        class _Adj:
            n_in = n_out = module.n_in

            def __call__(self, y):
                return y @ module.A.conj()

        return _Adj()


def test_learnable_module_stage_gets_gradients_and_follows_updates():
    T = LearnableDense(6)
    A = MonarchOp(T, (6, 6), dims=(-2, -1))
    assert A.dtype == CD
    x = torch.randn(2, 6, 6, dtype=CD, generator=_gen(0))
    loss = (A.H(A(x)) - 2 * x).abs().pow(2).sum()
    loss.backward()
    assert T.A.grad is not None and T.A.grad.abs().sum() > 0
    with torch.no_grad():
        T.A.mul_(1j)  # an optimizer step in place: the same operator sees the new weights
    torch.testing.assert_close(A(x), -x, rtol=0, atol=1e-14)
    assert A.adjoint_test() < 1e-12
