"""`monarch-sci mri`: simulate fastMRI-format data, reconstruct it classically, evaluate like fastMRI.

    monarch-sci mri simulate sim/ --volumes 2 --slices 8 --size 320 320 --coils 8 --snr 40 --oversample
    monarch-sci mri simulate sim_test/ --mask random --acceleration 4 --center-fraction 0.08
    monarch-sci mri recon sim/ recon/sense4x --method sense --mask random --acceleration 4 --center-fraction 0.08
    monarch-sci mri eval --targets sim/ --recons recon/sense4x
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("mri", help="MRI: simulate fastMRI-format data, classical reconstructions, fastMRI metrics")
    sub = parser.add_subparsers(dest="mri_command", metavar="ACTION", required=True)

    sim = sub.add_parser("simulate", help="write simulated multi-coil volumes as fastMRI HDF5 files")
    sim.add_argument("out", metavar="OUT_DIR", help="directory for the .h5 files and simulate.json")
    src = sim.add_mutually_exclusive_group()
    src.add_argument("--phantom", default="shepp_logan", help="built-in phantom: shepp_logan (default) or blobs")
    src.add_argument("--images", nargs="+", metavar="FILE", help="magnitude images instead: .npy, .png/.jpg/.tif, .dcm, .nii(.gz); one volume each")
    sim.add_argument("--volumes", type=int, default=1, help="phantom volumes (default 1)")
    sim.add_argument("--slices", type=int, default=4, help="slices per phantom volume (default 4)")
    sim.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), help="image size (phantom default 320 320; images are resized if given)")
    sim.add_argument("--coils", type=int, default=8, help="birdcage coils (default 8)")
    sim.add_argument("--snr", type=float, default=40.0, help="image-domain SNR in dB: mean object magnitude / noise std (default 40)")
    sim.add_argument("--no-noise", action="store_true", help="no noise")
    sim.add_argument("--oversample", action="store_true", help="2x readout oversampling: k-space (2H, W), target (H, W)")
    sim.add_argument("--single-coil", action="store_true", help="single-coil files (kspace (S, H, W), reconstruction_esc)")
    sim.add_argument("--save-maps", action="store_true", help="also store the true coil maps as 'sensitivity_maps'")
    sim.add_argument("--seed", type=int, default=0, help="seed of volume 0 (volume i uses seed + i)")
    _mask_flags(sim, "write test-style files: pre-masked k-space and a 'mask' dataset with this mask type")
    sim.add_argument("--with-target", action="store_true", help="with --mask: keep the target too (the fastMRI test split has none)")
    sim.add_argument("--prefix", default="sim", help="file name prefix for phantom volumes (default sim)")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")
    sim.set_defaults(run=_run_simulate)

    rec = sub.add_parser("recon", help="reconstruct every volume of a directory (zero-filled, SENSE, L1-wavelet)")
    rec.add_argument("data", metavar="DATA_DIR", help="fastMRI files (fully sampled, or test files with 'mask')")
    rec.add_argument("out", metavar="OUT_DIR", help="reconstruction files (same names), previews/ and recon.json")
    rec.add_argument("--method", required=True, help="zero-filled, sense or l1-wavelet")
    _mask_flags(rec, "undersample fully sampled files retrospectively with this mask (fastMRI per-volume seed)")
    rec.add_argument("--maps", default="espirit", help="coil maps: espirit (from the center, default) or file ('sensitivity_maps')")
    rec.add_argument("--lamda", type=float, help="regularization weight (sense: 1e-2, l1-wavelet: 1e-3 on the max-1 scale)")
    rec.add_argument("--max-iter", type=int, help="iterations (sense CG: 50, l1-wavelet: 100)")
    rec.add_argument("--fourier", default="fft", help="sense only: fft (default) or monarch (the Monarch DFT at its exact init)")
    rec.add_argument("--device", default="cpu", help="torch device for zero-filled and sense (default cpu)")
    rec.add_argument("--no-preview", action="store_true", help="no PNG previews")
    rec.add_argument("--no-progress", action="store_true", help="no progress bar")
    rec.set_defaults(run=_run_recon)

    ev = sub.add_parser("eval", help="fastMRI metrics (NMSE, PSNR, SSIM; plus Gaussian SSIM) per volume and aggregated")
    ev.add_argument("--targets", required=True, help="directory of target files (reconstruction_rss / reconstruction_esc)")
    ev.add_argument("--recons", required=True, help="directory of reconstruction files with the same names")
    ev.add_argument("--acquisition", help="only volumes with this 'acquisition' attribute")
    ev.add_argument("--acceleration", type=int, help="only volumes with this 'acceleration' attribute")
    ev.add_argument("--json", metavar="FILE", help="also write per-volume and aggregate metrics to this JSON file")
    ev.set_defaults(run=_run_eval)


def _mask_flags(parser, help_text: str) -> None:
    parser.add_argument("--mask", metavar="TYPE", help=help_text + " (random, equispaced, equispaced_fraction, magic, magic_fraction, poisson, variable_density)")
    parser.add_argument("--acceleration", type=float, nargs="+", default=[4], help="acceleration(s) (default 4)")
    parser.add_argument("--center-fraction", type=float, nargs="+", default=[0.08], help="center fraction(s) (default 0.08)")


def _mask_func(args):
    if not args.mask:
        return None
    from ..mri.masks import create_mask

    accelerations = [int(a) if float(a).is_integer() else a for a in args.acceleration]
    return create_mask(args.mask, args.center_fraction, accelerations)


def _provenance(**settings) -> dict:
    import numpy
    import torch

    from .. import __version__

    versions = {"monarch-sci": __version__, "torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version()}
    if "sigpy" in sys.modules:
        versions["sigpy"] = sys.modules["sigpy"].__version__
    return {"command": " ".join(["monarch-sci", *sys.argv[1:]]), "versions": versions, "settings": settings}


def _finite(value):
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(_finite(data), indent=2, default=str, allow_nan=False))
    os.replace(tmp, path)


def _run_simulate(args) -> int:
    from ..errors import MonarchError
    from ..mri.images import load_images, resize
    from ..mri.phantoms import phantom
    from ..mri.simulate import simulate_files

    if args.with_target and not args.mask:
        raise MonarchError("--with-target only applies to test-style files (--mask)")
    if args.images:
        volumes, source = [], "image"
        for f in args.images:
            images = load_images(f)
            images = resize(images, tuple(args.size)) if args.size else images
            volumes.append((Path(f).name.split(".")[0], images))
    else:
        if args.volumes < 1 or args.slices < 1:
            raise MonarchError(f"--volumes and --slices must be ≥ 1, got {args.volumes} and {args.slices}")
        size = tuple(args.size or (320, 320))
        volumes = [(f"{args.prefix}{i:04d}", phantom(args.phantom, args.slices, size, seed=args.seed + i)) for i in range(args.volumes)]
        source = args.phantom
    snr = None if args.no_noise else args.snr
    paths = simulate_files(
        args.out, volumes, num_coils=args.coils, snr_db=snr, oversample=args.oversample, seed=args.seed,
        single_coil=args.single_coil, mask_func=_mask_func(args), with_target=args.with_target or not args.mask,
        save_maps=args.save_maps, source=source, progress=not args.no_progress,
    )
    settings = {k: v for k, v in vars(args).items() if k != "run"}
    _write_json(Path(args.out) / "simulate.json", {**_provenance(**settings), "files": [p.name for p in paths]})
    for p in paths:
        print(p)
    return 0


def _run_recon(args) -> int:
    from ..errors import MonarchError
    from ..mri.baselines import RECONSTRUCTIONS
    from ..mri.recon import reconstruct_dir

    if args.method not in RECONSTRUCTIONS:
        raise MonarchError(f"unknown method {args.method!r}; valid methods: {', '.join(RECONSTRUCTIONS)}")
    options = {}
    if args.lamda is not None:
        if args.method == "zero-filled":
            raise MonarchError("--lamda does not apply to zero-filled")
        options["lamda"] = args.lamda
    if args.max_iter is not None:
        if args.method == "zero-filled":
            raise MonarchError("--max-iter does not apply to zero-filled")
        options["max_iter"] = args.max_iter
    if args.fourier != "fft":
        if args.method != "sense":
            raise MonarchError("--fourier applies to sense only")
        options["fourier"] = args.fourier
    rows = reconstruct_dir(
        args.data, args.out, args.method, _mask_func(args), maps=args.maps, device=args.device,
        previews=not args.no_preview, progress=not args.no_progress, **options,
    )
    settings = {k: v for k, v in vars(args).items() if k != "run"}
    _write_json(Path(args.out) / "recon.json", {**_provenance(**settings), "volumes": rows})
    for row in rows:
        line = f"{row['file']}: R = {row['acceleration']:.2f}, {row['seconds']:.1f} s"
        if "metrics" in row:
            m = row["metrics"]
            line += f", NMSE {m['NMSE']:.4g} PSNR {m['PSNR']:.4g} SSIM {m['SSIM']:.4g}"
        print(line)
    print(f"wrote {len(rows)} reconstructions to {args.out}")
    return 0


def _run_eval(args) -> int:
    from ..mri.evaluate import evaluate_dirs

    result = evaluate_dirs(args.targets, args.recons, acquisition=args.acquisition, acceleration=args.acceleration)
    print(result.table())
    print("SSIM: fastMRI's (uniform 7x7 window, K1 0.01, K2 0.03, sample covariance); SSIM_gaussian: 11x11 Gaussian, sigma 1.5")
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k != "run"}
        aggregate = {k: {"mean": m, "std": s} for k, (m, s) in result.aggregate.items()}
        _write_json(Path(args.json), {**_provenance(**settings), "per_volume": result.per_volume, "aggregate": aggregate})
    return 0
