"""Directory evaluation like fastMRI's ``evaluate.py``: per-volume metrics and their mean ± 2 std.

For every target file, the reconstruction file of the same name is read ('reconstruction'), both
are center-cropped to (w, w) with w the target's width (as fastMRI does), and MSE, NMSE, PSNR,
SSIM (and the Gaussian SSIM, labeled) are computed on the magnitude volumes. Aggregates are the
mean and 2 × sample standard deviation over volumes (fastMRI's ``Metrics.__repr__``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import MonarchError
from .crop import center_crop
from .files import open_h5, list_volumes, read_dataset, read_target
from .metrics import METRICS, volume_metrics


class Evaluation(NamedTuple):
    """Per-volume metrics (file name → metric → value) and aggregates (metric → (mean, std))."""

    per_volume: dict[str, dict[str, float]]
    aggregate: dict[str, tuple[float, float]]

    def summary(self) -> str:
        """One line, fastMRI's format: ``MSE = 1.2e-10 +/- 3.4e-11 NMSE = ...`` (± is 2 std)."""
        return " ".join(f"{name} = {m:.4g} +/- {2 * s:.4g}" for name, (m, s) in sorted(self.aggregate.items()))

    def table(self) -> str:
        """Per-volume lines followed by the aggregate line."""
        names = list(next(iter(self.per_volume.values())))
        width = max(len(f) for f in self.per_volume)
        lines = [f"{'volume':<{width}}  " + "  ".join(f"{n:>13}" for n in names)]
        for fname, values in self.per_volume.items():
            lines.append(f"{fname:<{width}}  " + "  ".join(f"{values[n]:>13.6g}" for n in names))
        lines.append(f"{len(self.per_volume)} volumes: {self.summary()}")
        return "\n".join(lines)


def aggregate(per_volume: dict[str, dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Mean and sample std (ddof = 1; NaN for one volume) of each metric over volumes."""
    out = {}
    for name in next(iter(per_volume.values())):
        values = np.array([v[name] for v in per_volume.values()], dtype=np.float64)
        std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        out[name] = (float(values.mean()), std)
    return out


def evaluate_volume(target: np.ndarray, recon: np.ndarray, names=tuple(METRICS), source: str = "") -> dict[str, float]:
    """Metrics of one volume after fastMRI's crop of both to (w, w), w = target width."""
    if target.ndim != 3 or recon.ndim != 3 or target.shape[0] != recon.shape[0]:
        raise MonarchError(f"{source}: target {target.shape} and reconstruction {recon.shape} must be (slices, h, w) with equal slices")
    size = (target.shape[-1], target.shape[-1])
    target = center_crop(target, size, what=f"{source} target")
    recon = center_crop(recon, size, what=f"{source} reconstruction")
    return volume_metrics(np.abs(target), np.abs(recon), names)


def evaluate_dirs(
    targets: str | os.PathLike,
    recons: str | os.PathLike,
    acquisition: str | None = None,
    acceleration: int | None = None,
    names=tuple(METRICS),
) -> Evaluation:
    """Evaluate every target file against ``recons/<same name>`` (fastMRI's evaluate).

    acquisition / acceleration: keep only target files with that attribute value. Raises a
    MonarchError for an empty directory, a missing reconstruction file or dataset, or a target
    file without 'reconstruction_rss' / 'reconstruction_esc'.
    """
    recons = Path(recons)
    if not recons.is_dir():
        raise MonarchError(f"{recons}: not a directory; expected the reconstructions directory")
    per_volume: dict[str, dict[str, float]] = {}
    for tgt_file in list_volumes(targets, "target volumes"):
        with open_h5(tgt_file) as hf:
            attrs = dict(hf.attrs)
        if acquisition is not None and attrs.get("acquisition") != acquisition:
            continue
        if acceleration is not None and attrs.get("acceleration") != acceleration:
            continue
        rec_file = recons / tgt_file.name
        if not rec_file.is_file():
            raise MonarchError(f"{rec_file}: missing; every target in {targets} needs a reconstruction file of the same name")
        target, _ = read_target(tgt_file)
        recon = read_dataset(rec_file, "reconstruction")
        per_volume[tgt_file.name] = evaluate_volume(target, recon, names, source=str(tgt_file.name))
    if not per_volume:
        raise MonarchError(f"{targets}: no target volume matched the filters (acquisition={acquisition}, acceleration={acceleration})")
    return Evaluation(per_volume, aggregate(per_volume))


__all__ = ["Evaluation", "aggregate", "evaluate_dirs", "evaluate_volume"]
