import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import torch

from monarch_sci import MonarchError
from monarch_sci.linops import MonarchOp
from monarch_sci.nn import MonarchTransform, MonarchTransform2d


def numpy_2d(kind, x, **opts):
    axes = (-2, -1)
    if kind == "dft" and opts.get("centered"):
        return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=axes), norm=opts.get("norm")), axes=axes)
    if kind == "dft":
        return np.fft.fft2(x, norm=opts.get("norm"))
    if kind == "idft":
        return np.fft.ifft2(x, norm=opts.get("norm"))
    if kind in ("dct", "dst"):
        return getattr(scipy.fft, kind + "n")(x, axes=axes, type=opts.get("type", 2), norm=opts.get("norm"))
    H = scipy.linalg.hadamard(x.shape[-1])
    return np.einsum("ij,bjk,lk->bil", H, x, H)


CASES = [
    ("dft", {}),
    ("dft", {"norm": "ortho", "centered": True}),
    ("idft", {"norm": "ortho"}),
    ("dct", {"norm": "ortho"}),
    ("dct", {"type": 3}),
    ("dst", {}),
    ("hadamard", {}),
]


@pytest.mark.parametrize("kind,opts", CASES)
@pytest.mark.parametrize("structure", ["M", "MM*", "(MM*)^2"])
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
def test_exact_at_init_1d_and_2d(kind, opts, structure, dtype, tol, gen):
    T = MonarchTransform(kind, 16, structure=structure, dtype=dtype, **opts)
    x = torch.randn(3, 16, 16, dtype=dtype, generator=gen)
    ref2 = numpy_2d(kind, x.double().numpy(), **opts)
    y2 = T(x, dim=(-2, -1)).detach().numpy()
    assert np.abs(y2 - ref2).max() <= tol * np.abs(ref2).max()
    ref1 = T.to_dense().detach().to(torch.complex128).numpy() @ x[0, 0].double().numpy()
    assert np.abs(T(x[0, 0]).detach().numpy() - ref1).max() <= tol * np.abs(ref1).max()


@pytest.mark.parametrize("structure,count", [("M", 1), ("MM*", 2), ("(MM*)^2", 4)])
def test_gradients_reach_every_factor(structure, count, gen):
    T = MonarchTransform("dft", 64, structure=structure)
    assert len(T.weights) == 2 * count
    y = T(torch.randn(8, 64, generator=gen))
    (y.abs() ** 2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in T.parameters())
    assert T.num_parameters == sum(p.numel() for p in T.parameters())


def test_learning_changes_the_transform_and_adjoint_follows(gen):
    T = MonarchTransform("dft", 16, structure="M", norm="ortho", dtype=torch.float64)
    before = T.to_dense().clone()
    opt = torch.optim.SGD(T.parameters(), lr=1e-2)
    T(torch.randn(4, 16, dtype=torch.float64, generator=gen)).abs().sum().backward()
    opt.step()
    after = T.to_dense()
    assert (after - before).abs().max() > 1e-4
    assert torch.allclose(T.H.to_dense(), after.conj().T)
    op = MonarchOp(T, ishape=(16,))
    assert op.adjoint_test() < 1e-10


def test_random_init_and_fixed_transform(gen):
    T = MonarchTransform("dft", 16, init="random", generator=gen, dtype=torch.float64)
    exact = torch.fft.fft(torch.eye(16, dtype=torch.complex128), dim=0)
    assert (T.to_dense() - exact).abs().max() > 0.1
    fixed = MonarchTransform("dct", 16, learnable=False)
    assert not any(p.requires_grad for p in fixed.parameters())


def test_prime_size_learns_the_dense_matrix():
    T = MonarchTransform("dft", 17, dtype=torch.float64)
    assert T.chain().structure.dense and T.num_parameters == 17 * 17
    assert torch.allclose(T.to_dense(), torch.fft.fft(torch.eye(17, dtype=torch.complex128), dim=0))


def test_bad_arguments():
    with pytest.raises(MonarchError, match="unknown transform kind 'fft'; valid kinds: acdc, afdf, dct"):
        MonarchTransform("fft", 16)
    with pytest.raises(MonarchError, match="structure must be one of"):
        MonarchTransform("dft", 16, structure="MMM")
    with pytest.raises(MonarchError, match="AFDF\\(16\\) needs 2 Monarch factors, more than structure 'M' allows"):
        MonarchTransform("afdf", 16, structure="M")
    with pytest.raises(MonarchError, match="init must be"):
        MonarchTransform("dft", 16, init="zeros")


def test_separable_2d_on_a_rectangular_grid_matches_the_mri_fft(gen):
    F = MonarchTransform2d("dft", (20, 12), norm="ortho", centered=True, dtype=torch.float64)
    x = torch.randn(3, 20, 12, dtype=torch.complex128, generator=gen)
    axes = (-2, -1)
    ref = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x.numpy(), axes=axes), norm="ortho"), axes=axes)
    assert np.abs(F(x).detach().numpy() - ref).max() < 1e-12
    assert torch.allclose(F.H(F(x)), x, atol=1e-12)  # orthonormal: the adjoint inverts it
    shared = MonarchTransform2d("dft", (16, 16), share=True)
    assert shared.num_parameters == MonarchTransform("dft", 16).num_parameters
