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

    assert gradcheck(forward, (_c(2, H, W), _c(C, H, W, seed=1), _c(1, seed=2).detach().reshape(()).requires_grad_()), eps=1e-6, atol=1e-8)


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
