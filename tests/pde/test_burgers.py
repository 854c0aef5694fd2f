import math

import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.pde.burgers import Burgers1d

NU = 0.1
MODES = [(1, 0.8, 0.3), (2, 0.5, 1.1), (3, 0.3, -0.7)]  # (k, amplitude, phase) of the heat solution


def cole_hopf(x: torch.Tensor, t: float) -> torch.Tensor:
    """u = −2ν φ_x / φ with φ = 2 + Σ a_k e^{−ν(2πk)²t} cos(2πkx + θ_k) solving φ_t = ν φ_xx (exact Burgers)."""
    phi = 2.0 + sum(
        a * math.exp(-NU * (2 * math.pi * k) ** 2 * t) * torch.cos(2 * math.pi * k * x + th) for k, a, th in MODES
    )
    phi_x = sum(
        -a * 2 * math.pi * k * math.exp(-NU * (2 * math.pi * k) ** 2 * t) * torch.sin(2 * math.pi * k * x + th)
        for k, a, th in MODES
    )
    return -2 * NU * phi_x / phi


def test_matches_cole_hopf_to_1e_6():
    n = 128
    x = torch.arange(n, dtype=torch.float64) / n
    frames, times = Burgers1d(n, NU, dt=1e-3).solve(cole_hopf(x, 0.0)[None], T=1.0, record_every=0.25)
    for r, t in enumerate(times.tolist()):
        exact = cole_hopf(x, t)
        assert (frames[0, r] - exact).norm() / exact.norm() <= 1e-6


def test_etdrk4_is_fourth_order():
    n = 128
    x = torch.arange(n, dtype=torch.float64) / n
    u0 = cole_hopf(x, 0.0)[None]
    exact = cole_hopf(x, 0.5)
    errors = [(Burgers1d(n, NU, dt).solve(u0, 0.5)[0][0, -1] - exact).norm() for dt in (0.02, 0.01)]
    assert 12 < errors[0] / errors[1] < 20


def test_batched_and_float32():
    n = 64
    x = torch.arange(n, dtype=torch.float64) / n
    u0 = torch.stack([cole_hopf(x, 0.0), torch.sin(2 * math.pi * x)])
    f64, _ = Burgers1d(n, NU, 1e-3).solve(u0, 0.2)
    single, _ = Burgers1d(n, NU, 1e-3).solve(u0[1:], 0.2)
    f32, _ = Burgers1d(n, NU, 1e-3, dtype=torch.float32).solve(u0, 0.2)
    assert torch.allclose(f64[1:], single, atol=1e-14)
    assert f32.dtype == torch.float32 and (f32.double() - f64).abs().max() < 1e-5


def test_bad_input():
    with pytest.raises(MonarchError, match=r"shape \(B, 64\)"):
        Burgers1d(64).solve(torch.zeros(64), 1.0)
    with pytest.raises(MonarchError, match="even"):
        Burgers1d(63)
