"""Optimizer and learning-rate schedule from a small spec (the FNO paper's defaults).

Adam or AdamW (lr 1e-3, weight decay 1e-4), with an optional separate learning rate for the learnable
transform factors (parameters whose name contains ``transforms.``: the Monarch DFTs of Monarch-NO).
Schedules, stepped once per epoch:

    step:     lr_e = lr · gamma^⌊e / step_size⌋        (paper: gamma 0.5, step_size 100 of 500 epochs)
    cosine:   lr_e = lr_min + ½ (lr − lr_min)(1 + cos(π e / epochs))
    constant: lr_e = lr

>>> spec = OptimizerSpec(name="adam", lr=1e-3, schedule="step", step_size=100)
>>> opt, sched = spec.build(torch.nn.Linear(2, 2), epochs=500)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..errors import MonarchError

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
SCHEDULES = ("step", "cosine", "constant")
TRANSFORM_KEY = "transforms."


@dataclass
class OptimizerSpec:
    """name: "adam" | "adamw"; transform_lr: lr for ``transforms.`` parameters (None: same as lr);
    schedule: "step" | "cosine" | "constant"; step_size: epochs per ×gamma (None: epochs // 5, the
    paper's 5 halvings in any number of epochs); min_lr: cosine floor."""

    name: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 1e-4
    transform_lr: float | None = None
    transform_weight_decay: float | None = None
    schedule: str = "step"
    step_size: int | None = None
    gamma: float = 0.5
    min_lr: float = 0.0

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise MonarchError(f"unknown optimizer {self.name!r}; valid: {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise MonarchError(f"unknown schedule {self.schedule!r}; valid: {', '.join(SCHEDULES)}")
        for key in ("lr", "weight_decay", "gamma", "min_lr"):
            if not getattr(self, key) >= 0:
                raise MonarchError(f"optimizer {key} must be >= 0, got {getattr(self, key)!r}")
        if self.step_size is not None and self.step_size < 1:
            raise MonarchError(f"step_size must be a positive number of epochs, got {self.step_size}")

    def param_groups(self, model: torch.nn.Module) -> list[dict]:
        """One group for the transform factors (when given its own lr / decay), one for the rest."""
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if self.transform_lr is None and self.transform_weight_decay is None:
            return [{"params": [p for _, p in named], "name": "all"}]
        transforms = [p for n, p in named if TRANSFORM_KEY in n]
        rest = [p for n, p in named if TRANSFORM_KEY not in n]
        groups = [{"params": rest, "name": "model"}]
        if transforms:
            groups.append({
                "params": transforms,
                "name": "transforms",
                "lr": self.lr if self.transform_lr is None else self.transform_lr,
                "weight_decay": self.weight_decay if self.transform_weight_decay is None else self.transform_weight_decay,
            })
        return groups

    def build(self, model: torch.nn.Module, epochs: int):
        """(optimizer, scheduler) for ``model``; the scheduler steps once per epoch."""
        if epochs < 1:
            raise MonarchError(f"epochs must be >= 1, got {epochs}")
        optimizer = OPTIMIZERS[self.name](self.param_groups(model), lr=self.lr, weight_decay=self.weight_decay)
        if self.schedule == "step":
            step = self.step_size or max(1, epochs // 5)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step, gamma=self.gamma)
        elif self.schedule == "cosine":
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=self.min_lr)
        else:
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
        return optimizer, scheduler

    def to_dict(self) -> dict:
        return asdict(self)
