"""Learnable structured layers: Monarch transforms, spectral convolutions, Monarch linear layers."""

from .modes import KeptModes
from .spectral import FourierTransforms, MonarchSpectralConv, SpectralConv
from .transform import KINDS, LearnableChain, MonarchTransform, MonarchTransform2d

__all__ = [
    "FourierTransforms",
    "KINDS",
    "KeptModes",
    "LearnableChain",
    "MonarchSpectralConv",
    "MonarchTransform",
    "MonarchTransform2d",
    "SpectralConv",
]
