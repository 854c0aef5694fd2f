"""Theorem 1 projection: exact recovery, optimality, an independent reference, the DFT, bad input."""

import math

import numpy as np
import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.monarch.factor import Monarch
from monarch_sci.monarch.project import project

DTYPES = [torch.float64, torch.complex128]

# (n_in, n_out, nblocks, mid): square m^2, other block counts, rectangular, uneven ranks per
# (k, l) pair (q = 6 is not a multiple of l = 4), and ranks above min(s, p) (p = 1).
LAYOUTS = [
    (16, 16, None, None),
    (64, 64, None, None),
    (24, 24, 2, None),
    (36, 36, 3, None),
    (12, 20, 4, None),
    (20, 12, 4, None),
    (16, 24, 4, 24),
    (4, 8, 4, 24),
]
# Explicit ((k, q, p), (l, s, r)): k != l, and pair ranks 2, 2, 1, 1 inside each R block.
SHAPES = [((2, 6, 3), (4, 5, 3)), ((3, 5, 4), (5, 2, 3)), ((4, 3, 2), (2, 5, 6))]


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


def random_factor(shape, dtype, generator):
    (k, q, p), (l, s, r) = shape
    R = torch.randn(k, q, p, dtype=dtype, generator=generator)
    L = torch.randn(l, s, r, dtype=dtype, generator=generator)
    return Monarch(R, L)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_in, n_out, nblocks, mid", LAYOUTS)
def test_recovers_monarch(n_in, n_out, nblocks, mid, dtype):
    g = torch.Generator().manual_seed(n_in * 100 + n_out)
    M = Monarch.random(n_in, n_out, nblocks=nblocks, mid=mid, dtype=dtype, generator=g).to_dense()
    P = project(M, nblocks, mid)
    assert P.dtype == dtype and P.shape == (n_out, n_in)
    assert rel(P.to_dense(), M) <= 1e-10


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_recovers_explicit_shape(shape, dtype):
    g = torch.Generator().manual_seed(3)
    M = random_factor(shape, dtype, g).to_dense()
    P = project(M, shape=shape)
    assert (tuple(P.R.shape), tuple(P.L.shape)) == shape
    assert rel(P.to_dense(), M) <= 1e-10


PERTURB_CASES = [
    (dict(), (16, 16), torch.float64),
    (dict(nblocks=2), (24, 24), torch.complex128),
    (dict(nblocks=4, mid=24), (16, 24), torch.float64),
    (dict(shape=SHAPES[0]), (6, 20), torch.complex128),
]


@pytest.mark.parametrize("kwargs, sizes, dtype", PERTURB_CASES)
def test_perturbations_never_lower_error(kwargs, sizes, dtype):
    """Optimality: 100 random perturbations of the factors, of sizes 1e-4 .. 1e-1, never do better."""
    n_in, n_out = sizes
    g = torch.Generator().manual_seed(11)
    A = torch.randn(n_out, n_in, dtype=dtype, generator=g)
    P = project(A, **kwargs)
    best = (P.to_dense() - A).norm().item()
    for _ in range(100):
        size = 10 ** (-4 + 3 * torch.rand((), generator=g).item())
        R = P.R + size * torch.randn(P.R.shape, dtype=dtype, generator=g)
        L = P.L + size * torch.randn(P.L.shape, dtype=dtype, generator=g)
        error = (Monarch(R, L).to_dense() - A).norm().item()
        assert error >= best * (1 - 1e-12)


def naive_square_projection(A: np.ndarray) -> np.ndarray:
    """REFERENCE.md §1: M[ℓm+j, km+i] = L_j[ℓ, k] R_k[j, i]; rank-1 SVD of each slice At[:, j, k, :]."""
    n = A.shape[0]
    m = math.isqrt(n)
    At = A.reshape(m, m, m, m)  # At[ℓ, j, k, i] = A[ℓm+j, km+i]
    Lj = np.zeros((m, m, m), dtype=A.dtype)  # Lj[j][ℓ, k]
    Rk = np.zeros((m, m, m), dtype=A.dtype)  # Rk[k][j, i]
    for j in range(m):
        for k in range(m):
            u, s, vh = np.linalg.svd(At[:, j, k, :])
            Lj[j][:, k] = u[:, 0] * np.sqrt(s[0])
            Rk[k][j, :] = np.sqrt(s[0]) * vh[0]
    M = np.zeros_like(A)
    for ell in range(m):
        for j in range(m):
            for k in range(m):
                for i in range(m):
                    M[ell * m + j, k * m + i] = Lj[j][ell, k] * Rk[k][j, i]
    return M


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("m", [3, 5])
def test_square_matches_naive_reference(m, dtype):
    rng = np.random.default_rng(m)
    A = rng.standard_normal((m * m, m * m))
    if dtype == np.complex128:
        A = A + 1j * rng.standard_normal((m * m, m * m))
    expected = naive_square_projection(A)
    got = project(torch.from_numpy(A)).to_dense().numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(A).max())


@pytest.mark.parametrize("n1, n2", [(4, 6), (16, 20), (8, 8), (5, 3)])
def test_dft_with_input_permutation_is_monarch(n1, n2):
    """Four-step FFT: F = M Pin with (Pin x) = x[arange(n).view(n1, n2).T.flatten()]."""
    n = n1 * n2
    F = np.fft.fft(np.eye(n), axis=0)  # F[k, j] = exp(-2 pi i jk / n)
    index = np.arange(n).reshape(n1, n2).T.flatten()
    Pin = np.eye(n)[index]  # Pin @ x == x[index]
    A = torch.from_numpy(F @ Pin.T)
    M = project(A, shape=((n2, n1, n1), (n1, n2, n2)))
    assert rel(M.to_dense(), A) <= 1e-12
    x = torch.randn(3, n, dtype=torch.complex128)
    np.testing.assert_allclose(M(x[..., index]).numpy(), np.fft.fft(x.numpy(), axis=-1), atol=1e-10)
    if n1 == n2:  # square n = m^2: the default layout is the same one
        assert rel(project(A).to_dense(), A) <= 1e-12


def test_no_gradient_to_input():
    A = torch.randn(16, 16, dtype=torch.float64, requires_grad=True)
    M = project(A)
    assert not M.R.requires_grad and not M.L.requires_grad


@pytest.mark.parametrize(
    "A, kwargs, message",
    [
        (torch.randn(16), {}, r"2-D matrix .* got \(16,\)"),
        (torch.randn(2, 4, 4), {}, r"2-D matrix .* got \(2, 4, 4\)"),
        (torch.ones(4, 4, dtype=torch.int64), {}, r"got torch.int64"),
        (torch.randn(16, 16), {"nblocks": 5}, r"nblocks=5 must divide both n_in=16 and n_out=16"),
        (torch.randn(12, 16), {"nblocks": 8}, r"nblocks=8 must divide both n_in=16 and n_out=12"),
        (torch.randn(16, 16), {"shape": ((4, 4, 4), (4, 4, 5))}, r"k\*q = l\*r \(16 vs 20\)"),
        (torch.randn(16, 16), {"shape": ((4, 4, 4), (2, 8, 8)), "nblocks": 4}, r"not both"),
        (torch.randn(16, 16), {"shape": (4, 4)}, r"shape must be"),
        (torch.randn(16, 15), {"shape": ((4, 4, 4), (4, 4, 4))}, r"k\*p = n_in \(16 vs 15\)"),
    ],
)
def test_bad_input(A, kwargs, message):
    with pytest.raises(MonarchError, match=message):
        project(A, **kwargs)
    assert issubclass(MonarchError, ValueError)
