"""Section 3.4 factorization of MM*: reconstruction, the returned structure, and every failed assumption."""

import math

import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.monarch.factor import Monarch
from monarch_sci.monarch.factorize import factorize_mm_star

DTYPES = [torch.float64, torch.complex128]


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


def paper_mm_star(L1, R, L2):
    """A = (P L1 P^T) R (P L2 P^T) from explicit matrices: P the (m, m)-transpose permutation."""
    m = L1.shape[0]
    n = m * m
    P = torch.eye(n, dtype=L1.dtype)[torch.arange(n).reshape(m, m).T.flatten()]
    blocks = [torch.block_diag(*W) for W in (L1, R, L2)]
    return P @ blocks[0] @ P.T @ blocks[1] @ P @ blocks[2] @ P.T


def random_blocks(m, dtype, generator):
    return torch.randn(3, m, m, m, dtype=dtype, generator=generator)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [16, 64, 256])
def test_reconstructs_paper_structure(n, dtype):
    m = math.isqrt(n)
    g = torch.Generator().manual_seed(n)
    L1, R, L2 = random_blocks(m, dtype, g)
    A = paper_mm_star(L1, R, L2)
    C = factorize_mm_star(A, generator=g)
    assert C.dtype == torch.complex128
    assert rel(C.to_dense(), A.to(torch.complex128)) <= 1e-8


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [16, 64, 256])
def test_reconstructs_product_of_random_factors(n, dtype):
    g = torch.Generator().manual_seed(n + 1)
    M1, M2 = (Monarch.random(n, dtype=dtype, generator=g) for _ in range(2))
    A = M1.to_dense() @ M2.to_dense().mH
    C = factorize_mm_star(A, generator=g)
    x = torch.randn(5, n, dtype=torch.complex128, generator=g)
    assert rel(C(x), x @ A.to(x.dtype).T) <= 1e-8


def test_returned_chain_is_m1_times_m2_adjoint():
    """Chain([M2.H, M1]) with M1 = Monarch(R, L1) and M2 = Monarch(I, L2^H): M1 @ M2^H, class MM*."""
    g = torch.Generator().manual_seed(0)
    L1, R, L2 = random_blocks(4, torch.float64, g)
    C = factorize_mm_star(paper_mm_star(L1, R, L2), generator=g)
    first, second = C.stages
    assert isinstance(first, Monarch) and first.adjoint_flag and isinstance(second, Monarch)
    assert torch.equal(first.R, torch.eye(4, dtype=torch.complex128).expand(4, 4, 4))
    assert C.structure.cls == "MM*" and C.structure.factors == ("M", "M*")
    dense = second.to_dense() @ first.to_dense()
    assert rel(dense, C.to_dense()) <= 1e-14


def test_float32_gives_complex64():
    g = torch.Generator().manual_seed(1)
    L1, R, L2 = random_blocks(4, torch.float64, g)
    A = paper_mm_star(L1, R, L2).float()
    C = factorize_mm_star(A, rtol=1e-3, generator=g)
    assert C.dtype == torch.complex64
    assert rel(C.to_dense(), A.to(torch.complex64)) <= 1e-3


def test_singular_pivot_block_is_avoided():
    """Block (0, 0) of P A P is zero (R[:, 0, 0] = 0); the pivot row/column moves elsewhere."""
    g = torch.Generator().manual_seed(2)
    L1, R, L2 = random_blocks(8, torch.float64, g)
    R[:, 0, 0] = 0
    A = paper_mm_star(L1, R, L2)
    assert rel(factorize_mm_star(A, generator=g).to_dense(), A.to(torch.complex128)) <= 1e-8


def test_singular_block_in_every_row_is_an_error():
    """R[0, i, i] = 0 makes every diagonal block (i, i) of P A P singular."""
    g = torch.Generator().manual_seed(3)
    L1, R, L2 = random_blocks(8, torch.float64, g)
    R[0, torch.arange(8), torch.arange(8)] = 0
    with pytest.raises(MonarchError, match=r"singular or badly conditioned block; .* condition number"):
        factorize_mm_star(paper_mm_star(L1, R, L2), generator=g)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_matrix_is_not_in_mm_star(dtype):
    g = torch.Generator().manual_seed(4)
    A = torch.randn(64, 64, dtype=dtype, generator=g)
    with pytest.raises(MonarchError, match=r"A is not in MM\*"):
        factorize_mm_star(A, generator=g)


def test_small_departure_fails_the_tolerance():
    """A tiny dense perturbation passes the diagonal check but not the final rtol check."""
    g = torch.Generator().manual_seed(5)
    L1, R, L2 = random_blocks(4, torch.float64, g)
    A = paper_mm_star(L1, R, L2)
    A = A + 1e-8 * A.norm() / 16 * torch.randn(16, 16, dtype=torch.float64, generator=g)
    with pytest.raises(MonarchError, match=r"not in MM\* to tolerance: relative error"):
        factorize_mm_star(A, rtol=1e-10, generator=g)
    assert rel(factorize_mm_star(A, generator=g).to_dense(), A.to(torch.complex128)) <= 1e-6


def test_unseparated_eigenvalues_are_an_error():
    """All blocks of R equal: the diagonal factor cannot tell the m positions apart."""
    g = torch.Generator().manual_seed(6)
    L1, R, L2 = random_blocks(4, torch.float64, g)
    R = R[:1].expand(4, 4, 4)
    with pytest.raises(MonarchError, match=r"not separated: relative gap"):
        factorize_mm_star(paper_mm_star(L1, R, L2), generator=g)


@pytest.mark.parametrize(
    "A, message",
    [
        (torch.randn(10, 10), r"n = m\^2 \(a perfect square\), got n = 10"),
        (torch.randn(4, 6), r"square matrix \(n, n\), got \(4, 6\)"),
        (torch.randn(16), r"square matrix \(n, n\), got \(16,\)"),
        (torch.ones(4, 4, dtype=torch.int64), r"got torch.int64"),
    ],
)
def test_bad_input(A, message):
    with pytest.raises(MonarchError, match=message):
        factorize_mm_star(A)
