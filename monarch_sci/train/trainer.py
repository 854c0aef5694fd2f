"""The training loop shared by the PDE and MRI models.

    trainer = Trainer(model, Supervised(), train_set, test_set, OptimizerSpec(), TrainConfig(epochs=50),
                      out_dir="runs/fno")
    summary = trainer.fit()          # resumes from out_dir/checkpoint.pt when it exists

Each step: per-sample losses from the objective, summed over the global batch (the FNO paper's
LpLoss; ``loss_reduction="mean"`` averages), backward, optional gradient clipping, optimizer step.
The schedule steps once per epoch; the test set is evaluated every ``eval_every`` epochs.

Checkpoints (``out_dir/checkpoint.pt``, atomic) hold model, optimizer, scheduler, RNG states of every
rank, the epoch, the step within the epoch, the partial epoch sums and the metric history. They are
written at each epoch end, every ``checkpoint_every`` steps, and when a stop is requested
(SIGINT / SIGTERM / ``request_stop()``: the run finishes its current step, checkpoints and returns
``status="interrupted"``). Resuming mid-epoch rebuilds the epoch's permutation (seed + epoch) and
skips the batches already done, so a resumed run reproduces the uninterrupted one bitwise on CPU.
A non-finite loss or gradient stops the run before the optimizer step with ``TrainingDiverged``;
the checkpoint on disk stays the last good one.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from ..errors import MonarchError, check_choice
from .batches import to_device
from .checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .distributed import DistEnv, ResumableSampler, ShardSampler
from .graphed import GraphedStep
from .metrics_log import MetricsLog
from .objective import Objective
from .optim import OptimizerSpec
from .precision import AMP_MODES, autocast


class TrainingDiverged(MonarchError):
    """The loss or the gradient became NaN / inf; the last good checkpoint is kept."""


@dataclass
class TrainConfig:
    """epochs; batch_size: global (split over ranks); time_budget: seconds of training after which
    no new epoch starts; checkpoint_every: also checkpoint every that many steps (0: epoch ends only);
    amp: "off" | "bf16"; compile: ``model.compile()`` (in place; an autoregressive model compiles its
    trunk); cuda_graph: replay forward + backward (with DDP's all-reduce) from a CUDA graph (``GraphedStep``)."""

    epochs: int = 500
    batch_size: int = 20
    eval_batch_size: int | None = None
    seed: int = 0
    loss_reduction: str = "sum"
    grad_clip: float | None = None
    amp: str = "off"
    compile: bool = False
    cuda_graph: bool = False
    checkpoint_every: int = 0
    eval_every: int = 1
    time_budget: float | None = None
    progress: bool = True

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1:
            raise MonarchError(f"epochs and batch_size must be >= 1, got {self.epochs} and {self.batch_size}")
        if self.loss_reduction not in ("sum", "mean"):
            raise MonarchError(f"loss_reduction must be 'sum' or 'mean', got {self.loss_reduction!r}")
        check_choice("amp", self.amp, AMP_MODES)
        if self.eval_every < 1 or self.checkpoint_every < 0:
            raise MonarchError(f"eval_every must be >= 1 and checkpoint_every >= 0, got {self.eval_every} and {self.checkpoint_every}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise MonarchError(f"grad_clip must be > 0 (or None), got {self.grad_clip}")


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module inside torch.compile and DistributedDataParallel wrappers."""
    while True:
        if hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif isinstance(model, torch.nn.parallel.DistributedDataParallel):
            model = model.module
        else:
            return model


class Trainer:
    """Composes a model, an objective, data, an optimizer spec and a config; callbacks are objects
    with optional ``on_step_end(trainer, info)`` / ``on_epoch_end(trainer, row)`` methods."""

    def __init__(self, model: torch.nn.Module, objective: Objective, train_set: Dataset, test_set: Dataset | None = None,
                 optimizer: OptimizerSpec | None = None, config: TrainConfig | None = None,
                 out_dir: str | Path | None = None, env: DistEnv | None = None, callbacks: Sequence = (),
                 meta: dict | None = None):
        self.config = config or TrainConfig()
        self.env = env or DistEnv()
        self.objective, self.train_set, self.test_set = objective, train_set, test_set
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.callbacks, self.meta = list(callbacks), dict(meta or {})
        if self.config.batch_size % self.env.world_size:
            raise MonarchError(f"batch_size {self.config.batch_size} must be divisible by the {self.env.world_size} processes")
        if len(train_set) == 0:
            raise MonarchError("the training set is empty")
        self.model = model.to(self.env.device)
        self.spec = optimizer or OptimizerSpec()
        self.optimizer, self.scheduler = self.spec.build(self.model, self.config.epochs)
        if self.config.compile:  # in place: the state dict keeps its keys; models choose what compiles
            self.model.compile()
        self._graphed = self._graphed_step() if self.config.cuda_graph else None
        net = self.model
        if self.env.distributed:
            ids = [self.env.device.index] if self.env.device.type == "cuda" else None
            # a DDP whose backward is captured in a CUDA graph is built on the capture stream
            with torch.cuda.stream(self._graphed.stream) if self._graphed is not None else nullcontext():
                net = torch.nn.parallel.DistributedDataParallel(net, device_ids=ids)
        self.net = net
        self.sampler = ResumableSampler(len(train_set), self.env, shuffle=True, seed=self.config.seed)
        self.log = MetricsLog(self.out_dir, enabled=self.env.is_main, meta=self._meta())
        self.epoch = self.step_in_epoch = self.global_step = 0
        self.elapsed = 0.0
        self._sums = {"loss": 0.0, "count": 0, "seconds": 0.0}
        self._stop = False
        self._saved = ""

    # ---- public --------------------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path | None:
        return self.out_dir / "checkpoint.pt" if self.out_dir is not None else None

    def request_stop(self) -> None:
        """Finish the current step, checkpoint and return from ``fit`` with status "interrupted"."""
        self._stop = True

    def fit(self, resume: bool = True) -> dict:
        """Train to ``config.epochs`` (or the time budget); resume from the checkpoint when asked and present."""
        if resume and self.checkpoint_path is not None and self.checkpoint_path.is_file():
            self.load(self.checkpoint_path)
        status = "finished"
        with _stop_on_signals(self):
            try:
                while self.epoch < self.config.epochs:
                    if not self._run_epoch():
                        status = "interrupted"
                        break
                    if self.config.time_budget is not None and self._budget_spent():
                        status = "budget"
                        break
            finally:  # graphs holding captured NCCL calls make destroy_process_group hang (pytorch#115388)
                if self._graphed is not None:
                    self._graphed.release()
        summary = {"status": status, "epoch": self.epoch, "step": self.global_step, "seconds": self.elapsed,
                   "final": self.log.history[-1] if self.log.history else {}}
        self.log.write(summary=summary)
        self.log.close()
        return summary

    def evaluate(self, dataset: Dataset | None = None, model: torch.nn.Module | None = None) -> dict:
        """Per-sample metrics of the objective averaged over ``dataset`` (default: the test set)."""
        dataset = self.test_set if dataset is None else dataset
        if dataset is None:
            return {}
        return evaluate(model or self.model, self.objective, dataset, self.env,
                        self.config.eval_batch_size or self.config.batch_size, self.config.amp)

    # ---- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "model": unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "epoch": self.epoch, "step_in_epoch": self.step_in_epoch, "global_step": self.global_step,
            "elapsed": self.elapsed, "sums": dict(self._sums), "history": list(self.log.history),
            "rng": self.env.gather_objects(rng_state()), "world_size": self.env.world_size,
            "config": asdict(self.config), "optimizer_spec": self.spec.to_dict(), "meta": self.meta,
        }

    def save(self) -> None:
        state = self.state_dict()  # every rank joins the RNG gather
        if self.env.is_main and self.checkpoint_path is not None:
            save_checkpoint(self.checkpoint_path, state)
        self._saved = f"{self.epoch} epochs and {self.step_in_epoch} steps done, global step {self.global_step}"
        self.env.barrier()

    def load(self, path: str | Path) -> None:
        state = load_checkpoint(path, map_location=self.env.device)
        saved = state.get("config", {})
        for key in ("batch_size", "seed", "loss_reduction"):
            if key in saved and saved[key] != getattr(self.config, key):
                raise MonarchError(
                    f"checkpoint {str(path)!r} was written with {key}={saved[key]!r}, this run has {getattr(self.config, key)!r}; "
                    f"resume with the same setting or train into a new output directory"
                )
        unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.step_in_epoch = state["epoch"], state["step_in_epoch"]
        self.global_step, self.elapsed = state["global_step"], state["elapsed"]
        self._sums, self.log.history = dict(state["sums"]), list(state["history"])
        self._saved = f"{self.epoch} epochs and {self.step_in_epoch} steps done, global step {self.global_step}"
        rngs = state["rng"]
        set_rng_state(rngs[self.env.rank] if len(rngs) == self.env.world_size else rngs[0])

    # ---- the loop ------------------------------------------------------------------------------
    def _meta(self) -> dict:
        return {**self.meta, "config": asdict(self.config), "optimizer": self.spec.to_dict(),
                "world_size": self.env.world_size, "device": str(self.env.device), "torch": torch.__version__}

    def _loader(self) -> DataLoader:
        self.sampler.set_epoch(self.epoch, start=self.step_in_epoch * self.config.batch_size // self.env.world_size)
        return DataLoader(self.train_set, batch_size=self.config.batch_size // self.env.world_size,
                          sampler=self.sampler, drop_last=False, pin_memory=self.env.device.type == "cuda")

    def _run_epoch(self) -> bool:
        """One epoch (or its remainder); False when a stop was requested.

        Each step's forward and backward are queued before the next batch is collated and copied to
        the device, so on a GPU that host work overlaps the step instead of following its loss
        read-back (the non-finite guard). A batch fetched ahead and not trained on when a stop comes
        is fetched again on resume (the sampler restarts at ``step_in_epoch``).
        """
        cfg, env = self.config, self.env
        self.net.train()
        loader = self._loader()
        bar = _progress(len(loader), f"epoch {self.epoch + 1}/{cfg.epochs}", cfg.progress and env.is_main,
                        initial=self.step_in_epoch)
        start = time.perf_counter()
        batches = (to_device(batch, env.device) for batch in loader)
        batch = next(batches, None)
        while batch is not None:
            launched = self._launch(batch)
            batch = next(batches, None)
            loss_sum, count = self._finish(*launched)
            self._sums["loss"] += loss_sum
            self._sums["count"] += count
            self.step_in_epoch += 1
            self.global_step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{self._sums['loss'] / max(self._sums['count'], 1):.4g}")
            for cb in self.callbacks:
                if hasattr(cb, "on_step_end"):
                    cb.on_step_end(self, {"epoch": self.epoch, "step": self.global_step, "loss": loss_sum / count})
            stop = self._stop if not env.distributed else env.all_sum(torch.tensor([float(self._stop)], device=env.device)).item() > 0
            if stop or (cfg.checkpoint_every and self.global_step % cfg.checkpoint_every == 0):
                self._sums["seconds"] += time.perf_counter() - start
                start = time.perf_counter()
                self.save()
            if stop:
                if bar is not None:
                    bar.close()
                return False
        if bar is not None:
            bar.close()
        self._sums["seconds"] += time.perf_counter() - start
        self._end_epoch()
        return True

    def _graphed_step(self) -> GraphedStep:
        if self.env.device.type != "cuda":
            raise MonarchError(f"cuda_graph needs a CUDA device, got {self.env.device}; turn it off for CPU runs")
        # DDP settles its buckets in the first iterations: capture after 11 eager ones (PyTorch's CUDA-graph notes)
        return GraphedStep(list(self.model.parameters()), self._forward_backward, warmup=11 if self.env.distributed else 2)

    def _forward_backward(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample losses (b,) and the gradient norm (after clipping to ``grad_clip``)."""
        cfg, env = self.config, self.env
        with autocast(cfg.amp, env.device):
            losses = self.objective.losses(self.net, batch)
        if cfg.loss_reduction == "sum":  # DDP averages gradients; scale so they are the global sum
            objective = losses.sum() * env.world_size
        else:
            objective = losses.mean()
        objective.backward()
        params = [p for p in self.model.parameters() if p.grad is not None]
        return losses.detach(), torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip if cfg.grad_clip else math.inf)

    def _launch(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Queue forward and backward (a graph replay or eager): per-sample losses and the gradient norm."""
        if self._graphed is not None:
            return self._graphed(batch)
        self.optimizer.zero_grad(set_to_none=True)
        return self._forward_backward(batch)

    def _finish(self, losses: torch.Tensor, norm: torch.Tensor) -> tuple[float, int]:
        """Read the step's loss back, stop on a non-finite loss or gradient, else take the optimizer step."""
        env = self.env
        local = losses.sum()
        bad = (~torch.isfinite(local)) | (~torch.isfinite(norm))
        stats = env.all_sum(torch.stack([local.detach().float(), torch.tensor(float(len(losses)), device=local.device),
                                         bad.float()]))
        loss_sum, count, nonfinite = stats.tolist()
        if nonfinite > 0:
            where = f"epoch {self.epoch + 1}, step {self.step_in_epoch + 1} (global step {self.global_step + 1})"
            kept = (f"the last good checkpoint {str(self.checkpoint_path)!r} ({self._saved}) is kept"
                    if self._saved and self.checkpoint_path is not None else "no checkpoint was written yet")
            raise TrainingDiverged(
                f"non-finite loss or gradient at {where} (loss {loss_sum}, gradient norm {norm.item()}); "
                f"training stopped before the update; {kept}. Try a lower learning rate, --grad-clip, or --amp off"
            )
        self.optimizer.step()
        return loss_sum, int(count)

    def _end_epoch(self) -> None:
        cfg = self.config
        self.scheduler.step()
        self.epoch += 1
        row = {"epoch": self.epoch, "step": self.global_step,
               "train_loss": self._sums["loss"] / max(self._sums["count"], 1),
               "lr": self.optimizer.param_groups[0]["lr"], "epoch_seconds": self._sums["seconds"]}
        self.elapsed += self._sums["seconds"]
        if self.test_set is not None and (self.epoch % cfg.eval_every == 0 or self.epoch == cfg.epochs):
            row.update({f"test_{k}": v for k, v in self.evaluate().items()})
        if self.env.device.type == "cuda":
            row["peak_memory_mb"] = torch.cuda.max_memory_allocated(self.env.device) / 2**20
        self.log.append(row)
        for cb in self.callbacks:
            if hasattr(cb, "on_epoch_end"):
                cb.on_epoch_end(self, row)
        self.step_in_epoch = 0
        self._sums = {"loss": 0.0, "count": 0, "seconds": 0.0}
        self.save()
        self.log.write()

    def _budget_spent(self) -> bool:
        per_epoch = self.elapsed / max(self.epoch, 1)
        return self.elapsed + 0.5 * per_epoch >= self.config.time_budget


@torch.no_grad()
def evaluate(model: torch.nn.Module, objective: Objective, dataset: Dataset, env: DistEnv | None = None,
             batch_size: int = 20, amp: str = "off") -> dict:
    """Average of the objective's per-sample metrics over ``dataset`` (sharded over ranks, summed)."""
    env = env or DistEnv()
    was_training = model.training
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    count = torch.zeros((), device=env.device)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=ShardSampler(len(dataset), env))
    for batch in loader:
        batch = to_device(batch, env.device)
        with autocast(amp, env.device):
            values = objective.metrics(model, batch)
        for key, value in values.items():
            sums[key] = sums.get(key, 0) + value.detach().double().sum(0)
        count += next(iter(values.values())).shape[0]
    model.train(was_training)
    out = {}
    for key in sorted(sums):
        mean = env.all_sum(sums[key]) / env.all_sum(count.double())
        out[key] = mean.item() if mean.ndim == 0 else mean.tolist()
    return out


def _progress(total: int, desc: str, enabled: bool, initial: int = 0):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total + initial, initial=initial, desc=desc, leave=False, dynamic_ncols=True)


class _stop_on_signals:
    """Within ``fit``: SIGINT / SIGTERM request a clean stop (a second SIGINT interrupts at once)."""

    def __init__(self, trainer: Trainer):
        self.trainer, self.previous = trainer, {}

    def _handler(self, signum, frame):
        if self.trainer._stop and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.trainer.request_stop()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        return False
