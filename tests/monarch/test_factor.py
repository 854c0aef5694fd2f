import pytest
import torch

from monarch_sci import Monarch, MonarchError
from monarch_sci.monarch.apply import IMPLEMENTATIONS

from ..conftest import rel_err

# (R shape, L shape): square m^2, other block counts, rectangular, non-power-of-two
SHAPES = {
    "square": ((4, 4, 4), (4, 4, 4)),
    "two-blocks": ((2, 8, 8), (2, 8, 8)),
    "rect-out>in": ((3, 4, 5), (4, 6, 3)),
    "rect-in>out": ((6, 2, 3), (4, 7, 3)),
    "uneven": ((2, 3, 4), (3, 5, 2)),
}


def random_factor(shape, dtype, gen):
    (rs, ls) = SHAPES[shape]
    return Monarch(torch.randn(*rs, dtype=dtype, generator=gen), torch.randn(*ls, dtype=dtype, generator=gen))


def test_square_case_is_P_L_Pt_R(gen):
    m = 5
    n = m * m
    R, L = torch.randn(m, m, m, dtype=torch.float64, generator=gen), torch.randn(m, m, m, dtype=torch.float64, generator=gen)
    P = torch.eye(n, dtype=torch.float64)[torch.arange(n).reshape(m, m).T.reshape(-1)]  # view (m, m), transpose
    expected = P @ torch.block_diag(*L) @ P.T @ torch.block_diag(*R)
    assert torch.allclose(P, P.T)
    assert rel_err(Monarch(R, L).to_dense(), expected) < 1e-15


def test_tensor_view_of_the_square_case(gen):
    m = 3
    R, L = torch.randn(m, m, m, dtype=torch.float64, generator=gen), torch.randn(m, m, m, dtype=torch.float64, generator=gen)
    D = Monarch(R, L).to_dense()
    for l, j, k, i in torch.cartesian_prod(*[torch.arange(m)] * 4).tolist():
        assert D[l * m + j, k * m + i] == pytest.approx((L[j, l, k] * R[k, j, i]).item())


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_apply_matches_dense(shape, dtype, impl, gen):
    M = random_factor(shape, dtype, gen)
    M.impl = impl
    D = M.to_dense()
    x = torch.randn(2, 3, M.n_in, dtype=dtype, generator=gen)
    assert rel_err(M(x), x @ D.T) < 1e-12
    y = torch.randn(4, M.n_out, dtype=dtype, generator=gen)
    assert rel_err(M.H(y), y @ D.conj()) < 1e-12
    assert rel_err(M.H.to_dense(), D.conj().T) < 1e-15
    assert rel_err(M.T.to_dense(), D.T) < 1e-15
    assert M.H.H.to_dense().equal(D)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_bmm_matches_einsum_reference(shape, gen):
    M = random_factor(shape, torch.complex128, gen)
    x = torch.randn(7, M.n_in, dtype=torch.complex128, generator=gen)
    outs = {impl: Monarch(M.R, M.L, impl=impl)(x) for impl in IMPLEMENTATIONS}
    assert rel_err(outs["bmm"], outs["einsum"]) < 1e-14


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_gradcheck(impl, adjoint, dtype, gen):
    (rs, ls) = SHAPES["rect-out>in"]
    R = torch.randn(*rs, dtype=dtype, generator=gen, requires_grad=True)
    L = torch.randn(*ls, dtype=dtype, generator=gen, requires_grad=True)
    n = 24 if adjoint else 15
    x = torch.randn(2, n, dtype=dtype, generator=gen, requires_grad=True)
    f = lambda R, L, x: Monarch(R, L, adjoint=adjoint, impl=impl)(x)  # noqa: E731
    assert torch.autograd.gradcheck(f, (R, L, x))


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.bfloat16, 3e-2), (torch.complex64, 1e-5)])
def test_low_precision_against_float64(dtype, tol, gen):
    M = random_factor("square", dtype, gen)
    x = torch.randn(5, 16, generator=gen).to(dtype)
    exact = Monarch(M.R.to(torch.complex128), M.L.to(torch.complex128))(x.to(torch.complex128))
    assert M(x).dtype == dtype
    assert rel_err(M(x).to(torch.complex128), exact) < tol


def test_real_input_meets_complex_factor(gen):
    M = random_factor("square", torch.complex128, gen)
    x = torch.randn(3, 16, dtype=torch.float64, generator=gen)
    assert rel_err(M(x), x.to(torch.complex128) @ M.to_dense().T) < 1e-12


def test_random_init_preserves_variance(gen):
    for n_in, n_out, dtype in [(1024, 1024, torch.float64), (256, 512, torch.float64), (1024, 1024, torch.complex128)]:
        M = Monarch.random(n_in, n_out, dtype=dtype, generator=gen)
        x = torch.randn(256, n_in, dtype=dtype, generator=gen)
        ratio = M(x).abs().pow(2).mean() / x.abs().pow(2).mean()
        assert 0.9 < ratio.item() < 1.1


def test_random_block_choice():
    M = Monarch.random(4096)
    assert M.R.shape == (64, 64, 64) and M.L.shape == (64, 64, 64)
    M = Monarch.random(96, 48, nblocks=4)
    assert (M.n_in, M.n_out) == (96, 48) and M.R.shape == (4, 12, 24) and M.L.shape == (4, 12, 12)


def test_from_kron(gen):
    A, B = torch.randn(3, 2, dtype=torch.float64, generator=gen), torch.randn(4, 5, dtype=torch.float64, generator=gen)
    assert rel_err(Monarch.from_kron(A, B).to_dense(), torch.kron(A, B)) < 1e-15


def test_folding_diagonals_and_permutations(gen):
    M = Monarch(torch.randn(4, 4, 4, dtype=torch.complex128, generator=gen), torch.randn(4, 4, 4, dtype=torch.complex128, generator=gen))
    D = M.to_dense()
    d = torch.randn(16, dtype=torch.complex128, generator=gen)
    assert rel_err(M.scale_input(d).to_dense(), D * d) < 1e-15
    assert rel_err(M.scale_output(d).to_dense(), d[:, None] * D) < 1e-15
    assert rel_err(M.H.scale_input(d).to_dense(), D.conj().T * d) < 1e-15
    assert rel_err(M.H.scale_output(d).to_dense(), d[:, None] * D.conj().T) < 1e-15
    reverse = torch.arange(15, -1, -1)
    assert rel_err(M.permute_outputs(reverse).to_dense(), D[reverse]) < 1e-15
    assert rel_err(M.select_rows(torch.arange(2)).to_dense(), D[:8]) < 1e-15
    assert rel_err(M.select_rows(torch.tensor([3, 1])).to_dense(), D[[12, 13, 14, 15, 4, 5, 6, 7]]) < 1e-15
    with pytest.raises(MonarchError, match="mixes L blocks"):
        M.permute_outputs(torch.tensor([1, 0] + list(range(2, 16))))
    with pytest.raises(MonarchError, match=r"row indices in \[0, 4\), got \[4\]"):
        M.select_rows(torch.tensor([4]))


def test_bad_input_messages(gen):
    R, L = torch.randn(4, 4, 4, generator=gen), torch.randn(4, 4, 4, generator=gen)
    with pytest.raises(MonarchError, match=r"R \(3, 4, 5\) gives k\*q = 12.*L \(4, 4, 4\) expects l\*r = 16"):
        Monarch(torch.randn(3, 4, 5), L)
    with pytest.raises(MonarchError, match="3-D tensor"):
        Monarch(torch.randn(4, 4), L)
    with pytest.raises(MonarchError, match="share a dtype"):
        Monarch(R.double(), L)
    M = Monarch(R, L)
    with pytest.raises(MonarchError, match=r"expects size 16 along dim -1, got an input of shape \(3, 15\)"):
        M(torch.randn(3, 15))
    with pytest.raises(MonarchError, match="dtype torch.float32 but the input has dtype torch.float64"):
        M(torch.randn(3, 16, dtype=torch.float64))
    with pytest.raises(MonarchError, match="lives on cpu but the input is on meta"):
        M(torch.empty(3, 16, device="meta"))
    with pytest.raises(MonarchError, match=r"nblocks=3 must divide both n_in=16 and n_out=16; valid block counts are \[1, 2, 4, 8, 16\]"):
        Monarch.random(16, nblocks=3)
    with pytest.raises(MonarchError, match="unknown impl"):
        Monarch(R, L, impl="cuda")
    assert issubclass(MonarchError, ValueError)
