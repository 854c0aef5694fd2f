"""Autograd through apply: fp64/complex128 gradcheck of composed operators w.r.t. inputs and weights."""

import torch
from torch.autograd import gradcheck

from monarch_sci.linops import FFT, Mask, MonarchOp, Multiply
from monarch_sci.monarch import Monarch

CD = torch.complex128


def _c(*shape, seed=0, grad=True):
    return torch.randn(*shape, dtype=CD, generator=torch.Generator().manual_seed(seed)).requires_grad_(grad)


def test_gradcheck_sense_forward_and_adjoint():
    C, H, W = 2, 4, 3
    mask = torch.tensor([True, False, True])
    F = FFT((C, H, W), (-2, -1), centered=True)

    def forward(x, maps, scale):
        A = scale * (Mask(mask, (C, H, W)) @ F @ Multiply(maps, (H, W)))
        return A(x), A.H(A(x))

    scale = _c(1, seed=2, grad=False).reshape(()).requires_grad_()
    assert gradcheck(forward, (_c(2, H, W), _c(C, H, W, seed=1), scale), eps=1e-6, atol=1e-8)


def test_gradcheck_monarch_op_weights():
    M0 = Monarch.random(4, dtype=CD, generator=torch.Generator().manual_seed(0))
    R, L = M0.R.clone().requires_grad_(), M0.L.clone().requires_grad_()

    def forward(x, R, L):
        A = MonarchOp(Monarch(R, L), (4, 4), dims=(-2, -1)) @ Multiply(_c(4, 4, seed=3, grad=False), (4, 4))
        return A.normal()(x)

    assert gradcheck(forward, (_c(4, 4, seed=1), R, L), eps=1e-6, atol=1e-8)


def test_gradcheck_real_float64():
    w = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    x = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda x, w: (Multiply(w, 5).H @ Multiply(w, 5))(x), (x, w), eps=1e-6, atol=1e-8)


def test_learnable_weights_built_once_follow_updates():
    """An operator built once around an nn.Parameter: repeated backward passes, in-place updates seen."""
    w = torch.nn.Parameter(torch.randn(3, 4, 5, dtype=CD).transpose(-1, -2))  # non-contiguous on purpose
    S = Multiply(w, (5, 4))
    x = _c(5, 4, grad=False)
    for _ in range(2):
        S.normal()(x).abs().sum().backward()
    assert w.grad is not None and w.grad.abs().sum() > 0
    with torch.no_grad():
        w.mul_(2)
    torch.testing.assert_close(S(x), w.detach() * x, rtol=0, atol=1e-14)
