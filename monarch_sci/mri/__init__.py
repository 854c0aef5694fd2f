"""MRI: fastMRI files and datasets, masks, coil maps, SENSE operators, simulation, metrics, baselines.

Forward model y = M F S x (REFERENCE.md §3) with F the centered orthonormal FFT, or a learnable
Monarch DFT equal to it at init:

>>> import torch
>>> from monarch_sci import mri
>>> maps = mri.birdcage_maps(8, (64, 64), dtype=torch.complex128)   # doctest: +SKIP
>>> mask, _ = mri.create_mask("random", [0.08], [4])((8, 64, 64), seed=0)
>>> A = mri.sense_operator(maps, mask, fourier="monarch")            # doctest: +SKIP

sigpy (coil maps, Poisson masks, L1-wavelet) and matplotlib (previews) are imported only when used.
"""

from .baselines import RECONSTRUCTIONS, l1_wavelet, reconstruct, sense, zero_filled
from .cg import conjugate_gradient
from .coils import birdcage_maps, espirit_maps
from .collate import collate_slices
from .combine import coil_combine, images_to_kspace, kspace_to_images, rss, rss_from_kspace
from .crop import center_crop, center_crop_to_smallest
from .dataset import RawSample, SliceDataset, SliceSample
from .evaluate import Evaluation, evaluate_dirs, evaluate_volume
from .files import VolumeInfo, inspect_volume, list_volumes, read_target, write_reconstruction, write_volume
from .header import EncodingInfo, build_header, parse_header
from .masks import MASKS, MaskFunc, available_masks, create_mask, volume_seed
from .metrics import METRICS, mse, nmse, psnr, ssim, ssim_gaussian, volume_metrics
from .operators import FOURIER, centered_fft2, fourier_operator, monarch_fft2, sense_adjoint, sense_operator
from .phantoms import PHANTOMS, phantom
from .recon import reconstruct_dir, reconstruct_file
from .sampler import ShapeBatchSampler, VolumeSampler
from .simulate import SimulatedVolume, simulate_files, simulate_volume, write_simulated

__all__ = [
    "FOURIER",
    "MASKS",
    "METRICS",
    "PHANTOMS",
    "RECONSTRUCTIONS",
    "EncodingInfo",
    "Evaluation",
    "MaskFunc",
    "RawSample",
    "ShapeBatchSampler",
    "SimulatedVolume",
    "SliceDataset",
    "SliceSample",
    "VolumeInfo",
    "VolumeSampler",
    "available_masks",
    "birdcage_maps",
    "build_header",
    "center_crop",
    "center_crop_to_smallest",
    "centered_fft2",
    "coil_combine",
    "collate_slices",
    "conjugate_gradient",
    "create_mask",
    "espirit_maps",
    "evaluate_dirs",
    "evaluate_volume",
    "fourier_operator",
    "images_to_kspace",
    "inspect_volume",
    "kspace_to_images",
    "l1_wavelet",
    "list_volumes",
    "monarch_fft2",
    "mse",
    "nmse",
    "parse_header",
    "phantom",
    "psnr",
    "read_target",
    "reconstruct",
    "reconstruct_dir",
    "reconstruct_file",
    "rss",
    "rss_from_kspace",
    "sense",
    "sense_adjoint",
    "sense_operator",
    "simulate_files",
    "simulate_volume",
    "ssim",
    "ssim_gaussian",
    "volume_metrics",
    "volume_seed",
    "write_reconstruction",
    "write_simulated",
    "write_volume",
    "zero_filled",
]
