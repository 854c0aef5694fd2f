"""Composition, sums, scalars, to_dense, normal(), batch dims, and the error messages."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.linops import FFT, Composition, Identity, LinearOperator, Mask, MonarchOp, Multiply, Scaled, Sum
from monarch_sci.monarch import Monarch

CD = torch.complex128


def _c(*shape, seed=0):
    return torch.randn(*shape, dtype=CD, generator=torch.Generator().manual_seed(seed))


def _sense(C=3, H=6, W=5):
    maps = _c(C, H, W, seed=1)
    mask = torch.tensor([True, False, True, True, False])
    return Mask(mask, (C, H, W)), FFT((C, H, W), (-2, -1), centered=True), Multiply(maps, (H, W))


def test_to_dense_of_composition_is_product():
    M, F, S = _sense()
    A = M @ F @ S
    assert isinstance(A, Composition) and A.ops == [M, F, S]  # flattened, math order
    expected = M.to_dense(CD) @ F.to_dense(CD) @ S.to_dense(CD)
    torch.testing.assert_close(A.to_dense(CD), expected, rtol=0, atol=1e-13)
    assert A.to_dense(CD).shape == (3 * 6 * 5, 6 * 5)


def test_to_dense_of_sum_and_scaled():
    F, G = FFT((4, 6)), Multiply(_c(4, 6), (4, 6))
    torch.testing.assert_close((F + G).to_dense(CD), F.to_dense(CD) + G.to_dense(CD), rtol=0, atol=1e-13)
    torch.testing.assert_close((F - 2j * G).to_dense(CD), F.to_dense(CD) - 2j * G.to_dense(CD), rtol=0, atol=1e-13)
    torch.testing.assert_close((G / 4).to_dense(CD), G.to_dense(CD) / 4, rtol=0, atol=1e-13)
    assert isinstance(2 * (3 * G), Scaled) and (2 * (3 * G)).scale == 6  # nested scalars merge


def test_structural_adjoints():
    M, F, S = _sense()
    AH = (M @ F @ S).H
    assert isinstance(AH, Composition) and AH.ops[0] is not S and AH.ops[2] is M  # (MFS)^H = S^H F^H M
    assert isinstance(AH.ops[1], FFT) and AH.ops[1].inverse
    assert isinstance((F + M).H, Sum) and isinstance((2j * F).H, Scaled) and (2j * F).H.scale == -2j
    assert S.H.H is S and M.H is M and Identity(3).H.ishape == (3,)


def test_normal_is_hermitian_psd():
    M, F, S = _sense()
    N = (M @ F @ S).normal().to_dense(CD)
    assert N.shape == (30, 30)
    torch.testing.assert_close(N, N.mH, rtol=0, atol=1e-13)
    eig = torch.linalg.eigvalsh(N)
    assert eig.min().item() >= -1e-12
    # with a Monarch F as well
    mon = MonarchOp(Monarch.random(4, dtype=CD, generator=torch.Generator().manual_seed(2)), (2, 4, 4), (-2, -1))
    N2 = (mon @ Multiply(_c(2, 4, 4), (4, 4))).normal().to_dense()
    torch.testing.assert_close(N2, N2.mH, rtol=0, atol=1e-13)
    assert torch.linalg.eigvalsh(N2).min().item() >= -1e-12


def test_leading_batch_dims_pass_through():
    M, F, S = _sense()
    A = M @ F @ S
    x = _c(4, 2, 6, 5, seed=3)
    y = A(x)
    assert y.shape == (4, 2, 3, 6, 5)
    torch.testing.assert_close(y[1, 0], A(x[1, 0]), rtol=0, atol=1e-14)
    torch.testing.assert_close(A @ x, y, rtol=0, atol=0)  # A @ tensor applies
    assert A.H(y).shape == x.shape


def test_per_sample_maps_and_masks_match_a_loop():
    maps, masks = _c(4, 3, 6, 5, seed=5), torch.rand(4, 1, 5, generator=torch.Generator().manual_seed(6)) > 0.5
    F = FFT((3, 6, 5), (-2, -1), centered=True)
    A = Mask(masks, (3, 6, 5), batch_dims=1) @ F @ Multiply(maps, (6, 5), batch_dims=1)
    assert A.batch_shape == (4,)
    x = _c(4, 6, 5, seed=7)
    looped = torch.stack([(Mask(masks[b], (3, 6, 5)) @ F @ Multiply(maps[b], (6, 5)))(x[b]) for b in range(4)])
    torch.testing.assert_close(A(x), looped, rtol=0, atol=1e-14)
    assert A.to_dense().shape == (4, 90, 30)
    with pytest.raises(MonarchError, match=r"batch of shape \(4,\).*leading dims \(3,\)"):
        A(x[:3])


def test_multiply_adjoint_is_coil_combination():
    maps = _c(4, 6, 5)
    S = Multiply(maps, (6, 5))
    y = _c(2, 4, 6, 5, seed=1)
    torch.testing.assert_close(S.H(y), (maps.conj() * y).sum(dim=-3), rtol=0, atol=1e-13)


def test_mask_is_idempotent_projection():
    M = Mask(torch.tensor([1.0, 0.0, 1.0]), (2, 3))
    D = M.to_dense(CD)
    torch.testing.assert_close(D @ D, D, rtol=0, atol=0)
    assert M.normal() is M


def test_apply_shape_error_names_operator_and_shapes():
    F = FFT((320, 320), dims=(-2, -1))
    with pytest.raises(MonarchError, match=r"^FFT2 expects input \(\.\.\., 320, 320\), got \(8, 320, 321\)$"):
        F(torch.zeros(8, 320, 321, dtype=CD))
    with pytest.raises(MonarchError, match=r"Multiply expects input \(\.\.\., 6, 5\), got \(5,\)"):
        Multiply(_c(3, 6, 5), (6, 5))(torch.zeros(5, dtype=CD))
    with pytest.raises(MonarchError, match=r"IFFT2c expects input \(\.\.\., 6, 5\), got \(5, 6\)"):
        FFT((6, 5), (-2, -1), centered=True).H(torch.zeros(5, 6, dtype=CD))
    with pytest.raises(MonarchError, match="expects a torch.Tensor, got list"):
        Identity(3)([1, 2, 3])


def test_composition_shape_error_names_both_shapes():
    F, S = FFT((3, 6, 5), (-2, -1)), Multiply(_c(4, 6, 5), (6, 5))
    expected = (
        r"cannot compose FFT2 @ Multiply: "
        r"FFT2 takes input \(\.\.\., 3, 6, 5\) but Multiply returns \(\.\.\., 4, 6, 5\)"
    )
    with pytest.raises(MonarchError, match=expected):
        F @ S


def test_sum_shape_error_names_both_shapes():
    expected = r"cannot add FFT \(\.\.\., 4, 6\) -> \(\.\.\., 4, 6\) and Identity \(\.\.\., 6, 4\)"
    with pytest.raises(MonarchError, match=expected):
        FFT((4, 6)) + Identity((6, 4))
    with pytest.raises(MonarchError, match=r"cannot add .*Multiply \(\.\.\., 6\) -> \(\.\.\., 2, 6\)"):
        Identity(6) - Multiply(_c(2, 6), 6)


def test_bad_scalars_and_operands():
    F = FFT(4)
    with pytest.raises(MonarchError, match="use @ to compose"):
        F * F
    with pytest.raises(MonarchError, match=r"tensor of shape \(4,\).*use Multiply"):
        F * torch.ones(4)
    with pytest.raises(TypeError):
        F + 1
    with pytest.raises(MonarchError, match=r"batch shapes \[\(2,\), \(3,\)\] do not broadcast"):
        Mask(torch.ones(2, 4, dtype=torch.bool), 4, batch_dims=1) @ Multiply(_c(3, 4), 4, batch_dims=1)


def test_constructor_errors():
    with pytest.raises(MonarchError, match=r"weights of shape \(3, 6, 5\) do not broadcast with ishape \(6, 4\)"):
        Multiply(_c(3, 6, 5), (6, 4))
    with pytest.raises(MonarchError, match=r"mask of shape \(4,\) does not broadcast to shape \(6, 5\)"):
        Mask(torch.ones(4, dtype=torch.bool), (6, 5))
    with pytest.raises(MonarchError, match="0 or 1"):
        Mask(torch.full((5,), 0.5), (6, 5))
    with pytest.raises(MonarchError, match="use Multiply"):
        Mask(torch.ones(5, dtype=CD), (6, 5))
    with pytest.raises(MonarchError, match="norm must be one of"):
        FFT((4, 4), norm="none")
    with pytest.raises(MonarchError, match=r"FFT: dim -3 is out of range for ishape \(4, 4\)"):
        FFT((4, 4), dims=(-3, -1))
    with pytest.raises(MonarchError, match="positive ints"):
        Identity((4, 0))


def test_dtype_mismatch_is_an_error_not_a_silent_cast():
    S = Multiply(_c(3, 4), 4)
    with pytest.raises(MonarchError, match=r"Multiply holds torch.complex128 weights but the input is torch.complex64"):
        S(torch.ones(4, dtype=torch.complex64))


def test_adjoint_test_catches_a_wrong_adjoint():
    class WrongFFT(LinearOperator):
        name = "WrongFFT"

        def __init__(self):
            super().__init__((8,), (8,))

        def _apply(self, x):
            return torch.fft.fft(x)  # "backward": its adjoint is 8 * ifft, not ifft

        def _apply_adjoint(self, y):
            return torch.fft.ifft(y)

    assert WrongFFT().adjoint_test(generator=torch.Generator().manual_seed(0)) > 0.5
    assert FFT(8, norm="backward").adjoint_test(generator=torch.Generator().manual_seed(0)) < 1e-14


def test_repr_shows_names_and_shapes():
    M, F, S = _sense()
    text = repr(M @ F @ S)
    assert "Mask((3, 6, 5) -> (3, 6, 5))" in text and "Multiply((6, 5) -> (3, 6, 5))" in text
    assert repr(S.H) == "Multiply((6, 5) -> (3, 6, 5)).H"
