"""monarch-sci: Monarch structured matrices for scientific machine learning.

>>> import monarch_sci as ms
>>> T = ms.transforms.dft(64)           # the DFT as a Monarch chain
>>> M = ms.Monarch.random(64, 64)       # one learnable-shaped factor
"""

from importlib.metadata import PackageNotFoundError, version

from . import linops, monarch, mri, nn, pde, train, transforms
from .errors import MonarchError
from .monarch import Chain, Monarch, Structure, factorize_mm_star, project

try:
    __version__ = version("monarch-sci")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["Chain", "Monarch", "MonarchError", "Structure", "__version__", "factorize_mm_star", "linops", "monarch", "mri", "nn", "pde", "project", "train", "transforms"]
