"""The Monarch algebra on plain tensors: factors, fixed stages, chains, projection, factorization."""

from .chain import Chain
from .factor import Monarch
from .fixed import Dense, Diagonal, Permutation, RealPart
from .shapes import block_shape
from .stage import Stage, Structure, class_of

__all__ = [
    "Chain",
    "Dense",
    "Diagonal",
    "Monarch",
    "Permutation",
    "RealPart",
    "Stage",
    "Structure",
    "block_shape",
    "class_of",
]
