"""Train one registered model on experiment data, and evaluate a checkpoint (``monarch-sci fno train / eval``).

    data = load_experiment_data("ns-v1e-3-small", kind="time")
    result = train_model("monarch-no2d-time", data, "runs/mno", TrainConfig(epochs=50), OptimizerSpec())

The run directory holds checkpoint.pt (resumable), metrics.json / metrics.csv, result.json and PNG
plots. The checkpoint's ``meta`` records the model name, options, grid and data, so ``evaluate_checkpoint``
rebuilds the model; data on another grid are evaluated through ``at_resolution`` (Monarch transforms
resampled, see ``pde.models.transfer``).
"""

from __future__ import annotations

import resource
import statistics
import sys
from pathlib import Path

import torch
from torch import nn

from ...errors import MonarchError, check_choice
from ...train import DistEnv, OptimizerSpec, Supervised, TrainConfig, Trainer, load_checkpoint, seed_everything
from ...train.checkpoint import atomic_write_json
from ...train.trainer import evaluate
from ..models import Persistence, Rollout, build_model, count_parameters, model_entry
from ..models.normalized import Normalized
from ..models.transfer import Resampled, at_resolution
from .data import ExperimentData, load_experiment_data
from .figures import plot_test_sample

NORMALIZE = ("auto", "none", "pointwise", "global")


def model_kind(name: str, options: dict | None = None) -> str:
    """The data view a model needs: "time", "space-time", "steady" or "auto" (neuralop: from the data)."""
    entry = model_entry(name)
    if name.startswith("neuralop"):
        return (options or {}).get("task", "auto")
    return entry.kind


def objective_for(kind: str, loss: str = "l2", ndim: int = 2):
    if kind == "time":
        return Rollout(per_step=True)
    if kind == "space-time":
        return Rollout(per_step=False)
    return Supervised(loss=loss, h1_ndim=ndim if loss == "h1" else None)


def build_for_data(name: str, data: ExperimentData, options: dict | None = None, normalize: str = "auto") -> nn.Module:
    """The registered model ``name`` sized for ``data`` (grid, input frames, steps, normalizers)."""
    options = dict(options or {})
    if name.startswith("neuralop"):
        options["task"] = "steady" if data.kind == "steady" else "time"
    if data.kind in ("time", "space-time"):
        options.setdefault("in_frames", data.in_frames)
    if data.kind == "space-time":
        options.setdefault("steps", data.steps)
    model = build_model(name, grid=data.grid, **options)
    mode = _normalize_mode(normalize, data)
    if mode == "none":
        return model
    from .. import UnitGaussianNormalizer

    xs = torch.stack([data.train[i].x for i in range(len(data.train))])
    ys = torch.stack([data.train[i].y for i in range(len(data.train))])
    dim = 0 if mode == "pointwise" else None
    return Normalized(model, UnitGaussianNormalizer.fit(xs, dim=dim), UnitGaussianNormalizer.fit(ys, dim=dim))


def _normalize_mode(normalize: str, data: ExperimentData) -> str:
    check_choice("normalize", normalize, NORMALIZE)
    if normalize == "auto":  # FNO's scripts: Darcy (2-D steady) pointwise, NS and Burgers none
        return "pointwise" if data.kind == "steady" and len(data.grid) == 2 else "none"
    return normalize


def peak_memory_mb(device: torch.device) -> tuple[float, str]:
    """(peak, what): CUDA max allocated since the last reset, else the process's peak RSS."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20, "cuda max_memory_allocated"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (2**20 if sys.platform == "darwin" else 2**10), "process peak RSS (CPU)"


def train_model(
    name: str,
    data: ExperimentData,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    optimizer: OptimizerSpec | None = None,
    options: dict | None = None,
    normalize: str = "auto",
    loss: str = "l2",
    env: DistEnv | None = None,
    plots: bool = True,
    command: str = "",
    callbacks=(),
) -> dict:
    """Train (or resume) ``name`` on ``data`` into ``out_dir``; returns the result dict (also result.json)."""
    config, optimizer, env = config or TrainConfig(), optimizer or OptimizerSpec(), env or DistEnv()
    seed_everything(config.seed)
    model = build_for_data(name, data, options, normalize)
    counts = count_parameters(model)
    meta = {
        "command": command,
        "model": {
            "name": name,
            "options": dict(options or {}),
            "grid": list(data.grid),
            "kind": data.kind,
            "normalize": _normalize_mode(normalize, data),
            "in_frames": data.in_frames,
            "steps": data.steps,
            "loss": loss,
        },
        "data": data.info,
        "parameters": counts,
    }
    if env.device.type == "cuda" and torch.cuda.is_initialized():  # before CUDA starts the peak is zero anyway
        torch.cuda.reset_peak_memory_stats(env.device)
    objective = objective_for(data.kind, loss, len(data.grid))
    trainer = Trainer(model, objective, data.train, data.test, optimizer, config, out_dir, env, callbacks, meta)
    summary = trainer.fit()
    history = trainer.log.history
    seconds = [row["epoch_seconds"] for row in history]
    peak, peak_what = peak_memory_mb(env.device)
    final = {k.removeprefix("test_"): v for k, v in history[-1].items() if k.startswith("test_")} if history else {}
    result = {
        "model": name,
        "options": dict(options or {}),
        "status": summary["status"],
        "epochs": summary["epoch"],
        "parameters": counts,
        **final,
        "seconds_per_epoch": statistics.median(seconds) if seconds else None,
        "seconds_total": summary["seconds"],
        "peak_memory_mb": peak,
        "peak_memory_kind": peak_what,
        "history": history,
        "out_dir": str(out_dir),
    }
    if env.is_main:
        atomic_write_json(
            Path(out_dir) / "result.json",
            {**result, "command": command, "model_spec": meta["model"], "data": data.info},
        )
        if plots and history:
            _plot_run(result, Path(out_dir), data.steps if data.kind == "time" else 1)
            plot_test_sample({name: trainer.model}, data, Path(out_dir) / "fields.png", device=env.device)
    result["module"] = trainer.model
    return result


def _plot_run(result: dict, out_dir: Path, terms: int = 1) -> None:
    """Loss curves; a rollout's training loss (a sum over ``terms`` steps) is shown per step."""
    from ...train.plots import plot_curves

    hist = result["history"]
    label = "train relative L2 (mean over rollout steps)" if terms > 1 else "train loss"
    curves = {label: ([r["epoch"] for r in hist], [r["train_loss"] / terms for r in hist])}
    tests = [r for r in hist if "test_rel_l2" in r]
    if tests:
        curves["test relative L2"] = ([r["epoch"] for r in tests], [r["test_rel_l2"] for r in tests])
    plot_curves(curves, out_dir / "loss.png", ylabel="relative L2", title=result["model"])


def persistence_metrics(data: ExperimentData, env: DistEnv | None = None) -> dict:
    """Test metrics of the last input frame repeated (time data only)."""
    env = env or DistEnv()
    model = Persistence(in_frames=data.in_frames, ndim=len(data.grid)).to(env.device)
    return evaluate(model, Rollout(), data.test, env, batch_size=50)


def load_trained(path: str | Path, grid=None, device="cpu") -> tuple[nn.Module, dict]:
    """(model with the checkpoint's weights, checkpoint meta); ``grid``: evaluate on another grid."""
    state = load_checkpoint(path, map_location="cpu")
    meta = state.get("meta", {})
    if "model" not in meta:
        raise MonarchError(
            f"checkpoint {str(path)!r} has no model description (meta.model); it was not written by `fno train`"
        )
    spec, weights = meta["model"], state["model"]
    shell = ExperimentData(None, None, tuple(spec["grid"]), spec["kind"], "", spec["in_frames"], spec["steps"], {})
    model = build_for_data(spec["name"], shell, spec["options"], normalize="none")
    if spec["normalize"] != "none":
        from .. import UnitGaussianNormalizer

        norms = [
            UnitGaussianNormalizer(weights[f"{k}.mean"], weights[f"{k}.std"]) for k in ("x_normalizer", "y_normalizer")
        ]
        model = Normalized(model, *norms)
    model.load_state_dict(weights)
    if grid is not None and tuple(grid) != tuple(spec["grid"]):
        if spec["normalize"] == "pointwise":
            raise MonarchError(
                f"{path}: pointwise normalizers are tied to the training grid {tuple(spec['grid'])}; "
                f"cannot evaluate on {tuple(grid)}"
            )
        model = at_resolution(model)
    return model.to(device), meta


def evaluate_checkpoint(
    path: str | Path,
    source: str | None = None,
    n_test: int | None = None,
    env: DistEnv | None = None,
    data_dir: str | Path = "out",
    batch_size: int = 20,
) -> dict:
    """Test metrics of a checkpoint on its own test split, or on the test split of ``source`` (any grid:
    Monarch layers go through ``at_resolution``)."""
    env = env or DistEnv()
    meta = load_checkpoint(path).get("meta", {})
    spec, info = meta.get("model"), meta.get("data", {})
    if spec is None:
        raise MonarchError(f"checkpoint {str(path)!r} has no model description; it was not written by `fno train`")
    source = source or info.get("source")
    if source is None:
        raise MonarchError(f"checkpoint {str(path)!r} does not record its data; pass --data")
    same = source == info.get("source")
    n_train, n_test = (info.get("n_train"), n_test or info.get("n_test")) if same else (None, n_test)
    steps = spec["steps"] if spec["kind"] != "steady" else None
    data = load_experiment_data(
        source,
        spec["kind"],
        n_train=n_train,
        n_test=n_test,
        in_frames=spec["in_frames"] or 10,
        steps=steps,
        data_dir=data_dir,
    )
    model, _ = load_trained(path, grid=data.grid, device=env.device)
    objective = objective_for(data.kind, spec.get("loss", "l2"), len(data.grid))
    metrics = evaluate(model, objective, data.test, env, batch_size=batch_size)
    out = {
        "checkpoint": str(path),
        "model": spec["name"],
        "data": data.info,
        "trained_grid": spec["grid"],
        "grid": list(data.grid),
        "resolution_transfer": tuple(data.grid) != tuple(spec["grid"]),
        "resampled_layers": sum(isinstance(m, Resampled) for m in model.modules()),
        **metrics,
    }
    if data.kind != "steady":
        out["persistence"] = persistence_metrics(data, env)
    return out
