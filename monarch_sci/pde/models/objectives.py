"""Training objectives for time-dependent PDE models (the trainer's ``Objective`` protocol).

``Rollout``: batches (x, y, ...) with x (b, T_in, *grid) input frames and y (b, T_out, *grid) the
frames that follow. The model predicts ŷ = model(x, steps=T_out). Per-sample training loss:

    per_step=True  (FNO-2D, the paper):   Σ_t ‖ŷ_t − y_t‖ / ‖y_t‖
    per_step=False (FNO-3D):               ‖ŷ − y‖ / ‖y‖   over the whole trajectory

Metrics per sample: ``rel_l2`` over the whole trajectory (the FNO code's "l2_full", the number its
paper reports) and ``rel_l2_step`` (b, T_out), one relative L2 per rollout step.
"""

from __future__ import annotations

import torch

from ...errors import MonarchError
from ...train.losses import relative_l2
from ...train.objective import input_target


class Rollout:
    def __init__(self, per_step: bool = True, steps: int | None = None):
        self.per_step, self.steps = per_step, steps

    def predict(self, model, batch) -> torch.Tensor:
        x, y = input_target(batch)
        steps = self.steps or y.shape[1]
        if y.shape[1] < steps:
            raise MonarchError(f"the target holds {y.shape[1]} frames; the rollout needs {steps}")
        return model(x, steps=steps)

    def _target(self, batch) -> torch.Tensor:
        _, y = input_target(batch)
        return y[:, : self.steps] if self.steps else y

    def losses(self, model, batch) -> torch.Tensor:
        pred, y = self.predict(model, batch), self._target(batch)
        if not self.per_step:
            return relative_l2(pred, y)
        return sum(relative_l2(pred[:, t], y[:, t]) for t in range(y.shape[1]))

    def metrics(self, model, batch) -> dict[str, torch.Tensor]:
        pred, y = self.predict(model, batch), self._target(batch)
        steps = torch.stack([relative_l2(pred[:, t], y[:, t]) for t in range(y.shape[1])], dim=1)
        return {"rel_l2": relative_l2(pred, y), "rel_l2_step": steps}
