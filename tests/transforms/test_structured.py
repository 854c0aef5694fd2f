"""Hadamard, circulant, Toeplitz, Fastfood, (HD)^3, AFDF, ACDC against their dense definitions."""

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import torch

import monarch_sci as ms
from monarch_sci import MonarchError

RNG = np.random.default_rng(7)


def dense(T):
    return T.to_dense().numpy()


def close(a, b, tol=1e-12):
    return np.abs(a - b).max() <= tol * max(1.0, np.abs(b).max())


@pytest.mark.parametrize("n", [1, 2, 4, 16, 64, 256, 1024])
def test_hadamard_matches_scipy(n):
    assert np.array_equal(dense(ms.transforms.hadamard(n, dtype=torch.float64)), scipy.linalg.hadamard(n))
    H = dense(ms.transforms.hadamard(n, norm="ortho", dtype=torch.float64))
    assert close(H @ H.T, np.eye(n))


@pytest.mark.parametrize("n", [1, 2, 5, 6, 16, 30, 97, 100])
@pytest.mark.parametrize("complex_", [False, True])
def test_circulant_matches_scipy(n, complex_):
    c = RNG.standard_normal(n) + (1j * RNG.standard_normal(n) if complex_ else 0)
    C = ms.transforms.circulant(torch.from_numpy(c))
    x = RNG.standard_normal((3, n))
    assert close(dense(C), scipy.linalg.circulant(c))
    assert close(C(torch.from_numpy(x)).numpy(), x @ scipy.linalg.circulant(c).T)
    assert C(torch.from_numpy(x)).is_complex() == complex_


@pytest.mark.parametrize("m,n", [(1, 1), (2, 2), (7, 7), (16, 16), (30, 12), (12, 30), (100, 100)])
@pytest.mark.parametrize("complex_", [False, True])
def test_toeplitz_matches_scipy(m, n, complex_):
    c = RNG.standard_normal(m) + (1j * RNG.standard_normal(m) if complex_ else 0)
    r = RNG.standard_normal(n) + (1j * RNG.standard_normal(n) if complex_ else 0)
    T = ms.transforms.toeplitz(torch.from_numpy(c), torch.from_numpy(r))
    x = RNG.standard_normal((2, n))
    assert close(dense(T), scipy.linalg.toeplitz(c, r))
    assert close(T(torch.from_numpy(x)).numpy(), x @ scipy.linalg.toeplitz(c, r).T)


def test_toeplitz_default_row_is_conj_column():
    c = RNG.standard_normal(6) + 1j * RNG.standard_normal(6)
    assert close(dense(ms.transforms.toeplitz(torch.from_numpy(c))), scipy.linalg.toeplitz(c))


@pytest.mark.parametrize("n", [4, 16, 64, 256])
def test_fastfood_matches_definition(n):
    H = scipy.linalg.hadamard(n).astype(float)
    B, G, S = np.sign(RNG.standard_normal(n)), RNG.standard_normal(n), RNG.random(n)
    perm = RNG.permutation(n)
    V = ms.transforms.fastfood(n, *map(torch.from_numpy, (B, G, S)), perm=torch.from_numpy(perm), dtype=torch.float64)
    expected = np.diag(S) @ H @ np.diag(G) @ np.eye(n)[perm] @ H @ np.diag(B)
    assert close(dense(V), expected)


def test_fastfood_default_permutation_is_a_monarch_permutation():
    V = ms.transforms.fastfood(64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Pi = V.stages[1].to_dense().numpy()
    assert np.array_equal(np.sort(Pi, axis=1)[:, -1], np.ones(64)) and np.array_equal(Pi.sum(0), np.ones(64))


@pytest.mark.parametrize("n", [4, 64, 256])
def test_hd3_matches_definition(n):
    H = scipy.linalg.hadamard(n) / np.sqrt(n)
    D1, D2, D3 = RNG.standard_normal((3, n))
    V = ms.transforms.hd3(n, *map(torch.from_numpy, (D1, D2, D3)), dtype=torch.float64)
    assert close(dense(V), H @ np.diag(D1) @ H @ np.diag(D2) @ H @ np.diag(D3))


@pytest.mark.parametrize("n", [4, 5, 6, 16, 17, 100])
def test_afdf_and_acdc_match_definitions(n):
    A, D = RNG.standard_normal(n) + 1j * RNG.standard_normal(n), RNG.standard_normal(n) + 1j * RNG.standard_normal(n)
    F = scipy.fft.fft(np.eye(n), axis=0)
    V = ms.transforms.afdf(n, torch.from_numpy(A), torch.from_numpy(D), dtype=torch.complex128)
    assert close(dense(V), np.diag(A) @ F @ np.diag(D) @ np.linalg.inv(F))
    a, d = RNG.standard_normal(n), RNG.standard_normal(n)
    C = scipy.fft.dct(np.eye(n), norm="ortho", axis=0)
    V = ms.transforms.acdc(n, torch.from_numpy(a), torch.from_numpy(d), dtype=torch.float64)
    assert close(dense(V), np.diag(a) @ C @ np.diag(d) @ C.T)


BOUND = {"M": 1, "MM*": 2, "(MM*)^2": 4}


def constructions():
    g = torch.Generator().manual_seed(0)
    c = torch.randn(64, generator=g)
    return {
        "dft": ms.transforms.dft(64),
        "dct": ms.transforms.dct(64),
        "dst": ms.transforms.dst(64, type=3),
        "hadamard": ms.transforms.hadamard(64),
        "circulant": ms.transforms.circulant(c),
        "toeplitz": ms.transforms.toeplitz(c, torch.randn(64, generator=g)),
        "afdf": ms.transforms.afdf(64, generator=g),
        "fastfood": ms.transforms.fastfood(64, generator=g),
        "acdc": ms.transforms.acdc(64, generator=g),
        "hd3": ms.transforms.hd3(64, generator=g),
    }


@pytest.mark.parametrize("kind,T", sorted(constructions().items()))
def test_class_matches_proposition_3_2(kind, T):
    claimed = ms.transforms.PROPOSITION_3_2[kind]
    s = T.structure
    # the construction lies in the class the paper names, or in a smaller one
    assert list(BOUND).index(s.cls) <= list(BOUND).index(claimed)
    assert len(s.factors) <= BOUND[s.cls]
    assert not s.dense


def test_hadamard_is_in_M_itself():
    assert ms.transforms.hadamard(64).structure.cls == "M"


def test_bad_arguments():
    with pytest.raises(MonarchError, match="power of 2"):
        ms.transforms.hadamard(12)
    with pytest.raises(MonarchError, match=r"fastfood G must have shape \(16,\), got \(8,\)"):
        ms.transforms.fastfood(16, G=torch.ones(8))
    with pytest.raises(MonarchError, match="1-D"):
        ms.transforms.circulant(torch.ones(3, 3))
    with pytest.raises(MonarchError, match="real diagonals"):
        ms.transforms.acdc(8, A=torch.ones(8, dtype=torch.complex128))
