"""fastMRI slice dataset: single- and multi-coil files, knee or brain, train/val or test.

Each item is one slice as a :class:`SliceSample` (a NamedTuple, like fastMRI's ``VarNetSample``).
k-space always carries a coil dim: (C, H, W), with C = 1 for single-coil files. Masks:

- with ``mask_func`` (retrospective undersampling of fully sampled files) the mask is drawn with
  fastMRI's per-volume seed ``tuple(map(ord, fname))`` when ``use_seed`` (every slice of a volume
  gets the same mask, every epoch), or from the function's own stream otherwise;
- test/challenge files bring their own 'mask' and pre-masked k-space;
- otherwise the slice is fully sampled.

In every case columns outside the acquired range [padding_left, padding_right) of the ISMRMRD header
are masked out, as fastMRI does.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import numpy as np
import torch

from ..errors import MonarchError
from .files import VolumeInfo, inspect_volume, list_volumes, open_h5
from .masks import MaskFunc, volume_seed


class SliceSample(NamedTuple):
    """One slice.

    kspace: (C, H, W) complex64, already masked; mask: bool, (1, 1, W) for line masks or
    (1, H, W) for 2-D masks; num_low_frequencies: fully sampled center lines (0 if unknown);
    target: (h, w) float32, or an empty tensor for test files; max_value: the file's 'max'
    attribute (0.0 without a target); crop_size: (h, w) of the header's reconSpace;
    num_coils: coils actually present (batches pad coils with zeros).
    """

    kspace: torch.Tensor
    mask: torch.Tensor
    num_low_frequencies: int
    target: torch.Tensor
    fname: str
    slice_num: int
    max_value: float
    crop_size: tuple[int, int]
    num_coils: int


class RawSample(NamedTuple):
    """Index entry: which file (its :class:`VolumeInfo`) and which slice."""

    info: VolumeInfo
    slice_num: int


class SliceDataset(torch.utils.data.Dataset):
    """Slices of every fastMRI file in ``root`` (a directory, or a list of files).

    challenge: "multicoil", "singlecoil" or None (infer per file). mask_func: a mask function
    (:mod:`monarch_sci.mri.masks`) for retrospective undersampling; use_seed: fastMRI's
    per-volume seeding. sample_rate / volume_sample_rate: keep that fraction of slices / volumes
    (shuffled with ``subsample_seed``; set at most one). raw_sample_filter: keep a RawSample or not.
    transform: applied to each SliceSample. Files are validated when the dataset is built
    (:func:`~monarch_sci.mri.files.inspect_volume`).

    >>> ds = SliceDataset("knee/multicoil_val", mask_func=create_mask("random", [0.08], [4]))  # doctest: +SKIP
    >>> sample = ds[0]; sample.kspace.shape, sample.mask.shape          # doctest: +SKIP
    (torch.Size([15, 640, 368]), torch.Size([1, 1, 368]))
    """

    def __init__(
        self,
        root: str | os.PathLike | Sequence[str | os.PathLike],
        challenge: str | None = None,
        mask_func: MaskFunc | None = None,
        use_seed: bool = True,
        sample_rate: float | None = None,
        volume_sample_rate: float | None = None,
        subsample_seed: int = 0,
        raw_sample_filter: Callable[[RawSample], bool] | None = None,
        transform: Callable[[SliceSample], object] | None = None,
    ):
        if challenge not in (None, "multicoil", "singlecoil"):
            raise MonarchError(f"challenge must be 'multicoil', 'singlecoil' or None, got {challenge!r}")
        if sample_rate is not None and volume_sample_rate is not None:
            raise MonarchError("set sample_rate (fraction of slices) or volume_sample_rate (fraction of volumes), not both")
        for name, rate in (("sample_rate", sample_rate), ("volume_sample_rate", volume_sample_rate)):
            if rate is not None and not 0 < rate <= 1:
                raise MonarchError(f"{name} must be in (0, 1], got {rate!r}")
        if isinstance(root, (str, os.PathLike)):
            files = list_volumes(root)
        else:
            files = [Path(f) for f in root]
            if not files:
                raise MonarchError("SliceDataset got an empty list of files")
        self.mask_func, self.use_seed, self.transform = mask_func, bool(use_seed), transform
        self.volumes = [inspect_volume(f, challenge) for f in files]
        samples = [RawSample(info, s) for info in self.volumes for s in range(info.num_slices)]
        rng = random.Random(subsample_seed)
        if sample_rate is not None and sample_rate < 1:
            rng.shuffle(samples)
            samples = sorted(samples[: round(len(samples) * sample_rate)], key=lambda r: (str(r.info.path), r.slice_num))
        elif volume_sample_rate is not None and volume_sample_rate < 1:
            names = sorted({str(info.path) for info in self.volumes})
            rng.shuffle(names)
            keep = set(names[: round(len(names) * volume_sample_rate)])
            samples = [r for r in samples if str(r.info.path) in keep]
        if raw_sample_filter is not None:
            samples = [r for r in samples if raw_sample_filter(r)]
        self.raw_samples: list[RawSample] = samples

    def __len__(self) -> int:
        return len(self.raw_samples)

    def __getitem__(self, index: int):
        info, slice_num = self.raw_samples[index]
        with open_h5(info.path) as hf:
            kspace = torch.from_numpy(np.asarray(hf["kspace"][slice_num], dtype=np.complex64))
            stored_mask = np.asarray(hf["mask"]) if info.has_mask else None
            target = (
                torch.from_numpy(np.asarray(hf[info.target_key][slice_num], dtype=np.float32))
                if info.target_key
                else torch.empty(0)
            )
        if info.challenge == "singlecoil":
            kspace = kspace.unsqueeze(0)
        fname = info.path.name
        lo, hi = info.encoding.padding_left, info.encoding.padding_right
        if self.mask_func is not None:
            seed = volume_seed(fname) if self.use_seed else None
            mask, num_low = self.mask_func(tuple(kspace.shape), seed=seed)
        elif stored_mask is not None:
            mask = torch.from_numpy(stored_mask.astype(np.float32)).reshape(1, 1, -1)
            num_low = int(info.attrs.get("num_low_frequencies", 0))
        else:
            mask, num_low = torch.ones(1, 1, kspace.shape[-1]), 0
        mask = mask.clone()
        mask[..., :lo] = 0
        mask[..., hi:] = 0
        kspace = kspace * mask + 0.0  # + 0.0 clears negative zeros, as fastMRI
        recon = info.encoding.recon_size
        sample = SliceSample(
            kspace=kspace,
            mask=mask.bool(),
            num_low_frequencies=int(num_low),
            target=target,
            fname=fname,
            slice_num=int(slice_num),
            max_value=float(info.attrs["max"]) if info.target_key else 0.0,
            crop_size=(int(recon[0]), int(recon[1])),
            num_coils=int(kspace.shape[0]),
        )
        return self.transform(sample) if self.transform is not None else sample


__all__ = ["RawSample", "SliceDataset", "SliceSample"]
