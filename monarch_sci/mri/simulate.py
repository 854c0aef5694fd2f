"""Simulated multi-coil acquisitions written as fastMRI-format volumes.

image m (slices, h, w) ≥ 0 → x = m · e^{iφ} with a smooth random phase φ → (optional 2× readout
oversampling: x zero-padded to (2h, w)) → coil images S_c x with birdcage maps → k-space
y = F(S_c x) + n (centered orthonormal FFT; complex Gaussian noise with E|n|² = σ²) → stored
complex64. SNR (dB) = 20 log10(mean |x| over the object / σ), the image-domain SNR of one coil of
unit sensitivity. The target is computed from the stored k-space exactly as fastMRI defines it:
RSS of the inverse FFT (|·| for single-coil), center-cropped to (h, w).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np
import torch

from ..errors import MonarchError
from .combine import images_to_kspace, rss_from_kspace
from .crop import center_crop
from .files import write_volume
from .header import build_header
from .masks import MaskFunc, volume_seed


class SimulatedVolume(NamedTuple):
    """kspace (S, C, H, W) complex64 (single-coil: (S, H, W)); target (S, h, w) float32; maps
    (C, H, W) complex64; header: ISMRMRD XML; attrs: fastMRI attributes plus the settings used."""

    kspace: np.ndarray
    target: np.ndarray
    maps: np.ndarray
    header: str
    attrs: dict


def smooth_phase(shape: tuple[int, int], rng: np.random.Generator, max_phase: float = np.pi) -> np.ndarray:
    """A random quadratic phase map (h, w) with values in [−max_phase, max_phase]."""
    h, w = shape
    y, x = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    c = rng.normal(size=6)
    phi = c[0] + c[1] * y + c[2] * x + c[3] * x * y + c[4] * y**2 + c[5] * x**2
    phi = phi - phi.mean()
    return max_phase * phi / max(np.abs(phi).max(), 1e-12)


def target_from_kspace(kspace: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """fastMRI's target: RSS (multi-coil (S, C, H, W)) or magnitude (single-coil (S, H, W)) of
    the inverse centered FFT, center-cropped; float32."""
    ksp = torch.from_numpy(np.asarray(kspace)).to(torch.complex128)
    img = rss_from_kspace(ksp) if ksp.ndim == 4 else rss_from_kspace(ksp.unsqueeze(1))
    return center_crop(img, crop).numpy().astype(np.float32)


def simulate_volume(
    images: np.ndarray,
    num_coils: int = 8,
    snr_db: float | None = 40.0,
    oversample: bool = False,
    seed: int = 0,
    single_coil: bool = False,
    max_phase: float = np.pi,
    source: str = "phantom",
) -> SimulatedVolume:
    """Simulate one volume from magnitude ``images`` (slices, h, w); see the module docstring.

    single_coil: k-space (S, H, W) with a uniform coil (target 'reconstruction_esc').
    snr_db None: no noise.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 2:
        images = images[None]
    if images.ndim != 3 or min(images.shape[-2:]) < 8 or not np.isfinite(images).all():
        raise MonarchError(f"simulate_volume needs finite magnitude images (slices, h, w) ≥ 8×8, got shape {images.shape}")
    if images.min() < 0 or images.max() <= 0:
        raise MonarchError("simulate_volume needs magnitude images (all values ≥ 0, not all zero)")
    if not single_coil and (not isinstance(num_coils, int) or num_coils < 1):
        raise MonarchError(f"num_coils must be a positive int, got {num_coils!r}")
    rng = np.random.default_rng(seed)
    s, h, w = images.shape
    big_h = 2 * h if oversample else h
    x = images * np.exp(1j * smooth_phase((h, w), rng, max_phase))[None]
    top = (big_h - h) // 2
    x = np.pad(x, ((0, 0), (top, big_h - h - top), (0, 0)))
    if single_coil:
        maps = np.ones((1, big_h, w), dtype=np.complex64)
    else:
        from .coils import birdcage_maps

        maps = birdcage_maps(num_coils, (big_h, w)).numpy()
    coil_images = torch.from_numpy(maps.astype(np.complex128)[None] * x[:, None])
    kspace = images_to_kspace(coil_images).numpy()
    sigma = 0.0
    if snr_db is not None:
        obj = images > 0.1 * images.max()
        sigma = float(images[obj].mean() / 10 ** (snr_db / 20))
        kspace = kspace + sigma / np.sqrt(2) * (rng.standard_normal(kspace.shape) + 1j * rng.standard_normal(kspace.shape))
    kspace = kspace.astype(np.complex64)
    if single_coil:
        kspace = kspace[:, 0]
    target = target_from_kspace(kspace, (h, w))
    header = build_header((big_h, w), (h, w), 1 if single_coil else num_coils)
    attrs = {
        "acquisition": f"SIM_{source.upper()}",
        "max": float(target.max()),
        "norm": float(np.linalg.norm(target)),
        "patient_id": hashlib.sha1(f"{source}-{seed}".encode()).hexdigest()[:16],
        "sim_seed": int(seed),
        "sim_num_coils": int(maps.shape[0]),
        "sim_snr_db": float("nan") if snr_db is None else float(snr_db),
        "sim_noise_sigma": sigma,
        "sim_oversample": bool(oversample),
    }
    return SimulatedVolume(kspace, target, maps.astype(np.complex64), header, attrs)


def write_simulated(
    path: str | os.PathLike,
    volume: SimulatedVolume,
    mask_func: MaskFunc | None = None,
    with_target: bool = True,
    save_maps: bool = False,
) -> Path:
    """Write a simulated volume as a fastMRI file.

    mask_func: write a test/challenge-style file instead (pre-masked k-space, 'mask' (W,),
    attributes 'acceleration' and 'num_low_frequencies'), the mask drawn with the per-volume seed
    of the file name; then the target is written only if ``with_target``. save_maps: also store
    the true coil maps as 'sensitivity_maps' (C, H, W).
    """
    path = Path(path)
    kspace, attrs, mask = volume.kspace, dict(volume.attrs), None
    target = volume.target
    if mask_func is not None:
        if len(mask_func.accelerations) != 1:
            raise MonarchError("test-style files record one acceleration: give a mask function with a single acceleration")
        drawn, num_low = mask_func(kspace.shape[-2:], seed=volume_seed(path.name))
        if drawn.shape[-2] != 1:
            raise MonarchError(f"test-style files store a column mask (W,); the {mask_func.name} mask is 2-D")
        mask = drawn.reshape(-1).numpy() > 0
        kspace = kspace * mask.astype(np.complex64)
        attrs.update(acceleration=mask_func.accelerations[0], num_low_frequencies=int(num_low))
        target = target if with_target else None
        if target is None:
            attrs.pop("max", None)
            attrs.pop("norm", None)
    extra = {"sensitivity_maps": volume.maps} if save_maps else None
    return write_volume(path, kspace, volume.header, target=target, attrs=attrs, mask=mask, extra=extra)


def simulate_files(
    out_dir: str | os.PathLike,
    volumes: Iterable[tuple[str, np.ndarray]],
    num_coils: int = 8,
    snr_db: float | None = 40.0,
    oversample: bool = False,
    seed: int = 0,
    single_coil: bool = False,
    mask_func: MaskFunc | None = None,
    with_target: bool = True,
    save_maps: bool = False,
    source: str = "phantom",
    progress: bool = False,
) -> list[Path]:
    """Simulate and write ``(name, images)`` volumes to ``out_dir/<name>.h5`` (seed + i per volume)."""
    from tqdm.auto import tqdm

    paths = []
    for i, (name, images) in enumerate(tqdm(list(volumes), desc="simulate", unit="volume", disable=not progress)):
        vol = simulate_volume(images, num_coils, snr_db, oversample, seed + i, single_coil, source=source)
        paths.append(write_simulated(Path(out_dir) / f"{name}.h5", vol, mask_func, with_target, save_maps))
    return paths


__all__ = ["SimulatedVolume", "simulate_files", "simulate_volume", "smooth_phase", "target_from_kspace", "write_simulated"]
