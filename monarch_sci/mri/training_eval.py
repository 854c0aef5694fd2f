"""fastMRI's volume metrics of any reconstruction over a :class:`ReconSlices` dataset, in memory.

``evaluate_slices(method, data)`` runs ``method(kspace (S, C, H, W), mask, maps) -> images (S, H, W)``
(a ``training.Reconstructor``, or a classical baseline such as ``partial(sense, lamda=1e-2)``) volume
by volume, takes |·|, center-crops to the target and scores every volume with ``evaluate_volume``
(NMSE, PSNR, SSIM as ``mri eval``), so a learned model and SENSE are compared on identical k-space,
masks and coil maps without writing files. Returns an :class:`~monarch_sci.mri.evaluate.Evaluation`
and, with ``keep``, the magnitude reconstructions by file name.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .crop import center_crop
from .evaluate import Evaluation, aggregate, evaluate_volume
from .training_data import ReconSlices

Method = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def volume_batches(data: ReconSlices):
    """(file name, kspace (S, C, H, W), mask (S, 1, ., W), maps (S, C, H, W), target (S, h, w)) per volume."""
    by_file: dict[str, list[int]] = {}
    for i, raw in enumerate(data.slices.raw_samples):
        by_file.setdefault(raw.info.path.name, []).append(i)
    for name, indices in by_file.items():
        items = [data[i] for i in indices]
        yield (name, *(torch.stack([getattr(s, f) for s in items]) for f in ("kspace", "mask", "maps", "target")))


def evaluate_slices(method: Method, data: ReconSlices, batch_size: int = 8, keep: bool = False):
    """Volume metrics of ``method`` on ``data`` (see the module docstring): Evaluation, or (Evaluation, recons)."""
    per_volume, recons = {}, {}
    for name, kspace, mask, maps, target in volume_batches(data):
        parts = []
        with torch.no_grad():
            for i in range(0, kspace.shape[0], batch_size):
                part = slice(i, i + batch_size)
                out = method(kspace[part], mask[part], maps[part])
                parts.append(center_crop(out.abs(), tuple(target.shape[-2:])).float().cpu())
        recon = torch.cat(parts).numpy()
        per_volume[name] = evaluate_volume(target.numpy(), recon, source=name)
        if keep:
            recons[name] = recon
    evaluation = Evaluation(per_volume, aggregate(per_volume))
    return (evaluation, recons) if keep else evaluation


def mean_metrics(evaluation: Evaluation) -> dict[str, float]:
    """{metric: mean over volumes} (JSON-friendly)."""
    return {name: float(np.round(mean, 6)) for name, (mean, _) in evaluation.aggregate.items()}


__all__ = ["evaluate_slices", "mean_metrics", "volume_batches"]
