"""The three generated problems behind the recipes: parameters, per-sample inputs and batched solves.

Each problem turns a recipe's ``params`` (validated against its defaults: an unknown key is an error
listing the valid ones) into the shapes of the stored arrays and a ``generate(indices, seed)`` that
returns ``a`` (B, *space) and ``u`` (B, R, *space) or, for the steady Darcy problem, (B, *space).
Sample i's random input comes from its own generator seeded by (seed, i), drawn on the CPU in float64:
the data do not depend on the chunk size, on resuming, or on the device that solves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import copy
from typing import Callable

import numpy as np
import torch

from ..errors import MonarchError, check_choice
from .burgers import Burgers1d
from .darcy import solve_darcy, threshold_coefficient
from .grf import GaussianRandomField
from .navier_stokes import NavierStokes2d, fno_forcing
from .resample import downsample_periodic, subsample_nodes

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def sample_generator(seed: int, index: int) -> torch.Generator:
    """The CPU generator of sample ``index`` under ``seed`` (numpy SeedSequence spawn-key hashing)."""
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed((int(state[0]) << 31) ^ int(state[1]))


def _merge(kind: str, defaults: dict, params: dict) -> dict:
    out = copy.deepcopy(defaults)
    for key, value in params.items():
        if key not in defaults:
            raise MonarchError(f"unknown {kind} parameter {key!r}; valid: {', '.join(sorted(defaults))}")
        if isinstance(defaults[key], dict):
            if not isinstance(value, dict):
                raise MonarchError(f"{kind} parameter {key!r} must be a mapping like {defaults[key]}, got {value!r}")
            for sub in value:
                if sub not in defaults[key]:
                    raise MonarchError(
                        f"unknown {kind} parameter {key}.{sub}; valid: {', '.join(sorted(defaults[key]))}"
                    )
            out[key].update(value)
        else:
            out[key] = value
    check_choice(f"{kind} dtype", out.get("dtype"), DTYPES)
    return out


class Problem(ABC):
    """Base: ``params`` (complete), ``kind``, ``grid`` ("periodic" or "nodes"), array shapes, record times."""

    kind = ""
    grid = "periodic"
    defaults: dict = {}

    def __init__(self, params: dict):
        self.params = _merge(self.kind, self.defaults, params)
        self.dtype = DTYPES[self.params["dtype"]]

    @property
    def times(self) -> np.ndarray | None:
        """Record times (R,), or None for a steady problem."""
        p = self.params
        return p["record_every"] * np.arange(1, round(p["T"] / p["record_every"]) + 1)

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Per-sample shapes of the stored arrays {"a": ..., "u": ...}."""
        space = (self.params["output_grid"],) * self.space_dims
        times = self.times
        return {"a": space, "u": space if times is None else (len(times), *space)}

    space_dims = 2

    @abstractmethod
    def generate(
        self, indices: range, seed: int, device: str = "cpu", callback: Callable[[float], None] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, outputs) of the samples ``indices``; each depends only on (seed, index)."""


class NavierStokesProblem(Problem):
    """FNO's 2-D Navier–Stokes: a = w(0) (B, s, s), u = w(t_r) (B, R, s, s)."""

    kind = "navier_stokes"
    defaults = {
        "visc": 1e-3,
        "T": 50.0,
        "dt": 1e-4,
        "record_every": 1.0,
        "solver_grid": 256,
        "output_grid": 64,
        "downsample": "subsample",
        "scheme": "euler",
        "dtype": "float32",
        "forcing_amplitude": 0.1,
        "grf": {"alpha": 2.5, "tau": 7.0, "sigma": 2**0.5 * 7**1.5},
        "compile": False,
    }

    def generate(self, indices, seed, device="cpu", callback=None):
        p = self.params
        n = p["solver_grid"]
        grf = GaussianRandomField((n, n), boundary="periodic", **p["grf"])
        w0 = torch.cat([grf.sample(1, sample_generator(seed, i)) for i in indices])
        solver = NavierStokes2d(
            n,
            p["visc"],
            p["dt"],
            fno_forcing(n, p["forcing_amplitude"]),
            device=device,
            dtype=self.dtype,
            scheme=p["scheme"],
            compile=p["compile"],
        )
        progress = None if callback is None else (lambda r, R: callback(1.0 / R))
        u, _ = solver.solve(w0, p["T"], p["record_every"], p["output_grid"], p["downsample"], progress)
        a = downsample_periodic(w0, p["output_grid"], p["downsample"]).to(self.dtype)
        return a, u.cpu()


class BurgersProblem(Problem):
    """FNO's 1-D Burgers: a = u(0) (B, s), u = u(t_r) (B, R, s)."""

    kind = "burgers"
    space_dims = 1
    defaults = {
        "visc": 0.1,
        "T": 1.0,
        "dt": 1e-4,
        "record_every": 1.0,
        "solver_grid": 8192,
        "output_grid": 8192,
        "downsample": "subsample",
        "dtype": "float64",
        "grf": {"alpha": 2.0, "tau": 5.0, "sigma": 25.0},
    }

    def generate(self, indices, seed, device="cpu", callback=None):
        p = self.params
        grf = GaussianRandomField(p["solver_grid"], boundary="periodic", **p["grf"])
        u0 = torch.cat([grf.sample(1, sample_generator(seed, i)) for i in indices])
        solver = Burgers1d(p["solver_grid"], p["visc"], p["dt"], device=device, dtype=self.dtype)
        progress = None if callback is None else (lambda r, R: callback(1.0 / R))
        u, _ = solver.solve(u0, p["T"], p["record_every"], p["output_grid"], p["downsample"], progress)
        a = downsample_periodic(u0, p["output_grid"], p["downsample"], ndim=1).to(self.dtype)
        return a, u.cpu()


class DarcyProblem(Problem):
    """FNO's 2-D Darcy flow: a = coefficient (B, s, s) on nodes, u = solution (B, s, s)."""

    kind = "darcy"
    grid = "nodes"
    defaults = {
        "solver_grid": 421,
        "output_grid": 421,
        "high": 12.0,
        "low": 3.0,
        "source": 1.0,
        "dtype": "float32",
        "grf": {"alpha": 2.0, "tau": 3.0, "sigma": 3.0},
    }

    @property
    def times(self):
        return None

    def generate(self, indices, seed, device="cpu", callback=None):
        p = self.params
        K = p["solver_grid"]
        grf = GaussianRandomField((K, K), boundary="neumann", **p["grf"])
        field = torch.cat([grf.sample(1, sample_generator(seed, i)) for i in indices])
        a = threshold_coefficient(field, p["high"], p["low"])
        progress = None if callback is None else (lambda i, B: callback(1.0 / B))
        u = solve_darcy(a, p["source"], progress)
        s = p["output_grid"]
        return subsample_nodes(a, s).to(self.dtype), subsample_nodes(u, s).to(self.dtype)


PROBLEMS: dict[str, type[Problem]] = {cls.kind: cls for cls in (NavierStokesProblem, BurgersProblem, DarcyProblem)}


def make_problem(kind: str, params: dict) -> Problem:
    """The problem of ``kind`` with ``params`` merged into its defaults."""
    if kind not in PROBLEMS:
        raise MonarchError(f"unknown problem kind {kind!r}; valid: {', '.join(sorted(PROBLEMS))}")
    return PROBLEMS[kind](params)
