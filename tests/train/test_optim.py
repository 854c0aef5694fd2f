"""Optimizer spec: paper defaults, schedules, a separate learning rate for transform factors."""

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.pde.models import build_model
from monarch_sci.train import OptimizerSpec


def lrs(spec, epochs, model=None):
    opt, sched = spec.build(model or torch.nn.Linear(2, 2), epochs)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_step_schedule_halves_every_fifth_of_the_epochs_by_default():
    values = lrs(OptimizerSpec(), 500)
    assert values[0] == 1e-3 and values[99] == 1e-3 and values[100] == 5e-4 and values[499] == pytest.approx(1e-3 / 16)
    assert lrs(OptimizerSpec(), 40)[8] == 5e-4  # the paper's five halvings compressed to 40 epochs
    assert lrs(OptimizerSpec(step_size=3, gamma=0.1), 7)[3] == pytest.approx(1e-4)


def test_cosine_and_constant():
    cos = lrs(OptimizerSpec(schedule="cosine", min_lr=1e-5), 10)
    assert cos[0] == 1e-3 and all(a > b for a, b in zip(cos, cos[1:])) and cos[-1] > 1e-5
    assert lrs(OptimizerSpec(schedule="constant"), 5) == [1e-3] * 5


def test_paper_defaults_are_adam_with_weight_decay():
    opt, _ = OptimizerSpec().build(torch.nn.Linear(2, 2), 10)
    assert isinstance(opt, torch.optim.Adam) and opt.defaults["weight_decay"] == 1e-4
    assert isinstance(OptimizerSpec(name="adamw").build(torch.nn.Linear(2, 2), 1)[0], torch.optim.AdamW)


def test_transform_factors_get_their_own_learning_rate():
    model = build_model("monarch-no2d-time", grid=(16, 16), modes=4, width=8)
    opt, _ = OptimizerSpec(transform_lr=1e-4).build(model, 10)
    groups = {g["name"]: g for g in opt.param_groups}
    n_transform = sum(1 for n, _ in model.named_parameters() if "transforms." in n)
    assert groups["transforms"]["lr"] == 1e-4 and groups["model"]["lr"] == 1e-3
    assert len(groups["transforms"]["params"]) == n_transform > 0
    assert len(groups["model"]["params"]) + n_transform == len(list(model.parameters()))


def test_bad_input():
    with pytest.raises(MonarchError, match="unknown optimizer 'sgd'; valid: adam, adamw"):
        OptimizerSpec(name="sgd")
    with pytest.raises(MonarchError, match="unknown schedule 'linear'"):
        OptimizerSpec(schedule="linear")
    with pytest.raises(MonarchError, match="optimizer lr must be >= 0"):
        OptimizerSpec(lr=-1.0)
