"""Batched conjugate gradient: the solution of a Hermitian positive definite system, stopping rules, errors."""

import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.linops import FFT, Identity, Multiply
from monarch_sci.mri.cg import conjugate_gradient


def _system(n=12, seed=0):
    """A = Fᴴ diag(d) F + ½ I (Hermitian positive definite, not diagonal) and its dense matrix."""
    g = torch.Generator().manual_seed(seed)
    d = torch.rand(n, generator=g, dtype=torch.float64) + 0.1
    F = FFT((n,), (-1,), norm="ortho")
    A = F.H @ Multiply(d.to(torch.complex128), (n,)) @ F + 0.5 * Identity((n,))
    dense = A(torch.eye(n, dtype=torch.complex128)).T  # column j = A e_j
    return A, dense


def test_cg_solves_a_batched_hermitian_system_like_a_dense_solve():
    A, dense = _system()
    b = torch.randn(3, 12, dtype=torch.complex128, generator=torch.Generator().manual_seed(1))
    x, iterations = conjugate_gradient(A, b, max_iter=50, tol=1e-12)
    expected = torch.linalg.solve(dense, b.T).T
    torch.testing.assert_close(x, expected, rtol=1e-9, atol=1e-10)
    assert 1 <= iterations <= 13  # at most n (+1 for the check) steps in exact arithmetic


def test_cg_with_zero_tolerance_runs_exactly_max_iter_and_keeps_a_converged_solution():
    A, dense = _system()
    b = torch.randn(2, 12, dtype=torch.complex128, generator=torch.Generator().manual_seed(2))
    x, iterations = conjugate_gradient(A, b, max_iter=40, tol=0.0)  # far past convergence: residual hits 0 or round-off
    assert iterations == 40
    torch.testing.assert_close(x, torch.linalg.solve(dense, b.T).T, rtol=1e-9, atol=1e-10)
    x3, iterations3 = conjugate_gradient(A, b, max_iter=3, tol=0.0)
    assert iterations3 == 3 and not torch.allclose(x3, x)  # a fixed, truncated K (the learned models' setting)


def test_cg_stops_at_once_on_a_zero_right_hand_side_and_rejects_non_square_operators():
    A, _ = _system()
    x, iterations = conjugate_gradient(A, torch.zeros(12, dtype=torch.complex128), tol=1e-6)
    assert iterations == 0 and not x.abs().any()
    with pytest.raises(MonarchError, match="square operator"):
        conjugate_gradient(Multiply(torch.ones(3, 4), (4,)), torch.zeros(4))  # (4,) -> (3, 4)


def test_fixed_iteration_cg_is_differentiable_in_the_right_hand_side():
    A, _ = _system(n=6)
    b = torch.randn(2, 6, dtype=torch.complex128, generator=torch.Generator().manual_seed(3), requires_grad=True)
    assert torch.autograd.gradcheck(lambda rhs: conjugate_gradient(A, rhs, max_iter=3, tol=0.0)[0], (b,))


def test_cg_takes_a_lazily_conjugated_right_hand_side():
    A, dense = _system(n=6)
    b = torch.randn(6, dtype=torch.complex128, generator=torch.Generator().manual_seed(4))
    x, _ = conjugate_gradient(A, b.conj(), max_iter=20, tol=1e-12)
    torch.testing.assert_close(x, torch.linalg.solve(dense, b.conj()), rtol=1e-9, atol=1e-10)
