"""Reconstruct fastMRI files with a classical method and write fastMRI-style outputs.

For each volume: its slices (retrospectively masked with ``mask_func`` and fastMRI's per-volume
seed, or the file's own 'mask' for test files, or fully sampled), coil maps (ESPIRiT from the
fully sampled center, or the file's 'sensitivity_maps'), the method from
:data:`~monarch_sci.mri.baselines.RECONSTRUCTIONS` (or a trained model: any callable
``method(kspace, mask, maps) -> images (S, H, W)`` with attributes ``name`` and ``needs_maps``,
e.g. ``mri.training.Reconstructor``), |·| and a center crop to the header's recon size; written as
``out_dir/<same name>`` with a 'reconstruction' dataset, plus a PNG preview.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from ..errors import MonarchError
from .baselines import NEEDS_MAPS, RECONSTRUCTIONS, reconstruct
from .coils import espirit_maps
from .collate import collate_slices
from .crop import center_crop
from .dataset import SliceDataset
from .files import list_volumes, read_dataset, write_reconstruction
from .masks import MaskFunc
from .metrics import volume_metrics

MAP_SOURCES = ("espirit", "file")


def center_lines(mask: torch.Tensor) -> int:
    """Width of the fully sampled k-space center of a mask (..., 1, W) or (..., H, W), sampled in
    every slice: for a column mask the run of sampled columns through column W // 2; for a 2-D mask
    the side of the largest fully sampled square about (H // 2, W // 2) (ESPIRiT's calibration region)."""
    m = mask.reshape(-1, *mask.shape[-2:]).bool().all(0).cpu().numpy() if mask.ndim > 1 else mask.bool().cpu().numpy()[None]
    if m.shape[0] == 1:
        cols = m[0]
        c = cols.shape[0] // 2
        if not cols[c]:
            return 0
        lo, hi = c, c
        while lo > 0 and cols[lo - 1]:
            lo -= 1
        while hi < cols.shape[0] - 1 and cols[hi + 1]:
            hi += 1
        return int(hi - lo + 1)
    (h, w), side = m.shape, 0
    while side < min(h, w):
        n = side + 1  # boxes centered by any convention: start within one of c - n // 2
        starts = lambda c: {c - n // 2 - 1, c - n // 2, c - n // 2 + 1}
        if not any(m[r:r + n, q:q + n].all() for r in starts(h // 2) for q in starts(w // 2)
                   if r >= 0 and q >= 0 and r + n <= h and q + n <= w):
            break
        side = n
    return side


def volume_maps(path: Path, kspace: torch.Tensor, mask: torch.Tensor, source: str, calib_width: int = 24, kernel_width: int = 6) -> torch.Tensor:
    """Coil maps (S, C, H, W) for one volume: ESPIRiT from the center, or the file's dataset."""
    if source == "file":
        maps = torch.from_numpy(read_dataset(path, "sensitivity_maps"))
        if maps.ndim == 3:
            maps = maps.unsqueeze(0).expand(kspace.shape[0], *maps.shape)
        if tuple(maps.shape) != tuple(kspace.shape):
            raise MonarchError(f"{path}: 'sensitivity_maps' {tuple(maps.shape)} do not match 'kspace' {tuple(kspace.shape)}")
        return maps.to(kspace.dtype)
    if source != "espirit":
        raise MonarchError(f"unknown coil-map source {source!r}; valid sources: {', '.join(MAP_SOURCES)}")
    width = min(calib_width, center_lines(mask))
    if width <= kernel_width:
        raise MonarchError(
            f"{path}: only {center_lines(mask)} fully sampled center lines; ESPIRiT needs more than its kernel width "
            f"{kernel_width}. Use a larger center fraction, or coil maps stored in the file (maps='file')"
        )
    return espirit_maps(kspace, calib_width=width, kernel_width=kernel_width)


def reconstruct_file(
    path: str | os.PathLike,
    method: str,
    mask_func: MaskFunc | None = None,
    maps: str = "espirit",
    device: str | torch.device = "cpu",
    **options,
) -> dict:
    """Reconstruct one file; returns {'reconstruction': (S, h, w) float32, 'target', 'mask', ...}.

    method: a name in RECONSTRUCTIONS, or a callable (kspace, mask, maps) -> images (see above)."""
    learned = callable(method)
    if not learned and method not in RECONSTRUCTIONS:
        raise MonarchError(f"unknown reconstruction method {method!r}; valid methods: {', '.join(RECONSTRUCTIONS)}")
    needs_maps = getattr(method, "needs_maps", True) if learned else NEEDS_MAPS[method]
    path = Path(path)
    ds = SliceDataset([path], mask_func=mask_func)
    batch = collate_slices([ds[i] for i in range(len(ds))])
    kspace, mask = batch.kspace.to(device), batch.mask.to(device)
    start = time.perf_counter()
    coil_maps = volume_maps(path, kspace, mask, maps).to(device) if needs_maps else None
    maps_seconds = time.perf_counter() - start
    if learned:
        images = method(kspace, mask.to(torch.float32), coil_maps)
    else:
        images = reconstruct(method, kspace, mask.to(torch.float32), coil_maps, **options)
    h, w = (int(v) for v in batch.crop_size[0])
    crop = (min(h, images.shape[-2]), min(w, images.shape[-1]))
    recon = center_crop(images.abs(), crop).float().cpu().numpy()
    target = batch.target.numpy() if batch.target.numel() else None
    return {
        "reconstruction": recon,
        "target": target,
        "mask": batch.mask[0].cpu(),
        "acceleration": float(mask.shape[-1] * (mask.shape[-2] if mask.shape[-2] > 1 else 1) / max(float(batch.mask[0].sum()), 1.0)),
        "num_low_frequencies": center_lines(batch.mask[0]),
        "maps_seconds": maps_seconds,
        "seconds": time.perf_counter() - start,
    }


def reconstruct_dir(
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    method,
    mask_func: MaskFunc | None = None,
    maps: str = "espirit",
    device: str | torch.device = "cpu",
    previews: bool = True,
    progress: bool = False,
    **options,
) -> list[dict]:
    """Reconstruct every volume in ``data_dir`` into ``out_dir`` (same file names); one summary dict
    per volume (file, seconds, acceleration, and metrics when the input holds a target)."""
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    files = list_volumes(data_dir)
    label = getattr(method, "name", "model") if callable(method) else method
    results = []
    for path in tqdm(files, desc=f"recon {label}", unit="volume", disable=not progress):
        out = reconstruct_file(path, method, mask_func, maps, device, **options)
        recon, target = out["reconstruction"], out["target"]
        write_reconstruction(out_dir / path.name, recon, attrs={"method": label, "options": json.dumps(options, default=str)})
        row = {k: out[k] for k in ("acceleration", "num_low_frequencies", "seconds", "maps_seconds")}
        row["file"] = path.name
        if target is not None and target.shape[-2:] == recon.shape[-2:]:
            row["metrics"] = volume_metrics(target, recon)
        if previews:
            from .previews import save_preview

            mid = recon.shape[0] // 2
            panels = {}
            if target is not None and target.shape[-2:] == recon.shape[-2:]:
                panels["target"] = target[mid]
            panels[label] = recon[mid]
            if "target" in panels:
                panels["|error|"] = np.abs(target[mid] - recon[mid])
            title = f"{path.name} slice {mid}, R = {out['acceleration']:.2f}"
            if "metrics" in row:
                m = row["metrics"]
                title += f"  NMSE {m['NMSE']:.4f}  PSNR {m['PSNR']:.2f}  SSIM {m['SSIM']:.4f}"
            save_preview(out_dir / "previews" / f"{path.stem}.png", panels, title)
        results.append(row)
    return results


__all__ = ["MAP_SOURCES", "center_lines", "reconstruct_dir", "reconstruct_file", "volume_maps"]
