"""One sweep: every operator, adjoint, composition, sum and scaled operator passes the dot test.

⟨A x, y⟩ = ⟨x, Aᴴ y⟩ on fresh random complex128 inputs to 1e-10 relative, and Aᴴ's dense matrix
is the conjugate transpose of A's.
"""

import itertools

import pytest
import torch

from monarch_sci.linops import FFT, Identity, Mask, MonarchOp, Multiply
from monarch_sci.monarch import Chain, Monarch

CD = torch.complex128
C, H, W = 3, 8, 7  # an odd size on purpose (fftshift != ifftshift)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _c(*shape, seed=0):
    return torch.randn(*shape, dtype=CD, generator=_gen(seed))


def _mask(*shape, seed=0):
    return torch.rand(*shape, generator=_gen(seed)) > 0.5


class DenseStage:
    """A minimal duck-typed stage (callable along the last dim, n_in, n_out, .H)."""

    def __init__(self, A):
        self.A = A
        self.n_out, self.n_in = A.shape

    def __call__(self, x):
        return x @ self.A.T

    @property
    def H(self):
        return DenseStage(self.A.conj().T)


def _monarch(n_in=16, n_out=None, seed=0, dtype=CD):
    return Monarch.random(n_in, n_out, dtype=dtype, generator=_gen(seed))


def _chain():
    return Chain([_monarch(seed=2).H, _monarch(seed=1)])  # M1 · M2^H, in MM*


def _sense(F, ishape=(16, 16)):
    maps = _c(C, *ishape, seed=3)
    return Mask(_mask(ishape[-1], seed=4), (C, *ishape)) @ F @ Multiply(maps, ishape)


CASES = {
    "identity": lambda: Identity((3, 4)),
    "multiply-same": lambda: Multiply(_c(4, 5), (4, 5)),
    "multiply-real-weights": lambda: Multiply(torch.randn(4, 5, dtype=torch.float64), (4, 5)),
    "multiply-coil-maps": lambda: Multiply(_c(C, H, W), (H, W)),
    "multiply-broadcast-weights": lambda: Multiply(_c(W), (C, H, W)),
    "multiply-expand-size-1": lambda: Multiply(_c(C, H, W), (1, H, W)),
    "multiply-batched-maps": lambda: Multiply(_c(2, C, H, W), (H, W), batch_dims=1),
    "multiply.H": lambda: Multiply(_c(C, H, W), (H, W)).H,
    "mask-bool-columns": lambda: Mask(_mask(W), (C, H, W)),
    "mask-float-01": lambda: Mask(_mask(H, 1).double(), (C, H, W)),
    "mask-batched": lambda: Mask(_mask(2, 1, W), (C, H, W), batch_dims=1),
    "fft-dim0-of-2": lambda: FFT((5, 4), dims=0),
    "fft3-backward": lambda: FFT((4, 5, 6), dims=(-3, -2, -1), norm="backward"),
    "monarch-1d": lambda: MonarchOp(_monarch(), (3, 16)),
    "monarch-along-dim-2": lambda: MonarchOp(_monarch(), (16, 5), dims=-2),
    "monarch-real-factor": lambda: MonarchOp(_monarch(dtype=torch.float64), (3, 16)),
    "monarch-2d-same": lambda: MonarchOp(_monarch(), (16, 16), dims=(-2, -1)),
    "monarch-2d-pair-rectangular": lambda: MonarchOp((_monarch(16, 12), _monarch(8, seed=1)), (16, 8), (-2, -1)),
    "monarch-adjoint-flag": lambda: MonarchOp(_monarch(16, 12), (3, 12), adjoint=True),
    "monarch.H": lambda: MonarchOp(_monarch(16, 12), (3, 16)).H,
    "chain-1d": lambda: MonarchOp(_chain(), (3, 16)),
    "chain-2d": lambda: MonarchOp(_chain(), (16, 16), dims=(-2, -1)),
    "duck-typed-stage": lambda: MonarchOp(DenseStage(_c(6, 5)), (5, 4), dims=(-2,)),
    "sense-fft2c": lambda: _sense(FFT((C, 16, 16), (-2, -1), centered=True)),
    "sense-fft2c.H": lambda: _sense(FFT((C, 16, 16), (-2, -1), centered=True)).H,
    "sense-monarch-chain": lambda: _sense(MonarchOp(_chain(), (C, 16, 16), (-2, -1))),
    "sense-batched": lambda: Mask(_mask(2, 1, W), (C, H, W), batch_dims=1)
    @ FFT((C, H, W), (-2, -1), centered=True)
    @ Multiply(_c(2, C, H, W), (H, W), batch_dims=1),
    "sense-normal": lambda: _sense(FFT((C, 16, 16), (-2, -1), centered=True)).normal(),
    "sense-tikhonov": lambda: _sense(FFT((C, 16, 16), (-2, -1), centered=True)).normal() + 0.1 * Identity((16, 16)),
    "sum": lambda: FFT((4, 6)) + Multiply(_c(4, 6), (4, 6)),
    "difference": lambda: FFT((4, 6), centered=True) - 2 * Identity((4, 6)),
    "scaled-complex": lambda: (2 - 1j) * FFT((4, 6), norm="forward"),
    "scaled-right-and-divided": lambda: (MonarchOp(_monarch(), (2, 16)) * 3.0) / 7,
    "negated": lambda: -MonarchOp(_chain(), (2, 16)),
    "scaled-by-tensor": lambda: torch.tensor(0.5 + 2j, dtype=CD) * Multiply(_c(4, 6), (4, 6)),
    "composition-of-sums": lambda: (FFT((4, 6)) + Identity((4, 6))) @ (Mask(_mask(6), (4, 6)) - FFT((4, 6)).H),
    "adjoint-of-composition-of-scaled": lambda: (1j * FFT((3, 16)) @ MonarchOp(_monarch(), (3, 16))).H,
}
for norm, centered, inverse in itertools.product(("backward", "ortho", "forward"), (False, True), (False, True)):
    tag = f"{norm}{'-centered' if centered else ''}{'-inverse' if inverse else ''}"
    CASES[f"fft-1d-{tag}"] = lambda n=norm, c=centered, i=inverse: FFT((3, 9), -1, n, c, i)
    CASES[f"fft2-{tag}"] = lambda n=norm, c=centered, i=inverse: FFT((C, H, W), (-2, -1), n, c, i)


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_product_adjoint(name):
    op = CASES[name]()
    err = op.adjoint_test(dtype=CD, generator=_gen(123))
    assert err <= 1e-10, f"{op!r}: relative adjoint mismatch {err:.2e}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_adjoint_is_conjugate_transpose(name):
    op = CASES[name]()
    A, AH, AHH = op.to_dense(CD), op.H.to_dense(CD), op.H.H.to_dense(CD)
    assert AH.shape == A.mH.shape and AHH.shape == A.shape
    tol = 1e-12 * max(1.0, A.abs().max().item())
    assert (AH - A.mH).abs().max().item() <= tol
    assert (AHH - A).abs().max().item() <= tol
