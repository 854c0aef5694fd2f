"""Learnable structured layers: Monarch transforms, spectral convolutions, Monarch linear layers."""

from .convert import LayerChange, MonarchifyReport, densify, monarchify
from .linear import MonarchLinear
from .modes import KeptModes
from .sparsify import ReverseSparsification
from .spectral import FourierTransforms, MonarchSpectralConv, SpectralConv
from .transform import KINDS, LearnableChain, MonarchTransform, MonarchTransform2d

__all__ = [
    "FourierTransforms",
    "KINDS",
    "KeptModes",
    "LayerChange",
    "LearnableChain",
    "MonarchLinear",
    "MonarchifyReport",
    "MonarchSpectralConv",
    "MonarchTransform",
    "MonarchTransform2d",
    "ReverseSparsification",
    "SpectralConv",
    "densify",
    "monarchify",
]
