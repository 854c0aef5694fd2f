"""ReverseSparsification: the switch, the optimizer patch, the contract's errors, and digits end to end."""

import pytest
import torch
from torch import nn

from monarch_sci.errors import MonarchError
from monarch_sci.nn.linear import MonarchLinear
from monarch_sci.nn.sparsify import ReverseSparsification


def model_and_data(gen):
    torch.manual_seed(0)
    model = nn.Sequential(MonarchLinear(32, 64), nn.ReLU(), MonarchLinear(64, 64, bias=False), nn.ReLU(), nn.Linear(64, 3))
    x = torch.randn(128, 32, generator=gen)
    y = torch.randint(0, 3, (128,), generator=gen)
    return model, x, y


def train_step(model, optimizer, x, y) -> float:
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_switch_keeps_function_and_patches_optimizer(gen):
    model, x, y = model_and_data(gen)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    schedule = ReverseSparsification(model, optimizer, total_steps=20)
    assert schedule.densify_step == 18
    old_first, old_head = model[0], model[4]
    for step in range(18):
        assert schedule.step(step) is False
        train_step(model, optimizer, x, y)
    head_state = {k: v.clone() for k, v in optimizer.state[old_head.weight].items() if torch.is_tensor(v)}
    bias_avg = optimizer.state[old_first.bias]["exp_avg"].clone()
    with torch.no_grad():
        before = model(x)

    assert schedule.step(18) is True and schedule.densified
    assert type(model[0]) is nn.Linear and type(model[2]) is nn.Linear and model[4] is old_head
    with torch.no_grad():
        assert (model(x) - before).abs().max() <= 1e-6 * before.abs().max()
    held = [p for group in optimizer.param_groups for p in group["params"]]
    assert {id(p) for p in held} == {id(p) for p in model.parameters()}
    assert set(map(id, optimizer.state)) <= {id(p) for p in model.parameters()}
    torch.testing.assert_close(optimizer.state[model[0].bias]["exp_avg"], bias_avg)  # moved with the bias
    assert model[0].weight not in optimizer.state  # fresh state for the dense weight
    for key, value in head_state.items():  # untouched parameters keep their state
        torch.testing.assert_close(optimizer.state[old_head.weight][key], value)

    losses = [train_step(model, optimizer, x, y) for _ in range(19, 25)]
    assert schedule.step(19) is False and losses[-1] < losses[0]
    assert len(optimizer.state_dict()["state"]) == len(held)


def test_param_groups_and_lr_scheduler_carry_on(gen):
    model, x, y = model_and_data(gen)
    monarch_params = [p for m in model.modules() if isinstance(m, MonarchLinear) for p in (m.R, m.L)]
    others = [p for p in model.parameters() if all(p is not q for q in monarch_params)]
    optimizer = torch.optim.SGD([{"params": monarch_params, "lr": 0.1}, {"params": others, "lr": 0.01}], momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    schedule = ReverseSparsification(model, optimizer, total_steps=10, densify_at=0.5)
    for step in range(10):
        schedule.step(step)
        train_step(model, optimizer, x, y)
        scheduler.step()
    first, second = optimizer.param_groups
    assert {id(p) for p in first["params"]} == {id(model[0].weight), id(model[2].weight)}
    assert model[0].bias in {p for p in second["params"]}
    assert first["lr"] == pytest.approx(0.1 * 0.5**10) and second["lr"] == pytest.approx(0.01 * 0.5**10)


def test_densify_at_edges(gen):
    model, x, y = model_and_data(gen)
    optimizer = torch.optim.Adam(model.parameters())
    at_start = ReverseSparsification(model, optimizer, total_steps=5, densify_at=0.0)
    assert at_start.step(0) is True
    model, x, y = model_and_data(gen)
    optimizer = torch.optim.Adam(model.parameters())
    never = ReverseSparsification(model, optimizer, total_steps=5, densify_at=1.0)
    assert not any(never.step(step) for step in range(5))
    assert isinstance(model[0], MonarchLinear)


def test_frozen_layers_need_not_be_in_the_optimizer(gen):
    model, x, y = model_and_data(gen)
    model[0].requires_grad_(False)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad])
    schedule = ReverseSparsification(model, optimizer, total_steps=4)
    assert schedule.step(4)
    assert not model[0].weight.requires_grad and not model[0].bias.requires_grad
    assert all(p is not model[0].weight for group in optimizer.param_groups for p in group["params"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"total_steps": 0}, "total_steps"),
        ({"total_steps": 10.0}, "total_steps"),
        ({"total_steps": 10, "densify_at": 1.5}, "densify_at"),
        ({"total_steps": 10, "densify_at": -0.1}, "densify_at"),
    ],
)
def test_bad_arguments(kwargs, match, gen):
    model, x, y = model_and_data(gen)
    with pytest.raises(MonarchError, match=match):
        ReverseSparsification(model, torch.optim.Adam(model.parameters()), **kwargs)


def test_contract_errors(gen):
    with pytest.raises(MonarchError, match="monarchify"):
        dense = nn.Sequential(nn.Linear(8, 8))
        ReverseSparsification(dense, torch.optim.Adam(dense.parameters()), total_steps=10)
    model, x, y = model_and_data(gen)
    with pytest.raises(MonarchError, match="torch.optim.Optimizer"):
        ReverseSparsification(model, model.parameters(), total_steps=10)
    stale = torch.optim.Adam(nn.Linear(8, 8).parameters())  # built before monarchify
    with pytest.raises(MonarchError, match=r"0\.R"):
        ReverseSparsification(model, stale, total_steps=10)


def test_digits_monarch_and_reverse_sparsification_match_dense():  # one thread: tests/conftest.py
    pytest.importorskip("sklearn")
    from monarch_sci.bench.digits import run

    result = run(seed=0)
    acc, params = result["accuracy"], result["params"]
    assert result["replaced"] == ["0", "2"]
    assert params["fraction"] <= 0.5
    assert acc["dense"] > 95
    assert acc["monarch"] >= acc["dense"] - 1
    assert acc["reverse"] >= acc["dense"] - 1
