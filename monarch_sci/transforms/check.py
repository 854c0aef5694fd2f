"""Check a construction against its numpy / scipy reference: the registry behind `monarch-sci transforms check`."""

from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.fft
import scipy.linalg
import torch

from ..errors import MonarchError
from ..monarch import Chain
from .convolution import circulant, toeplitz
from .dct import dct, dst
from .dft import dft
from .hadamard import hadamard
from .random_features import acdc, afdf, fastfood, hd3


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a)


def _trig(kind: str, type: int) -> Callable:
    def build(n, rng):
        chain = (dct if kind == "dct" else dst)(n, type=type, norm="ortho", dtype=torch.float64)
        return chain, getattr(scipy.fft, kind)(np.eye(n), type=type, norm="ortho", axis=0)

    return build


def _fastfood(n, rng):
    B, G, S = np.sign(rng.standard_normal(n)), rng.standard_normal(n), rng.random(n)
    chain = fastfood(n, _t(B), _t(G), _t(S), generator=torch.Generator().manual_seed(int(rng.integers(2**31))), dtype=torch.float64)
    Pi = chain.stages[1].to_dense().numpy()
    H = scipy.linalg.hadamard(n)
    return chain, np.diag(S) @ H @ np.diag(G) @ Pi @ H @ np.diag(B)


def _hd3(n, rng):
    D = rng.standard_normal((3, n))
    H = scipy.linalg.hadamard(n) / np.sqrt(n)
    return hd3(n, *map(_t, D), dtype=torch.float64), H @ np.diag(D[0]) @ H @ np.diag(D[1]) @ H @ np.diag(D[2])


def _afdf(n, rng):
    A, D = rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))
    F = scipy.fft.fft(np.eye(n), axis=0)
    return afdf(n, _t(A), _t(D), dtype=torch.complex128), np.diag(A) @ F @ np.diag(D) @ scipy.fft.ifft(np.eye(n), axis=0)


def _acdc(n, rng):
    A, D = rng.standard_normal((2, n))
    C = scipy.fft.dct(np.eye(n), norm="ortho", axis=0)
    return acdc(n, _t(A), _t(D), dtype=torch.float64), np.diag(A) @ C @ np.diag(D) @ C.T


def _circulant(n, rng):
    c = rng.standard_normal(n)
    return circulant(_t(c)), scipy.linalg.circulant(c)


def _toeplitz(n, rng):
    c, r = rng.standard_normal((2, n))
    return toeplitz(_t(c), _t(r)), scipy.linalg.toeplitz(c, r)


CHECKS: dict[str, Callable[[int, np.random.Generator], tuple[Chain, np.ndarray]]] = {
    "dft": lambda n, rng: (dft(n, dtype=torch.complex128), scipy.fft.fft(np.eye(n), axis=0)),
    "idft": lambda n, rng: (dft(n, inverse=True, dtype=torch.complex128), scipy.fft.ifft(np.eye(n), axis=0)),
    "dft-centered": lambda n, rng: (
        dft(n, norm="ortho", centered=True, dtype=torch.complex128),
        np.fft.fftshift(np.fft.fft(np.fft.ifftshift(np.eye(n), axes=0), axis=0, norm="ortho"), axes=0),
    ),
    "dct": _trig("dct", 2),
    "dct3": _trig("dct", 3),
    "dst": _trig("dst", 2),
    "dst3": _trig("dst", 3),
    "hadamard": lambda n, rng: (hadamard(n, dtype=torch.float64), scipy.linalg.hadamard(n)),
    "circulant": _circulant,
    "toeplitz": _toeplitz,
    "fastfood": _fastfood,
    "hd3": _hd3,
    "afdf": _afdf,
    "acdc": _acdc,
}


def check(kind: str, n: int, seed: int = 0) -> dict:
    """Build ``kind`` at size n in float64 and compare its dense form with the numpy/scipy reference.

    Returns {"kind", "n", "structure", "class", "factors", "fixed", "parameters", "dense_parameters",
    "max_abs_error"}; "parameters" counts the entries of all Monarch factors.
    """
    if kind not in CHECKS:
        raise MonarchError(f"unknown transform {kind!r}; valid kinds: {', '.join(sorted(CHECKS))}")
    chain, reference = CHECKS[kind](n, np.random.default_rng(seed))
    error = float(np.abs(chain.to_dense().numpy() - reference).max())
    s = chain.structure
    return {
        "kind": kind,
        "n": n,
        "structure": str(s),
        "class": s.cls,
        "factors": list(s.factors),
        "fixed": list(s.fixed),
        "parameters": chain.numel if not s.dense else n * n,
        "dense_parameters": n * n,
        "max_abs_error": error,
    }
