"""The Monarch algebra on plain tensors: factors, fixed stages, chains, projection, factorization."""

from .chain import Chain
from .factor import Monarch
from .factorize import factorize_mm_star
from .fixed import Dense, Diagonal, Permutation, RealPart, Selection
from .project import project
from .shapes import block_shape
from .stage import Stage, Structure, class_of

__all__ = [
    "Chain",
    "Dense",
    "Diagonal",
    "Monarch",
    "Permutation",
    "RealPart",
    "Selection",
    "Stage",
    "Structure",
    "block_shape",
    "factorize_mm_star",
    "project",
    "class_of",
]
