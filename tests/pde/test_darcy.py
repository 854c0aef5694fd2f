import math

import numpy as np
import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.pde.darcy import darcy_matrix, solve_darcy, threshold_coefficient

PI = math.pi


def manufactured(K):
    """a = 1 + x + 2y², u = sin(πx) sin(πy), f = −∇·(a∇u) on the K × K node grid."""
    x = torch.linspace(0, 1, K, dtype=torch.float64)
    X, Y = torch.meshgrid(x, x, indexing="ij")
    a = 1 + X + 2 * Y**2
    u = torch.sin(PI * X) * torch.sin(PI * Y)
    f = (
        2 * PI**2 * a * u
        - PI * torch.cos(PI * X) * torch.sin(PI * Y)
        - 4 * PI * Y * torch.sin(PI * X) * torch.cos(PI * Y)
    )
    return a, u, f


def test_second_order_convergence():
    errors = []
    for K in (17, 33, 65):
        a, u, f = manufactured(K)
        errors.append((solve_darcy(a[None], f)[0] - u).abs().max().item())
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(len(errors) - 1)]
    assert all(1.9 < p < 2.1 for p in orders), orders


def test_matrix_is_symmetric_positive_definite():
    a = threshold_coefficient(torch.randn(12, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
    A = darcy_matrix(a.numpy()).toarray()
    assert np.allclose(A, A.T) and np.linalg.eigvalsh(A).min() > 0


def test_constant_coefficient_is_poisson_and_batched():
    a = torch.stack([torch.ones(33, 33), 4 * torch.ones(33, 33)]).double()
    u = solve_darcy(a)
    assert torch.allclose(u[0], 4 * u[1], atol=1e-14)
    assert u[:, 0].abs().max() == 0 and u[:, :, -1].abs().max() == 0
    assert u[0, 16, 16].item() == pytest.approx(0.0737, abs=2e-4)  # −Δu = 1 on the unit square: u(½, ½) ≈ 0.07367


def test_threshold_is_12_and_3():
    field = torch.tensor([[-1.0, 0.0], [2.0, -0.1]])
    assert threshold_coefficient(field).tolist() == [[3.0, 12.0], [12.0, 3.0]]


def test_bad_coefficient():
    with pytest.raises(MonarchError, match="positive"):
        solve_darcy(torch.zeros(1, 9, 9))
    with pytest.raises(MonarchError, match=r"\(B, K, K\)"):
        solve_darcy(torch.ones(9, 9))
