"""FNO and Monarch-NO models, their registry, objectives and resolution transfer."""

from .counting import count_parameters
from .fno import FNO, Pointwise, grid_channels
from .objectives import Rollout
from .registry import MODELS, available_models, build_model, model_entry, monarch_spectral, register
from .time import Autoregressive, Persistence, SpaceTime

__all__ = [
    "FNO",
    "MODELS",
    "Autoregressive",
    "Persistence",
    "Pointwise",
    "Rollout",
    "SpaceTime",
    "available_models",
    "build_model",
    "count_parameters",
    "grid_channels",
    "model_entry",
    "monarch_spectral",
    "register",
]
