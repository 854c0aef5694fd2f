"""Relative L2 / H1 pinned against neuraloperator's LpLoss / H1Loss with numbers."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.train import H1Loss, LpLoss, relative_h1, relative_l2

neuralop = pytest.importorskip("neuralop", reason="neuraloperator is a test dependency")


def test_relative_l2_matches_neuraloperator(gen):
    from neuralop.losses import LpLoss as TheirLp

    pred, y = torch.randn(5, 1, 16, 12, generator=gen), torch.randn(5, 1, 16, 12, generator=gen)
    for reduction in ("sum", "mean"):
        theirs = TheirLp(d=2, p=2, reduction=reduction, eps=0.0)(pred, y)
        assert torch.allclose(LpLoss(reduction)(pred, y), theirs, rtol=1e-6)
    manual = torch.stack([(p - t).norm() / t.norm() for p, t in zip(pred, y)])
    assert torch.allclose(relative_l2(pred, y), manual, rtol=1e-6)


@pytest.mark.parametrize("d,shape", [(1, (4, 1, 32)), (2, (4, 1, 16, 12))])
def test_relative_h1_matches_neuraloperator(d, shape, gen):
    from neuralop.losses import H1Loss as TheirH1

    pred, y = torch.randn(*shape, generator=gen), torch.randn(*shape, generator=gen)
    theirs = TheirH1(d=d, reduction="sum", eps=0.0)(pred, y)
    assert torch.allclose(H1Loss(d, "sum")(pred, y), theirs, rtol=1e-5)
    assert relative_h1(pred, y, d).shape == (4,)


def test_per_sample_reductions_and_exact_values():
    y = torch.ones(3, 2, 4, 4)
    assert torch.allclose(LpLoss("none")(1.5 * y, y), torch.full((3,), 0.5))
    assert LpLoss("sum")(1.5 * y, y).item() == pytest.approx(1.5)
    assert LpLoss("mean")(1.5 * y, y).item() == pytest.approx(0.5)


def test_bad_input():
    with pytest.raises(MonarchError, match=r"prediction shape \(2, 3\) differs from target shape \(2, 4\)"):
        relative_l2(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(MonarchError, match="reduction must be one of"):
        LpLoss("median")
    with pytest.raises(MonarchError, match="ndim must be between 1 and 2"):
        relative_h1(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), ndim=3)
