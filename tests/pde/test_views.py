import pytest
import torch
from torch.utils.data import DataLoader

from monarch_sci.errors import MonarchError
from monarch_sci.pde import (
    OneStepPairs,
    PDEData,
    PDESample,
    SpaceTimeBlocks,
    SteadyPairs,
    TimeWindows,
    UnitGaussianNormalizer,
    make_view,
)


@pytest.fixture
def traj():
    u = torch.arange(3 * 12 * 4 * 4, dtype=torch.float32).reshape(3, 12, 4, 4)
    return PDEData(u=u, a=torch.zeros(3, 4, 4), t=torch.arange(1.0, 13.0), source="traj")


def test_next_frame_windows(traj):
    view = TimeWindows(traj, n_in=10, n_out=1)
    assert len(view) == 3 * 2
    sample = view[3]  # trajectory 1, start 1
    assert isinstance(sample, PDESample) and (sample.index, sample.t) == (1, 11)
    assert torch.equal(sample.x, traj.u[1, 1:11]) and torch.equal(sample.y, traj.u[1, 11:12])


def test_full_rollout_is_fnos_10_to_the_rest(traj):
    view = TimeWindows(traj, n_in=10, n_out=None)
    assert len(view) == 3 and view[2].y.shape == (2, 4, 4) and torch.equal(view[2].x, traj.u[2, :10])


def test_one_step_pairs(traj):
    view = OneStepPairs(traj)
    assert len(view) == 3 * 11
    x, y, index, t = view[11 + 4]
    assert (index, t) == (1, 5) and torch.equal(x[0], traj.u[1, 4]) and torch.equal(y[0], traj.u[1, 5])


def test_space_time_blocks_repeat_the_input_over_time(traj):
    x, y, _, _ = SpaceTimeBlocks(traj, n_in=10)[0]
    assert x.shape == (10, 2, 4, 4) and y.shape == (1, 2, 4, 4)
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 0], traj.u[0, :10])


def test_steady_pairs():
    data = PDEData(u=torch.randn(5, 8, 8), a=torch.randn(5, 8, 8))
    x, y, index, _ = SteadyPairs(data)[4]
    assert x.shape == (1, 8, 8) and torch.equal(x[0], data.a[4]) and torch.equal(y[0], data.u[4]) and index == 4


def test_steady_pairs_of_trajectories_use_the_last_frame(traj):
    x, y, _, t = SteadyPairs(traj)[1]
    assert t == 11 and torch.equal(y[0], traj.u[1, -1]) and torch.equal(x[0], traj.a[1])


def test_views_batch_with_a_dataloader(traj):
    batch = next(iter(DataLoader(TimeWindows(traj, 10, 1), batch_size=4)))
    assert isinstance(batch, PDESample) and batch.x.shape == (4, 10, 4, 4) and batch.index.tolist() == [0, 0, 1, 1]


def test_split_keeps_trajectories_apart(traj):
    train, test = traj.split(2, 1)
    assert torch.equal(test.u[0], traj.u[2]) and train.n == 2 and len(TimeWindows(test, 10, 1)) == 2
    with pytest.raises(MonarchError, match="cannot split 3 samples"):
        traj.split(3, 1)


def test_subsample_like_fnos_421_to_85():
    data = PDEData(u=torch.randn(2, 421, 421), a=torch.randn(2, 421, 421))
    small = data.subsample(5)
    assert small.space_shape == (85, 85) and torch.equal(small.u[0, 1, 1], data.u[0, 5, 5])


def test_bad_view_settings(traj):
    with pytest.raises(MonarchError, match="do not fit trajectories of 12 frames"):
        TimeWindows(traj, n_in=12, n_out=1)
    with pytest.raises(MonarchError, match="is steady; use SteadyPairs"):
        OneStepPairs(PDEData(u=torch.zeros(2, 4, 4), source="darcy.mat"))
    with pytest.raises(MonarchError, match="unknown view 'pairs'; valid views: windows, one-step, space-time, steady"):
        make_view("pairs", traj)


def test_unit_gaussian_normalizer_is_pointwise_like_fno():
    x = torch.randn(200, 6, 6, dtype=torch.float64) * torch.linspace(1, 5, 6, dtype=torch.float64) + 3
    norm = UnitGaussianNormalizer.fit(x)
    z = norm.encode(x)
    assert norm.mean.shape == (1, 6, 6)
    assert torch.allclose(z.mean(0), torch.zeros(6, 6, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(z.std(0), torch.ones(6, 6, dtype=torch.float64), atol=1e-4)  # (σ + 1e-5) in the denominator
    assert torch.allclose(norm.decode(z), x) and torch.allclose(norm.inverse_transform(norm.transform(x)), x)
    assert torch.allclose(norm.encode(x[:3, None]), z[:3, None])  # broadcasts over a channel dim
    scalar = UnitGaussianNormalizer.fit(x, dim=None)
    assert scalar.mean.numel() == 1 and set(norm.state_dict()) == {"mean", "std"}


def test_to_casts_boolean_inputs():
    data = PDEData(u=torch.zeros(2, 4, 4, dtype=torch.float64), a=torch.ones(2, 4, 4, dtype=torch.bool))
    cast = data.to(torch.float32)
    assert cast.a.dtype == cast.u.dtype == torch.float32 and cast.a.sum() == 32
