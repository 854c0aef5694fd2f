"""The training engine shared by the PDE and MRI models: loop, losses, optimizers, checkpoints,
resume, torch.distributed, mixed precision, metrics files and plots."""

from .checkpoint import atomic_write_json, load_checkpoint, rng_state, save_checkpoint, seed_everything, set_rng_state
from .distributed import DistEnv, ResumableSampler, ShardSampler, resolve_device
from .graphed import GraphedStep
from .losses import H1Loss, LpLoss, relative_h1, relative_l2
from .metrics_log import MetricsLog
from .objective import Objective, Supervised, input_target
from .optim import OptimizerSpec
from .precision import autocast, full_precision
from .trainer import TrainConfig, Trainer, TrainingDiverged, evaluate, unwrap

__all__ = [
    "DistEnv", "GraphedStep", "H1Loss", "LpLoss", "MetricsLog", "Objective", "OptimizerSpec", "ResumableSampler",
    "ShardSampler", "Supervised", "TrainConfig", "Trainer", "TrainingDiverged", "atomic_write_json", "autocast",
    "evaluate", "full_precision", "input_target", "load_checkpoint", "relative_h1", "relative_l2", "resolve_device", "rng_state",
    "save_checkpoint", "seed_everything", "set_rng_state", "unwrap",
]
