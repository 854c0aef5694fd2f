"""PDE data: generators (Navier–Stokes, Burgers, Darcy, one GRF sampler), recipes, our HDF5 layout,
loaders for FNO .mat, neuraloperator .pt and PDEBench files, training views and normalizers.

>>> from monarch_sci import pde
>>> data = pde.load_data("out/ns-v1e-3-small.h5")                    # doctest: +SKIP
>>> train, test = data.split(180, 20)                                 # doctest: +SKIP
>>> windows = pde.TimeWindows(train, n_in=10, n_out=None)            # doctest: +SKIP
"""

from .burgers import Burgers1d
from .convert import convert
from .darcy import solve_darcy, threshold_coefficient
from .data import PDEData
from .formats import FORMATS, describe_file, detect_format, load_data
from .generate import generate
from .grf import GaussianRandomField
from .navier_stokes import NavierStokes2d, fno_forcing
from .normalize import UnitGaussianNormalizer
from .recipes import Recipe, available_recipes, get_recipe
from .views import OneStepPairs, PDESample, SpaceTimeBlocks, SteadyPairs, TimeWindows, make_view

__all__ = [
    "Burgers1d",
    "FORMATS",
    "GaussianRandomField",
    "NavierStokes2d",
    "OneStepPairs",
    "PDEData",
    "PDESample",
    "Recipe",
    "SpaceTimeBlocks",
    "SteadyPairs",
    "TimeWindows",
    "UnitGaussianNormalizer",
    "available_recipes",
    "convert",
    "describe_file",
    "detect_format",
    "fno_forcing",
    "generate",
    "get_recipe",
    "load_data",
    "make_view",
    "solve_darcy",
    "threshold_coefficient",
]
