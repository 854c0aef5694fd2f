"""FNO experiments: data for a model kind, train / evaluate one model, compare several, protocols."""

from .compare import compare
from .data import ExperimentData, load_experiment_data, resolve_source
from .protocols import PROTOCOLS, get_protocol
from .run import build_for_data, evaluate_checkpoint, load_trained, persistence_metrics, train_model
from .table import format_table

__all__ = [
    "ExperimentData",
    "PROTOCOLS",
    "build_for_data",
    "compare",
    "evaluate_checkpoint",
    "format_table",
    "get_protocol",
    "load_experiment_data",
    "load_trained",
    "persistence_metrics",
    "resolve_source",
    "train_model",
]
