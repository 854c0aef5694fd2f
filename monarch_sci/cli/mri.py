"""`monarch-sci mri`: simulate fastMRI-format data, reconstruct it (classically or with a trained model),
train learned reconstructions, evaluate like fastMRI.

    monarch-sci mri simulate sim/ --volumes 2 --slices 8 --size 320 320 --coils 8 --snr 40 --oversample
    monarch-sci mri simulate sim_test/ --mask random --acceleration 4 --center-fraction 0.08
    monarch-sci mri recon sim/ recon/sense4x --method sense --mask random --acceleration 4 --center-fraction 0.08
    monarch-sci mri eval --targets sim/ --recons recon/sense4x
    monarch-sci mri models
    monarch-sci mri train --model msense sim/train --out runs/msense --mask poisson --acceleration 4 --epochs 50
    monarch-sci mri recon sim/test recon/msense --checkpoint runs/msense/checkpoint.pt

Training runs resume from their output directory: the same command again continues an interrupted run.
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

    rec = sub.add_parser("recon", help="reconstruct every volume of a directory (zero-filled, SENSE, L1-wavelet, or a trained model)")
    rec.add_argument("data", metavar="DATA_DIR", help="fastMRI files (fully sampled, or test files with 'mask')")
    rec.add_argument("out", metavar="OUT_DIR", help="reconstruction files (same names), previews/ and recon.json")
    how = rec.add_mutually_exclusive_group(required=True)
    how.add_argument("--method", help="zero-filled, sense or l1-wavelet")
    how.add_argument("--checkpoint", help="checkpoint.pt of `mri train`: reconstruct with the trained model (its mask and maps unless given)")
    _mask_flags(rec, "undersample fully sampled files retrospectively with this mask (fastMRI per-volume seed)")
    rec.add_argument("--mask-seed", help="'volume' (fastMRI's per-volume seed, default) or an int: one mask for every volume "
                     "(with --checkpoint default the training run's)")
    rec.add_argument("--maps", help="coil maps: espirit (from the center; default) or file ('sensitivity_maps'); with --checkpoint default the training run's")
    rec.add_argument("--lamda", type=float, help="regularization weight (sense: 1e-2, l1-wavelet: 1e-3 on the max-1 scale)")
    rec.add_argument("--max-iter", type=int, help="iterations (sense CG: 50, l1-wavelet: 100)")
    rec.add_argument("--fourier", default="fft", help="sense only: fft (default) or monarch (the Monarch DFT at its exact init)")
    rec.add_argument("--device", default="cpu", help="torch device for zero-filled and sense (default cpu)")
    rec.add_argument("--no-preview", action="store_true", help="no PNG previews")
    rec.add_argument("--no-progress", action="store_true", help="no progress bar")
    rec.set_defaults(run=_run_recon)

    rec.add_argument("--batch-size", type=int, default=4, help="with --checkpoint: slices per forward pass (default 4)")
    rec.add_argument("--threads", type=int, help="torch CPU threads")

    models = sub.add_parser("models", help="list the learned reconstruction models")
    models.set_defaults(run=_run_models)

    train = sub.add_parser("train", help="train a learned reconstruction on simulated or fastMRI files (resumes from --out)")
    train.add_argument("data", metavar="DATA_DIR", help="fully sampled fastMRI files with targets (multi-coil)")
    train.add_argument("--model", required=True, help="msense, unrolled-monarch, unrolled-fft or unet (see `mri models`)")
    train.add_argument("--out", required=True, help="run directory (checkpoint.pt, metrics, result.json, PNGs)")
    train.add_argument("--val", metavar="VAL_DIR", help="validation files (evaluated every --eval-every epochs)")
    train.add_argument("--volumes", type=int, help="train on the first N volumes of DATA_DIR only")
    _mask_flags(train, "the undersampling to learn (default poisson)")
    train.set_defaults(mask="poisson")
    train.add_argument("--mask-seed", default="volume", help="'volume': fastMRI's per-volume mask seed (default); an int: one mask for every slice")
    train.add_argument("--maps", default="espirit", help="coil maps: espirit (from the center, default) or file ('sensitivity_maps')")
    train.add_argument("--maps-cache", metavar="DIR", help="keep computed coil maps in DIR and reuse them in later runs")
    train.add_argument("--loss", default="l1", choices=["l1", "ssim", "ssim-l1"], help="image loss on magnitudes (default l1)")
    add = train.add_argument
    add("--epochs", type=int, default=50)
    add("--batch-size", type=int, default=2, help="slices per step (default 2)")
    add("--time-budget", type=float, help="seconds of training after which no new epoch starts")
    add("--lr", type=float, default=1e-3, help="learning rate of the networks (default 1e-3)")
    add("--transform-lr", type=float, default=5e-5,
        help="learning rate of the Monarch transform factors (default 5e-5: Adam steps of 3e-4 already scramble a 320-point DFT)")
    add("--weight-decay", type=float, default=0.0, help="default 0 (decay would pull the transforms away from the DFT)")
    add("--schedule", default="cosine", choices=["step", "cosine", "constant"])
    add("--grad-clip", type=float, help="clip the gradient norm")
    add("--amp", default="off", choices=["off", "bf16"], help="bf16 autocast for the CNNs (physics stays complex64)")
    add("--compile", action="store_true", help="torch.compile the model in place")
    add("--checkpoint-every", type=int, default=0, help="also checkpoint every N steps")
    add("--eval-every", type=int, default=1)
    add("--seed", type=int, default=0)
    add("--threads", type=int, help="torch CPU threads (1 is fastest for small images on a busy machine)")
    add("--device", default="auto", help="auto, cpu, cuda or cuda:N; under torchrun each process takes cuda:LOCAL_RANK")
    add("--no-progress", action="store_true")
    add("--no-plots", action="store_true")
    opt = train.add_argument_group("model options (default: the model's; see `mri models`)")
    opt.add_argument("--learn", choices=["inverse", "forward", "both", "none"], help="which Monarch transforms learn")
    opt.add_argument("--structure", choices=["M", "MM*", "(MM*)^2"], help="learnable Monarch factors per transform")
    opt.add_argument("--init", choices=["exact", "random"], help="Monarch init: the exact centered DFT or random factors")
    opt.add_argument("--lamda", type=float, help="msense / unrolled: Tikhonov weight of the CG solve (default 1e-2)")
    opt.add_argument("--iterations", type=int, help="msense: CG iterations (default 10; 0: the adjoint alone)")
    opt.add_argument("--cascades", type=int, help="unrolled: cascades (default 5)")
    opt.add_argument("--init-iterations", type=int, help="unrolled: CG iterations of the SENSE warm start (default 10; 0: the adjoint)")
    opt.add_argument("--warm-start", choices=["exact", "learned"],
                     help="unrolled-monarch: SENSE warm start with the exact FFT (default) or the learned transforms")
    opt.add_argument("--chans", type=int, help="unrolled / unet: U-Net channels (default 8 / 32)")
    opt.add_argument("--pools", type=int, help="unrolled / unet: U-Net pooling levels (default 2 / 4)")
    opt.add_argument("--no-share", action="store_true", help="unrolled-monarch: one transform pair per cascade")
    opt.add_argument("--no-materialize", action="store_true", help="apply the Monarch factors one by one instead of as dense matrices")
    train.set_defaults(run=_run_train)

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

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.checkpoint:
        return _run_recon_checkpoint(args)
    args.maps = args.maps or "espirit"
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
    mask_func = _mask_func(args)
    seed = _mask_seed(args.mask_seed)
    if isinstance(seed, int):
        if mask_func is None:
            raise MonarchError("--mask-seed needs --mask (retrospective undersampling)")
        from ..mri.training_data import FixedSeedMask

        mask_func = FixedSeedMask(mask_func, seed)
    rows = reconstruct_dir(
        args.data, args.out, args.method, mask_func, maps=args.maps, device=args.device,
        previews=not args.no_preview, progress=not args.no_progress, **options,
    )
    settings = {k: v for k, v in vars(args).items() if k != "run"}
    _write_json(Path(args.out) / "recon.json", {**_provenance(**settings), "volumes": rows})
    _print_rows(rows, args.out)
    return 0


def _mask_seed(value):
    """'volume', or an int (one mask for every slice)."""
    from ..errors import MonarchError

    if value is None or value == "volume":
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MonarchError(f"--mask-seed must be 'volume' or an int, got {value!r}") from None


def _print_rows(rows, out) -> None:
    for row in rows:
        line = f"{row['file']}: R = {row['acceleration']:.2f}, {row['seconds']:.1f} s"
        if "metrics" in row:
            m = row["metrics"]
            line += f", NMSE {m['NMSE']:.4g} PSNR {m['PSNR']:.4g} SSIM {m['SSIM']:.4g}"
        print(line)
    print(f"wrote {len(rows)} reconstructions to {out}")


def _run_recon_checkpoint(args) -> int:
    """`mri recon --checkpoint`: the trained model, its mask (seeded as in training) and maps unless overridden."""
    from ..mri.recon import reconstruct_dir
    from ..mri.training import Reconstructor, load_trained, mask_from_spec
    from ..mri.training_data import FixedSeedMask
    from ..train import resolve_device

    device = resolve_device(args.device)
    model, meta = load_trained(args.checkpoint, device)
    spec = dict(meta.get("mask") or {})
    mask_func = _mask_func(args) if args.mask else (mask_from_spec(spec) if spec else None)
    seed = _mask_seed(args.mask_seed) if args.mask_seed is not None else spec.get("seed", "volume")
    if mask_func is not None and isinstance(seed, int):
        mask_func = FixedSeedMask(mask_func, seed)
    maps = args.maps or meta.get("maps", "espirit")
    rows = reconstruct_dir(args.data, args.out, Reconstructor(model, meta, args.batch_size), mask_func, maps=maps,
                           device=device, previews=not args.no_preview, progress=not args.no_progress)
    settings = {k: v for k, v in vars(args).items() if k != "run"}
    _write_json(Path(args.out) / "recon.json", {**_provenance(**settings), "model": meta.get("model"), "mask": spec,
                                                "mask_seed": seed, "maps": maps, "volumes": rows})
    _print_rows(rows, args.out)
    return 0


def _run_models(args) -> int:
    from ..mri.models import available_models

    for name, summary in available_models().items():
        print(f"{name:18s} {summary}")
    return 0


def _model_options(args) -> dict:
    from ..errors import MonarchError

    options = {k: getattr(args, k) for k in ("learn", "structure", "init", "lamda", "iterations", "cascades", "chans", "pools",
                                              "init_iterations", "warm_start") if getattr(args, k) is not None}
    if args.no_share:
        options["share"] = False
    if args.no_materialize:
        options["materialize"] = False
    allowed = {
        "msense": {"learn", "structure", "init", "lamda", "iterations", "materialize"},
        "unrolled-monarch": {"learn", "structure", "init", "cascades", "chans", "pools", "share", "materialize", "lamda",
                             "init_iterations", "warm_start"},
        "unrolled-fft": {"cascades", "chans", "pools", "lamda", "init_iterations"},
        "unet": {"chans", "pools"},
    }.get(args.model)
    if allowed is not None and set(options) - allowed:
        bad = ", ".join("--" + k.replace("_", "-") for k in sorted(set(options) - allowed))
        raise MonarchError(f"{bad} do(es) not apply to --model {args.model}")
    return options


def _run_train(args) -> int:
    import torch

    from ..errors import MonarchError
    from ..mri.models import model_entry
    from ..mri.training import mask_spec, train_recon
    from ..mri.training_data import ReconSlices
    from ..train import DistEnv, OptimizerSpec, TrainConfig

    model_entry(args.model)  # an unknown name fails before any data is read
    options = _model_options(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    seed = _mask_seed(args.mask_seed)
    if seed is None:
        raise MonarchError("--mask-seed must be 'volume' or an int")
    mask_func = _mask_func(args)
    spec = mask_spec(args.mask, args.center_fraction, [int(a) if float(a).is_integer() else a for a in args.acceleration], seed)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, grad_clip=args.grad_clip, amp=args.amp,
                         compile=args.compile, checkpoint_every=args.checkpoint_every, time_budget=args.time_budget,
                         progress=not args.no_progress, eval_every=args.eval_every, loss_reduction="mean")
    optimizer = OptimizerSpec(name="adam", lr=args.lr, weight_decay=args.weight_decay, transform_lr=args.transform_lr,
                              schedule=args.schedule)
    env = DistEnv.from_env(device=args.device)
    try:
        progress = config.progress and env.is_main
        data = ReconSlices(args.data, mask_func, seed, args.maps, args.volumes, progress, args.maps_cache)
        val = ReconSlices(args.val, mask_func, seed, args.maps, progress=progress, cache_dir=args.maps_cache) if args.val else None
        result = train_recon(args.model, data, args.out, config, optimizer, options, val, args.loss, spec, env,
                             plots=not args.no_plots, command=_command())
    finally:
        env.close()
    if env.is_main:
        v = result["val"]
        scores = f"; validation slice PSNR {v['psnr']:.2f} dB, SSIM {v['ssim']:.4f}" if v else ""
        p = result["parameters"]
        print(f"{args.model}: {result['status']} after {result['epochs']} epochs{scores}; {p['total']:,} parameters "
              f"({p['transforms']:,} in transforms); {result['seconds_per_epoch']:.2f} s / epoch; results in {args.out}")
    return 0 if result["status"] != "interrupted" else 3


def _command() -> str:
    return " ".join(["monarch-sci", *sys.argv[1:]]) if sys.argv else ""


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
