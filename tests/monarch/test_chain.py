import pytest
import torch

from monarch_sci import Chain, Monarch, MonarchError
from monarch_sci.monarch import Diagonal, Permutation, RealPart, class_of

from ..conftest import rel_err


def factor(n_in, n_out, gen, dtype=torch.complex128):
    return Monarch.random(n_in, n_out, dtype=dtype, generator=gen)


def test_chain_is_the_product_in_application_order(gen):
    A, B = factor(16, 32, gen), factor(32, 16, gen)
    d = torch.randn(32, dtype=torch.complex128, generator=gen)
    P = Permutation(torch.randperm(16, generator=gen))
    C = Chain([P, A, Diagonal(d), B])
    expected = B.to_dense() @ torch.diag(d) @ A.to_dense() @ P.to_dense().to(torch.complex128)
    assert rel_err(C.to_dense(), expected) < 1e-14
    x = torch.randn(3, 16, dtype=torch.complex128, generator=gen)
    assert rel_err(C(x), x @ expected.T) < 1e-13
    assert rel_err(C.H.to_dense(), expected.conj().T) < 1e-14
    assert rel_err(C.T.to_dense(), expected.T) < 1e-14
    assert rel_err((B @ A).to_dense(), B.to_dense() @ A.to_dense()) < 1e-14


def test_apply_along_any_dim_and_separably(gen):
    M = factor(8, 8, gen)
    D = M.to_dense()
    x = torch.randn(8, 5, 8, dtype=torch.complex128, generator=gen)
    assert rel_err(M(x, dim=0), torch.einsum("ij,jbk->ibk", D, x)) < 1e-13
    assert rel_err(M(x, dim=(0, 2)), torch.einsum("ij,jbk,lk->ibl", D, x, D)) < 1e-13
    with pytest.raises(MonarchError, match="dim 3 is out of range"):
        M(x, dim=3)


def test_adjacent_permutations_merge(gen):
    p, q = torch.randperm(9, generator=gen), torch.randperm(9, generator=gen)
    C = Chain([Permutation(p), Permutation(q), factor(9, 9, gen)])
    assert len(C.stages) == 2
    x = torch.randn(9, dtype=torch.complex128, generator=gen)
    assert torch.equal(C.stages[0](x), x[p][q])


def test_derived_permutations_and_selections_keep_their_meaning(gen):
    from monarch_sci.monarch import Selection

    p, q = torch.randperm(9, generator=gen), torch.randperm(9, generator=gen)
    P, Q = Permutation(p), Permutation(q)
    x = torch.randn(9, dtype=torch.float64, generator=gen)
    assert torch.equal(P.adjoint()(P(x)), x) and torch.equal(P.then(Q)(x), Q(P(x)))
    assert torch.equal(P.to(device="cpu").index, p)
    with pytest.raises(MonarchError, match="compose a permutation of 9 with one of 4"):
        P.then(Permutation(torch.arange(4)))
    with pytest.raises(MonarchError, match="permutation of range"):
        Permutation(torch.tensor([0, 0, 1]))
    S = Selection(torch.tensor([4, 1]), 9)
    assert torch.equal(S(x), x[[4, 1]]) and (S.n_in, S.n_out) == (9, 2)
    St = S.adjoint()
    assert (St.n_in, St.n_out) == (2, 9) and torch.equal(St(S(x))[[4, 1]], x[[4, 1]])
    assert (St.to(device="cpu").n_in, St.adjoint().n_out) == (2, 2)


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_permutation_and_selection_gradients_are_gathers_and_scatters(gen, dtype):
    from monarch_sci.monarch import Selection

    p = torch.randperm(12, generator=gen)
    keep = torch.tensor([7, 0, 11, 3])
    x = torch.randn(2, 5, 12, dtype=dtype, generator=gen, requires_grad=True)
    g = torch.randn(2, 5, 12, dtype=dtype, generator=gen)
    for stage, index in ((Permutation(p), p), (Selection(keep, 12), keep)):
        out = stage(x)
        (grad,) = torch.autograd.grad(out, x, g[..., : out.shape[-1]])
        (expected,) = torch.autograd.grad(x.index_select(-1, index), x, g[..., : out.shape[-1]])
        assert torch.equal(out, x[..., index]) and torch.equal(grad, expected)
        assert torch.autograd.gradgradcheck(lambda x: stage(x) * stage(x), (x,))
        assert torch.equal(torch.func.jacrev(stage)(x[0, 0].detach().real), stage.to_dense().double())
        assert torch.equal(torch.func.vmap(stage)(x.detach()), out.detach())


def test_real_part_stage_is_complex_linear(gen):
    A = Chain([factor(16, 16, gen)])
    Re = RealPart(A)
    x = torch.randn(2, 16, dtype=torch.complex128, generator=gen)
    expected = A.to_dense().real.to(torch.complex128)
    assert rel_err(Re(x), x @ expected.T) < 1e-13
    assert rel_err(Re.H.to_dense(), A.to_dense().real.T) < 1e-14


def test_stage_sizes_must_chain(gen):
    with pytest.raises(MonarchError, match="stage 0 .* outputs length 32 but stage 1 .* expects 16"):
        Chain([factor(16, 32, gen), factor(16, 16, gen)])
    with pytest.raises(MonarchError, match="at least one stage"):
        Chain([])


@pytest.mark.parametrize(
    "tokens,expected",
    [
        (("M",), "M"),
        (("M*",), "MM*"),
        (("M", "M*"), "MM*"),
        (("M*", "M"), "(MM*)^2"),
        (("M", "P"), "(MM*)^2"),
        (("P", "M*"), "(MM*)^2"),
        (("M", "M", "M*"), "(MM*)^2"),
        (("M", "M*", "M", "M*"), "(MM*)^2"),
        (("M", "P", "M*"), "(MM*)^3"),
        (("M", "M", "M"), "(MM*)^3"),
    ],
)
def test_class_of_factor_patterns(tokens, expected):
    assert class_of(tokens, ()) == expected
    assert class_of(tokens, ("dense",)) == "dense"


def test_structure_report(gen):
    M1, M2 = factor(16, 16, gen), factor(16, 16, gen)
    s = Chain([M2.H, M1]).structure
    assert (s.cls, s.factors, s.fixed) == ("MM*", ("M", "M*"), ())
    assert str(s) == "MM* (factors: M·M*; fixed stages: none)"
