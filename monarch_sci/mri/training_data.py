"""Training samples for learned reconstruction: (kspace, mask, maps, target) per slice of fastMRI files.

Each item is a :class:`ReconSample`: k-space (C, H, W) complex64 undersampled with the mask function,
the mask (1, 1, W) or (1, H, W) float32, coil maps (C, H, W) complex64, the target (h, w) float32
('reconstruction_rss' / 'reconstruction_esc') and the volume's 'max' (fastMRI's data range for PSNR /
SSIM). Maps are computed exactly as ``mri recon`` does (``recon.volume_maps``: ESPIRiT from the fully
sampled center of the undersampled k-space, or the file's 'sensitivity_maps'), once per volume when
the dataset is built, and kept in memory; single-coil files get maps of ones.

Masks: ``mask_seed="volume"`` draws fastMRI's per-volume mask (seed from the file name: every slice of
a volume shares it, volumes differ), an int draws one mask from that seed for every slice of every
volume (a fixed scanner protocol: what a learned transform can specialize to), None a fresh mask per
access (the mask function's own stream; augmentation; the maps, computed once, see only the fully
sampled center that every draw shares).

>>> data = ReconSlices("sim/", create_mask("poisson", [0.08], [4]), maps="espirit")   # doctest: +SKIP
>>> sample = data[0]; sample.kspace.shape, sample.maps.shape, sample.target.shape     # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Sequence

import torch
from torch.utils.data import Dataset

from ..errors import MonarchError
from .collate import collate_slices
from .dataset import SliceDataset
from .files import list_volumes
from .masks import MaskFunc
from .recon import MAP_SOURCES, center_lines, volume_maps


class ReconSample(NamedTuple):
    """One training slice (see the module docstring); batches stack every tensor field."""

    kspace: torch.Tensor
    mask: torch.Tensor
    maps: torch.Tensor
    target: torch.Tensor
    max_value: torch.Tensor
    fname: str
    slice_num: int


class FixedSeedMask:
    """A mask function that ignores the per-volume seed and always uses ``seed``: one mask for all."""

    def __init__(self, func: MaskFunc, seed: int):
        self.func, self.seed = func, int(seed)

    def __call__(self, shape, offset=None, seed=None):
        return self.func(shape, offset, seed=self.seed)

    def __getattr__(self, name):
        return getattr(self.func, name)


class SeededMaskCache:
    """Memoizes a mask function's seeded draws (a seeded draw is deterministic): a Poisson-disc mask
    takes seconds to draw at 320², and an epoch asks for the same one once per slice. Unseeded calls
    pass through."""

    def __init__(self, func):
        self.func, self._cache = func, {}

    def __call__(self, shape, offset=None, seed=None):
        if seed is None:
            return self.func(shape, offset, seed=None)
        key = (tuple(shape), offset, seed)
        if key not in self._cache:
            self._cache[key] = self.func(shape, offset, seed=seed)
        return self._cache[key]

    def __getattr__(self, name):
        return getattr(self.func, name)


class ReconSlices(Dataset):
    """Every slice of the fastMRI files in ``root`` (a directory or a list of files) as ReconSamples.

    mask_func: the undersampling (required: learned models train on undersampled data); mask_seed:
    "volume", an int or None (module docstring); maps: "espirit" or "file"; volumes: keep only the
    first that many files (sorted by name); progress: a progress bar while the maps are computed;
    cache_dir: also keep the maps on disk there, keyed by file (name, size, mtime), map source and the
    number of fully sampled center lines (what ESPIRiT calibrates on), and reuse them.
    Every file must hold a target and have the same k-space grid.
    """

    def __init__(self, root: str | os.PathLike | Sequence[str | os.PathLike], mask_func: MaskFunc,
                 mask_seed: str | int | None = "volume", maps: str = "espirit", volumes: int | None = None,
                 progress: bool = False, cache_dir: str | os.PathLike | None = None):
        if mask_func is None or not callable(mask_func):
            raise MonarchError("learned reconstruction needs a mask function (e.g. create_mask('poisson', [0.08], [4]))")
        if maps not in MAP_SOURCES:
            raise MonarchError(f"unknown coil-map source {maps!r}; valid sources: {', '.join(MAP_SOURCES)}")
        files = list_volumes(root) if isinstance(root, (str, os.PathLike)) else [Path(f) for f in root]
        if volumes is not None:
            if not isinstance(volumes, int) or not 1 <= volumes <= len(files):
                raise MonarchError(f"volumes must be between 1 and the {len(files)} files found, got {volumes!r}")
            files = files[:volumes]
        if mask_seed == "volume":
            func, use_seed = mask_func, True
        elif mask_seed is None:
            func, use_seed = mask_func, False
        elif isinstance(mask_seed, int) and not isinstance(mask_seed, bool):
            func, use_seed = FixedSeedMask(mask_func, mask_seed), True
        else:
            raise MonarchError(f"mask_seed must be 'volume', an int or None, got {mask_seed!r}")
        self.slices = SliceDataset(files, mask_func=SeededMaskCache(func), use_seed=use_seed)
        self.mask_seed, self.map_source = mask_seed, maps
        missing = [v.path.name for v in self.slices.volumes if v.target_key is None]
        if missing:
            raise MonarchError(f"training needs targets; these files have none (test files?): {', '.join(missing)}")
        grids = {tuple(v.kspace_shape[-2:]) for v in self.slices.volumes}
        if len(grids) > 1:
            raise MonarchError(f"all volumes must share one k-space grid (H, W) for one model, found {sorted(grids)}")
        self.shape: tuple[int, int] = grids.pop()
        self.files = files
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._maps: dict[str, torch.Tensor] = {}
        from tqdm.auto import tqdm

        for info in tqdm(self.slices.volumes, desc=f"coil maps ({maps})", unit="volume", disable=not progress):
            self._maps[info.path.name] = self._volume_maps(info.path)

    def _volume_maps(self, path: Path) -> torch.Tensor:
        indices = [i for i, raw in enumerate(self.slices.raw_samples) if raw.info.path == path]
        batch = collate_slices([self.slices[i] for i in indices])
        if batch.kspace.shape[1] == 1:
            return torch.ones_like(batch.kspace)
        if self.cache_dir is None:
            return volume_maps(path, batch.kspace, batch.mask, self.map_source)
        stat = path.stat()
        cached = self.cache_dir / f"{path.stem}-{self.map_source}-c{center_lines(batch.mask)}-{stat.st_size}-{stat.st_mtime_ns}.pt"
        if cached.is_file():
            return torch.load(cached, weights_only=True)
        maps = volume_maps(path, batch.kspace, batch.mask, self.map_source)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{cached.name}.tmp{os.getpid()}")
        torch.save(maps, tmp)
        os.replace(tmp, cached)
        return maps

    @property
    def num_volumes(self) -> int:
        return len(self.slices.volumes)

    def __len__(self) -> int:
        return len(self.slices)

    def __getitem__(self, index: int) -> ReconSample:
        sample = self.slices[index]
        return ReconSample(
            kspace=sample.kspace,
            mask=sample.mask.float(),
            maps=self._maps[sample.fname][sample.slice_num],
            target=sample.target,
            max_value=torch.tensor(sample.max_value, dtype=torch.float32),
            fname=sample.fname,
            slice_num=sample.slice_num,
        )

    def describe(self) -> dict:
        """What the dataset holds, for results files."""
        return {"files": [f.name for f in self.files], "slices": len(self), "kspace_grid": list(self.shape),
                "coils": self.slices.volumes[0].num_coils, "maps": self.map_source, "mask_seed": self.mask_seed}


__all__ = ["FixedSeedMask", "ReconSample", "ReconSlices", "SeededMaskCache"]
