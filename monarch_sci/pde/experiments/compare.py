"""FNO vs Monarch-NO (or any registered models) on the same data with the same budget: one table.

    result = compare("ns-v1e-3-small", ["fno2d-time", "monarch-no2d-time"], "results/ns-small",
                     TrainConfig(epochs=20, batch_size=10))

Every model is trained with the same seed, data, split, optimizer and epochs (each in its own
sub-directory, resumable); the persistence baseline (last input frame) is evaluated on the same test
set. Writes compare.json (command, versions, settings, per-model results, ratios to the first model),
and PNGs: test error per epoch, error per rollout step, and prediction / truth / error fields of one
test sample.
"""

from __future__ import annotations

import platform
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import torch

from ...errors import MonarchError
from ...train import DistEnv, OptimizerSpec, TrainConfig
from ...train.checkpoint import atomic_write_json
from .data import load_experiment_data
from .figures import plot_test_sample
from .run import model_kind, persistence_metrics, train_model
from .table import format_table


def compare(
    source: str,
    models: Sequence[str],
    out_dir: str | Path,
    config: TrainConfig | None = None,
    optimizer: OptimizerSpec | None = None,
    options: dict[str, dict] | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    steps: int | None = None,
    in_frames: int = 10,
    env: DistEnv | None = None,
    data_dir: str | Path = "out",
    plots: bool = True,
    command: str = "",
    jobs: int = 1,
    echo=print,
) -> dict:
    """Train ``models`` on ``source`` and compare them; ``options[name]`` holds per-model build options.

    jobs > 1 (single process): train up to ``jobs`` models at once in worker processes — on CPU with
    torch's threads split evenly (2 cores: FNO and Monarch-NO side by side, one thread each), on CUDA
    one model per visible GPU in turn (2 GPUs: FNO on cuda:0 and Monarch-NO on cuda:1 at once).
    """
    config, optimizer, env = config or TrainConfig(), optimizer or OptimizerSpec(), env or DistEnv()
    options = options or {}
    if not models:
        raise MonarchError("compare needs at least one model name")
    kinds = {name: model_kind(name, options.get(name)) for name in models}
    concrete = {k for k in kinds.values() if k != "auto"}
    if len({"steady" if k == "steady" else "time" for k in concrete}) > 1:
        raise MonarchError(
            f"models {dict(kinds)} need different data (steady vs time-dependent); compare like with like"
        )
    first = next((k for k in kinds.values() if k != "auto"), "auto")
    data = load_experiment_data(
        source,
        "time" if first == "space-time" else first,
        n_train,
        n_test,
        in_frames,
        steps,
        data_dir=data_dir,
        progress=config.progress and env.is_main,
        device=str(env.device),
        env=env,
    )
    out_dir = Path(out_dir)
    start = time.perf_counter()
    runs = [
        (name, _data_for(data, kinds[name]), out_dir / name, config, optimizer, options.get(name), env, plots, command)
        for name in models
    ]
    if env.is_main:
        echo(
            f"training {', '.join(models)} on {data.source} ({data.info['n_train']} train / {data.info['n_test']} test) ..."
        )
    if jobs > 1 and not env.distributed:
        results, modules = _train_in_workers(runs, jobs, env.device)
    else:
        results, modules = {}, {}
        for run in runs:
            result = _train_one(*run)
            modules[run[0]] = result.pop("module")
            results[run[0]] = result
            if result["status"] == "interrupted":  # a stop request: leave the remaining models for the rerun
                break
    status = "interrupted" if any(r["status"] == "interrupted" for r in results.values()) else "finished"
    baseline = persistence_metrics(data, env) if data.kind != "steady" else None
    reference = results[models[0]].get("rel_l2")
    for result in results.values():
        if reference and result.get("rel_l2") is not None:
            result[f"ratio_to_{models[0]}"] = result["rel_l2"] / reference
        if baseline:
            result["ratio_to_persistence"] = result["rel_l2"] / baseline["rel_l2"]
    summary = {
        "command": command,
        "status": status,
        "data": data.info,
        "models": list(models),
        "options": options,
        "config": vars(config),
        "optimizer": optimizer.to_dict(),
        "world_size": env.world_size,
        "device": str(env.device),
        "device_name": _device_name(env.device),
        "versions": _versions(),
        "seconds": time.perf_counter() - start,
        "results": results,
        "persistence": baseline,
    }
    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        summary["table"] = format_table(results, baseline)
        atomic_write_json(out_dir / "compare.json", summary)
        if plots:
            summary["plots"] = [str(p) for p in _plots(results, baseline, modules, data, out_dir, env)]
            atomic_write_json(out_dir / "compare.json", summary)
    return summary


def _data_for(data, kind: str):
    return replace(data, kind="space-time") if kind == "space-time" else data


def _train_one(name, data, out_dir, config, optimizer, options, env, plots, command, threads=None) -> dict:
    callbacks = ()
    if threads:  # a worker process: its own thread count, one line per epoch instead of a progress bar
        torch.set_num_threads(threads)
        config, callbacks = replace(config, progress=False), (_EpochLine(name),)
    return train_model(
        name, data, out_dir, config, optimizer, options, env=env, plots=plots, command=command, callbacks=callbacks
    )


class _EpochLine:
    def __init__(self, name: str):
        self.name = name

    def on_epoch_end(self, trainer, row) -> None:
        test = f", test rel L2 {row['test_rel_l2']:.4f}" if "test_rel_l2" in row else ""
        print(
            f"{self.name}: epoch {row['epoch']}/{trainer.config.epochs}, train loss {row['train_loss']:.4f}{test}, "
            f"{row['epoch_seconds']:.1f} s",
            flush=True,
        )


def _worker(run) -> dict:
    result = _train_one(*run)
    result.pop("module")
    return result


def _train_in_workers(runs, jobs: int, device: torch.device) -> tuple[dict, dict]:
    """Train runs in ``jobs`` spawned processes; the trained modules are read back from their checkpoints.

    CPU: torch's threads split evenly; CUDA: run i on visible GPU i mod (number of GPUs).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .run import load_trained

    threads = max(1, torch.get_num_threads() // jobs)
    if device.type == "cuda":
        gpus = torch.cuda.device_count()
        runs = [(*run[:6], replace(run[6], device=torch.device("cuda", i % gpus), local_rank=i % gpus), *run[7:])
                for i, run in enumerate(runs)]
    runs = [(*run, threads) for run in runs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(jobs, len(runs)), mp_context=context) as pool:
        done = list(pool.map(_worker, runs))
    results = {run[0]: result for run, result in zip(runs, done)}
    modules = {run[0]: load_trained(Path(run[2]) / "checkpoint.pt", device=device)[0] for run in runs}
    return results, modules


def _versions() -> dict:
    from ... import __version__

    return {
        "monarch_sci": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()


def _plots(results: dict, baseline: dict | None, modules: dict, data, out_dir: Path, env: DistEnv) -> list[Path]:
    from ...train.plots import plot_curves

    paths = []
    curves = {}
    for name, result in results.items():
        rows = [r for r in result["history"] if "test_rel_l2" in r]
        curves[name] = ([r["epoch"] for r in rows], [r["test_rel_l2"] for r in rows])
    if baseline and curves:
        xs = sorted({x for xs, _ in curves.values() for x in xs})
        curves["persistence"] = (xs, [baseline["rel_l2"]] * len(xs))
    paths.append(plot_curves(curves, out_dir / "test_error.png", ylabel="test relative L2", title=data.source))
    if baseline and all("rel_l2_step" in r for r in results.values()):
        steps = {name: (range(1, len(r["rel_l2_step"]) + 1), r["rel_l2_step"]) for name, r in results.items()}
        steps["persistence"] = (range(1, len(baseline["rel_l2_step"]) + 1), baseline["rel_l2_step"])
        paths.append(
            plot_curves(
                steps,
                out_dir / "error_per_step.png",
                xlabel="rollout step",
                ylabel="test relative L2",
                title=f"{data.source}: error per rollout step",
            )
        )
    fields = plot_test_sample(modules, data, out_dir / "fields.png", device=env.device)
    if fields is not None:
        paths.append(fields)
    return paths
