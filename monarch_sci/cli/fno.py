"""`monarch-sci fno`: train, evaluate and compare FNO / Monarch-NO models.

    monarch-sci fno models
    monarch-sci fno train --data ns-v1e-3-small --model monarch-no2d-time --epochs 30 --out runs/mno
    monarch-sci fno eval --checkpoint runs/mno/checkpoint.pt [--data other-grid.h5]
    monarch-sci fno compare --protocol ns-v1e-3-cpu --out results/ns-v1e-3-small
    torchrun --nproc_per_node=2 -m monarch_sci.cli.main fno compare --protocol ns-v1e-3-h200 --out ...

Runs resume from their output directory: the same command again continues an interrupted run.
"""

from __future__ import annotations

import json
import sys

# flags whose defaults come from a --protocol when not given (argparse default None)
_DEFAULTS = {"epochs": 500, "batch_size": 20, "device": "auto", "modes": None, "width": None,
             "n_train": None, "n_test": None, "steps": None, "eval_every": 1, "time_budget": None, "threads": None,
             "checkpoint_every": 0, "jobs": 1, "lr": 1e-3, "schedule": "step", "transform_lr": None,
             "cuda_graph": False, "learn": None, "structure": None, "init": None}


def register(commands) -> None:
    parser = commands.add_parser("fno", help="Fourier neural operators: train, evaluate and compare FNO / Monarch-NO")
    sub = parser.add_subparsers(dest="fno_command", metavar="ACTION", required=True)

    models = sub.add_parser("models", help="list the registered models")
    models.set_defaults(run=_run_models)

    train = sub.add_parser("train", help="train one model on a recipe or a data file (resumes from --out)")
    train.add_argument("--model", required=True, help="a registered model (see `monarch-sci fno models`)")
    _data_flags(train, required=True)
    _training_flags(train)
    train.add_argument("--out", required=True, help="run directory (checkpoint.pt, metrics, result.json, plots)")
    train.set_defaults(run=_run_train)

    ev = sub.add_parser("eval", help="evaluate a checkpoint on its test split or on other data (any grid)")
    ev.add_argument("--checkpoint", required=True, help="checkpoint.pt written by `fno train` / `fno compare`")
    ev.add_argument("--data", help="recipe or data file (default: the checkpoint's); another grid uses resolution transfer")
    ev.add_argument("--n-test", type=int, help="test samples (the last ones of the file)")
    ev.add_argument("--data-dir", default="out", help="where recipes are generated (default out/)")
    ev.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    ev.add_argument("--out", help="also write the metrics to this JSON file")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
    ev.set_defaults(run=_run_eval)

    speed = sub.add_parser("speed", help="training-step time of models at the same width and modes (random data)")
    speed.add_argument("--models", nargs="+", default=["fno2d-time", "monarch-no2d-time"])
    speed.add_argument("--grid", type=int, nargs="+", default=[64, 64])
    speed.add_argument("--batch-size", type=int, default=20)
    speed.add_argument("--steps", type=int, default=40, help="rollout steps per training step (default 40)")
    speed.add_argument("--modes", type=int, default=12)
    speed.add_argument("--width", type=int, default=20)
    speed.add_argument("--amp", default="off", choices=["off", "bf16"])
    speed.add_argument("--compile", action="store_true", help="torch.compile the model in place (the one-step trunk)")
    speed.add_argument("--cuda-graph", action="store_true", help="replay forward + backward from a CUDA graph")
    speed.add_argument("--learn", choices=["both", "forward", "inverse", "none"], help="Monarch-NO: which transforms learn")
    speed.add_argument("--structure", choices=["M", "MM*", "(MM*)^2"], help="Monarch-NO: learnable factors per transform")
    speed.add_argument("--repeats", type=int, default=10)
    speed.add_argument("--device", default="auto")
    speed.add_argument("--out", help="also write the timings to this JSON file")
    speed.set_defaults(run=_run_speed)

    cmp_ = sub.add_parser("compare", help="train several models on the same data and budget; one table + JSON + plots")
    cmp_.add_argument("--protocol", help="named settings (ns-v1e-3-cpu, ns-v1e-3-h200, ns-v1e-5-h200, *-paper); flags override")
    cmp_.add_argument("--models", nargs="+", help="registered model names (default fno2d-time monarch-no2d-time)")
    _data_flags(cmp_, required=False)
    _training_flags(cmp_)
    cmp_.add_argument("--jobs", type=int, help="train up to N models at once in worker processes (CPU: threads split; CUDA: one model per GPU in turn)")
    cmp_.add_argument("--out", required=True, help="results directory (compare.json, PNGs, one sub-directory per model)")
    cmp_.set_defaults(run=_run_compare)


def _data_flags(parser, required: bool) -> None:
    parser.add_argument("--data", required=required, help="a recipe name (generated into --data-dir if missing) or a data file")
    parser.add_argument("--data-dir", default="out", help="where recipes are generated (default out/)")
    parser.add_argument("--n-train", type=int, help="training samples (default n - n_test)")
    parser.add_argument("--n-test", type=int, help="test samples, the last ones (default n // 6)")
    parser.add_argument("--in-frames", type=int, default=10, help="input frames of time models (default 10)")
    parser.add_argument("--steps", type=int, help="rollout steps (default: all frames after the input ones)")


def _training_flags(parser) -> None:
    add = parser.add_argument
    add("--epochs", type=int, help="epochs (default 500, the paper's)")
    add("--batch-size", type=int, help="global batch size (default 20)")
    add("--time-budget", type=float, help="seconds of training after which no new epoch starts")
    add("--modes", type=int, help="Fourier modes per dim (default: the model's)")
    add("--width", type=int, help="channel width (default: the model's)")
    add("--layers", type=int, help="Fourier layers (default 4)")
    add("--learn", choices=["both", "forward", "inverse", "none"], help="Monarch-NO: which transforms learn (default both)")
    add("--structure", choices=["M", "MM*", "(MM*)^2"], help="Monarch-NO: learnable factors per transform (default M)")
    add("--share", action="store_true", help="Monarch-NO: one set of transforms shared by all layers")
    add("--init", choices=["exact", "random"], help="Monarch-NO: transforms start at the exact DFT (default) or random factors")
    add("--optimizer", default="adam", choices=["adam", "adamw"])
    add("--lr", type=float, help="learning rate (default 1e-3)")
    add("--weight-decay", type=float, default=1e-4)
    add("--transform-lr", type=float, help="learning rate of the Monarch transform factors (default --lr)")
    add("--schedule", choices=["step", "cosine", "constant"], help="default step (x gamma every --step-size epochs)")
    add("--step-size", type=int, help="epochs per x gamma of the step schedule (default epochs // 5)")
    add("--gamma", type=float, default=0.5)
    add("--loss", default="l2", choices=["l2", "h1"], help="steady models: relative L2 or H1")
    add("--normalize", default="auto", choices=["auto", "none", "pointwise", "global"],
        help="Gaussian normalizers (auto: pointwise for 2-D steady data, as FNO's Darcy)")
    add("--grad-clip", type=float, help="clip the gradient norm")
    add("--amp", default="off", choices=["off", "bf16"], help="bf16 autocast (spectral layers stay float32)")
    add("--compile", action="store_true", help="torch.compile the model in place (time models: the one-step trunk)")
    add("--cuda-graph", action="store_true", default=None, help="CUDA only: replay forward + backward (and DDP's all-reduce) from a CUDA graph")
    add("--checkpoint-every", type=int, help="also checkpoint every N steps")
    add("--eval-every", type=int, help="evaluate the test set every N epochs (default 1; always after the last)")
    add("--seed", type=int, default=0)
    add("--threads", type=int, help="torch CPU threads (default: torch's; 1 is fastest for small models on a busy machine)")
    add("--device", help="auto (default), cpu, cuda or cuda:N; under torchrun each process takes cuda:LOCAL_RANK")
    add("--no-progress", action="store_true", help="no progress bars")
    add("--no-plots", action="store_true", help="no PNG plots")


def _command() -> str:
    return " ".join(["monarch-sci", *sys.argv[1:]]) if sys.argv else ""


def _apply_defaults(args, protocol: dict | None) -> None:
    for key, default in _DEFAULTS.items():
        if getattr(args, key, None) is None:
            setattr(args, key, (protocol or {}).get(key, default))


def _model_options(name: str, args) -> dict:
    options = {k: getattr(args, a) for k, a in (("modes", "modes"), ("width", "width"), ("n_layers", "layers"))
               if getattr(args, a) is not None}
    options.update(_monarch_options(name, args))
    if "monarch" in name and args.share and not name.startswith("neuralop"):
        options["share"] = True
    return options


def _monarch_options(name: str, args) -> dict:
    """--learn / --structure / --init for Monarch models (others take none of them)."""
    if "monarch" not in name:
        return {}
    return {k: v for k in ("learn", "structure", "init") if (v := getattr(args, k, None))}


def _configs(args):
    from ..train import OptimizerSpec, TrainConfig

    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, grad_clip=args.grad_clip,
                         amp=args.amp, compile=args.compile, cuda_graph=args.cuda_graph, checkpoint_every=args.checkpoint_every,
                         time_budget=args.time_budget, progress=not args.no_progress, eval_every=args.eval_every)
    optimizer = OptimizerSpec(name=args.optimizer, lr=args.lr, weight_decay=args.weight_decay,
                              transform_lr=args.transform_lr, schedule=args.schedule, step_size=args.step_size,
                              gamma=args.gamma)
    return config, optimizer


def _env(device: str, threads: int | None = None):
    import torch

    from ..train import DistEnv

    if threads:
        torch.set_num_threads(threads)
    return DistEnv.from_env(device=device)


def _run_models(args) -> int:
    from ..pde.models import available_models

    for name, summary in available_models().items():
        print(f"{name:20s} {summary}")
    return 0


def _run_train(args) -> int:
    from ..pde.experiments import load_experiment_data, train_model
    from ..pde.experiments.run import model_kind

    _apply_defaults(args, None)
    config, optimizer = _configs(args)
    env = _env(args.device, args.threads)
    try:
        options = _model_options(args.model, args)
        kind = model_kind(args.model, options)
        data = load_experiment_data(args.data, "time" if kind == "space-time" else kind, args.n_train, args.n_test,
                                    args.in_frames, args.steps, args.data_dir, progress=config.progress and env.is_main,
                                    device=str(env.device), env=env)
        if kind == "space-time":
            from dataclasses import replace

            data = replace(data, kind="space-time")
        result = train_model(args.model, data, args.out, config, optimizer, options, normalize=args.normalize,
                             loss=args.loss, env=env, plots=not args.no_plots, command=_command())
    finally:
        env.close()
    if env.is_main:
        steps = result.get("rel_l2_step")
        print(f"{args.model}: {result['status']} after {result['epochs']} epochs; test relative L2 {result.get('rel_l2', float('nan')):.4f}"
              + (f" (step 1 {steps[0]:.4f}, last {steps[-1]:.4f})" if steps else "")
              + f"; {result['parameters']['torch']:,} parameters; {result['seconds_per_epoch']:.2f} s / epoch; results in {args.out}")
    return 0 if result["status"] != "interrupted" else 3


def _run_eval(args) -> int:
    from ..pde.experiments import evaluate_checkpoint
    from ..train.checkpoint import atomic_write_json

    env = _env(args.device)
    try:
        out = evaluate_checkpoint(args.checkpoint, args.data, args.n_test, env, args.data_dir)
    finally:
        env.close()
    if not env.is_main:
        return 0
    if args.out:
        atomic_write_json(args.out, out)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    transfer = ""
    if out["resolution_transfer"]:
        how = f"{out['resampled_layers']} Monarch layers resampled" if out["resampled_layers"] else "FFT layers run natively"
        transfer = f" (trained on {tuple(out['trained_grid'])}; resolution transfer: {how})"
    print(f"{out['model']} on {out['data']['source']} grid {tuple(out['grid'])}{transfer}: test relative L2 {out['rel_l2']:.4f}")
    if "persistence" in out:
        print(f"persistence baseline: {out['persistence']['rel_l2']:.4f}")
    return 0


def _run_compare(args) -> int:
    from ..errors import MonarchError
    from ..pde.experiments import compare, get_protocol

    protocol = get_protocol(args.protocol) if args.protocol else None
    _apply_defaults(args, protocol)
    data = args.data or (protocol or {}).get("data")
    if data is None:
        raise MonarchError("fno compare needs --data (a recipe or a file) or --protocol")
    models = args.models or (protocol or {}).get("models") or ["fno2d-time", "monarch-no2d-time"]
    config, optimizer = _configs(args)
    env = _env(args.device, args.threads)
    try:
        summary = compare(data, models, args.out, config, optimizer, {m: _model_options(m, args) for m in models},
                          args.n_train, args.n_test, args.steps, args.in_frames, env, args.data_dir,
                          plots=not args.no_plots, command=_command(), jobs=args.jobs)
    finally:
        env.close()
    if env.is_main:
        print(summary["table"])
        print(f"results: {args.out}/compare.json ({summary['seconds']:.0f} s)")
        if summary["status"] == "interrupted":
            print("interrupted: run the same command again to continue")
    return 0 if summary["status"] == "finished" else 3


def _run_speed(args) -> int:
    from ..pde.experiments.speed import training_step_seconds
    from ..train import resolve_device
    from ..train.checkpoint import atomic_write_json

    device = str(resolve_device(args.device))
    rows = [training_step_seconds(name, grid=tuple(args.grid), batch=args.batch_size, steps=args.steps, modes=args.modes,
                                  width=args.width, device=device, amp=args.amp, compile=args.compile, cuda_graph=args.cuda_graph,
                                  repeats=args.repeats, **_monarch_options(name, args)) for name in args.models]
    base = rows[0]["median"]
    for row in rows:
        row["ratio"] = row["median"] / base
        print(f"{row['model']:22s} {row['median'] * 1e3:9.2f} ms / step   x{row['ratio']:.2f}")
    if args.out:
        atomic_write_json(args.out, {"command": _command(), "rows": rows})
    return 0
