"""Reverse sparsification: train with Monarch layers, switch to dense for the last part of training."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import MonarchError
from .convert import densify
from .linear import MonarchLinear


class ReverseSparsification:
    """Densify a Monarch model at a fixed fraction of training and keep the optimizer going.

    Dao et al. 2022 train GPT-2 with Monarch layers for 90 % of the steps and dense
    layers for the last 10 %. Contract:

    1. build the model with MonarchLinear layers (e.g. ``monarchify``), then the optimizer over
       its parameters, then ``schedule = ReverseSparsification(model, optimizer, total_steps)``;
    2. call ``schedule.step(i)`` at the top of every training step i = 0, 1, ... (before the
       forward pass, so no gradient is pending).

    At the first call with i >= ``densify_step = round(densify_at * total_steps)`` every
    MonarchLinear is replaced by its exact nn.Linear (``densify``; the model's function does not
    change) and the optimizer is patched in place: in the param group that held a layer's R, R
    becomes the new dense weight (fresh state, e.g. Adam moments at zero) and L is removed (state
    dropped); the bias's state moves to the new bias. Group hyperparameters, the state of every
    other parameter, and LR schedulers attached to the optimizer carry on. Works with torch.optim
    optimizers (state in ``optimizer.state``, parameters in ``param_groups``).

    >>> model = nn.Sequential(MonarchLinear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    >>> opt = torch.optim.Adam(model.parameters())
    >>> schedule = ReverseSparsification(model, opt, total_steps=100)
    >>> [schedule.step(i) for i in (89, 90, 91)]
    [False, True, False]
    >>> type(model[0]).__name__
    'Linear'
    """

    def __init__(
        self, model: nn.Module, optimizer: torch.optim.Optimizer, total_steps: int, densify_at: float = 0.9
    ):
        if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
            raise MonarchError(f"total_steps must be a positive int, got {total_steps!r}")
        if not 0.0 <= densify_at <= 1.0:
            raise MonarchError(f"densify_at must be a fraction of training in [0, 1], got {densify_at!r}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise MonarchError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        layers = {name: m for name, m in model.named_modules() if isinstance(m, MonarchLinear)}
        if not layers:
            raise MonarchError("the model has no MonarchLinear layers to densify; call monarchify(model) first")
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
        for name, layer in layers.items():
            if layer.R.requires_grad and id(layer.R) not in held:
                raise MonarchError(
                    f"the optimizer does not hold {name or 'model'}.R; build the optimizer after monarchify"
                )
        self.model, self.optimizer = model, optimizer
        self.total_steps, self.densify_at = total_steps, densify_at
        self.densify_step = round(densify_at * total_steps)
        self.densified = False

    def step(self, step: int) -> bool:
        """Densify at the first call with step >= densify_step; True exactly at that call."""
        if self.densified or step < self.densify_step:
            return False
        for old, new in densify(self.model).values():
            _patch_optimizer(self.optimizer, old, new)
        self.densified = True
        return True


def _patch_optimizer(optimizer: torch.optim.Optimizer, old: MonarchLinear, new: nn.Linear) -> None:
    """Swap old's parameters for new's in the param groups and the state (see the class docstring)."""
    swap = {id(old.R): new.weight, id(old.L): None}
    if old.bias is not None:
        swap[id(old.bias)] = new.bias
        if old.bias in optimizer.state:
            optimizer.state[new.bias] = optimizer.state.pop(old.bias)
    for group in optimizer.param_groups:
        params = [swap.get(id(p), p) for p in group["params"]]
        group["params"] = [p for p in params if p is not None]
    optimizer.state.pop(old.R, None)
    optimizer.state.pop(old.L, None)
