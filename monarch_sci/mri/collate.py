"""The batching rule for slices: equal (H, W) stack, differing coil counts pad with zero coils.

A zero coil adds nothing to RSS, to Σ_c conj(S_c) y_c or to ‖A x − y‖² when its sensitivity map is
zero too, so padding coils is exact; ``num_coils`` keeps the true counts. Slices of different
k-space sizes (brain widths 320, 368, 396, ...) are never padded, since zero-filling k-space
resamples the image: batch them with :class:`~monarch_sci.mri.sampler.ShapeBatchSampler`.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..errors import MonarchError
from .dataset import SliceSample


def pad_coils(kspace: torch.Tensor, num_coils: int) -> torch.Tensor:
    """(C, H, W) → (num_coils, H, W) with zero coils appended."""
    extra = num_coils - kspace.shape[0]
    if extra < 0:
        raise MonarchError(f"cannot pad {kspace.shape[0]} coils down to {num_coils}")
    if extra == 0:
        return kspace
    return torch.cat([kspace, kspace.new_zeros(extra, *kspace.shape[1:])])


def collate_slices(samples: Sequence[SliceSample]) -> SliceSample:
    """Stack SliceSamples into one batched SliceSample.

    kspace (B, C_max, H, W); mask (B, 1, 1, W) or (B, 1, H, W); target (B, h, w) (or (B, 0) for
    test slices); num_low_frequencies, slice_num, max_value, num_coils as tensors (B,);
    crop_size (B, 2); fname a list.
    """
    if not samples:
        raise MonarchError("collate_slices got an empty batch")
    sizes = {tuple(s.kspace.shape[-2:]) for s in samples}
    if len(sizes) > 1:
        listed = ", ".join(f"{s.fname}[{s.slice_num}] {tuple(s.kspace.shape[-2:])}" for s in samples)
        raise MonarchError(
            f"cannot batch slices with different k-space sizes ({listed}); use ShapeBatchSampler to batch by "
            "size, or batch_size=1"
        )
    c_max = max(s.kspace.shape[0] for s in samples)
    masks = [s.mask for s in samples]
    if len({tuple(m.shape) for m in masks}) > 1:
        h, w = sizes.pop()
        masks = [m.expand(1, h, w) for m in masks]
    targets = {tuple(s.target.shape) for s in samples}
    if len(targets) > 1:
        listed = ", ".join(f"{s.fname}[{s.slice_num}] {tuple(s.target.shape)}" for s in samples)
        raise MonarchError(f"cannot batch slices with different target sizes ({listed}); center-crop them in a transform")
    return SliceSample(
        kspace=torch.stack([pad_coils(s.kspace, c_max) for s in samples]),
        mask=torch.stack(masks),
        num_low_frequencies=torch.tensor([s.num_low_frequencies for s in samples]),
        target=torch.stack([s.target for s in samples]),
        fname=[s.fname for s in samples],
        slice_num=torch.tensor([s.slice_num for s in samples]),
        max_value=torch.tensor([s.max_value for s in samples], dtype=torch.float32),
        crop_size=torch.tensor([list(s.crop_size) for s in samples]),
        num_coils=torch.tensor([s.num_coils for s in samples]),
    )


__all__ = ["collate_slices", "pad_coils"]
