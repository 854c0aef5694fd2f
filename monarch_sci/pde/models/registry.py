"""FNO and Monarch-NO models by name.

    model = build_model("monarch-no2d-time", grid=(64, 64))          # paper settings
    model = build_model("fno2d-time", grid=(64, 64), modes=8)         # Table 1 of the FNO paper
    available_models()                                                # names and one-line summaries

Every "monarch-no*" model is its "fno*" twin with ``MonarchSpectralConv`` (learnable Monarch DFTs,
exact at init) in place of ``SpectralConv``: same weights, same outputs at init. Options of the
Monarch models: learn ("both" | "forward" | "inverse" | "none"), structure ("M" | "MM*" |
"(MM*)^2"), share (one set of transforms for all layers), init ("exact": the DFT, or "random"
factors). "neuralop-*" wrap neuraloperator's FNO (imported lazily) for the task given by ``task``
("time": autoregressive, "steady").

Kinds: "time" (Autoregressive, trained through the rollout), "space-time" (SpaceTime, all steps at
once), "steady" (one field to another).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from torch import nn

from ...errors import MonarchError
from ...nn.spectral import MonarchSpectralConv, SpectralConv
from .fno import FNO
from .time import Autoregressive, SpaceTime


@dataclass(frozen=True)
class ModelEntry:
    kind: str
    ndim: int | None
    summary: str
    builder: Callable[..., nn.Module]


MODELS: dict[str, ModelEntry] = {}
MONARCH_OPTIONS = {"learn", "structure", "share", "init"}


def monarch_spectral(
    grid: Sequence[int], learn: str = "both", structure: str = "M", share: bool = False, fft_norm: str = "backward",
    init: str = "exact",
) -> Callable[[int, int, Sequence[int]], nn.Module]:
    """A spectral-layer factory building ``MonarchSpectralConv`` for ``grid`` (the padded grid the
    layer sees); ``share``: every layer after the first reuses the first layer's transforms."""
    grid, shared = tuple(grid), None

    def factory(in_channels: int, out_channels: int, modes: Sequence[int]) -> nn.Module:
        nonlocal shared
        layer = MonarchSpectralConv(
            in_channels,
            out_channels,
            modes,
            grid,
            transforms=shared,
            learn=learn,
            structure=structure,
            fft_norm=fft_norm,
            transform_init=init,
        )
        if share and shared is None:
            shared = layer.transforms
        return layer

    return factory


def _spectral(monarch: bool, grid: Sequence[int], padding: Sequence[int], options: dict):
    unknown = set(options) - MONARCH_OPTIONS
    if unknown:
        raise MonarchError(
            f"unknown model options {sorted(unknown)}; the Monarch-NO options are {', '.join(sorted(MONARCH_OPTIONS))}"
        )
    if not monarch:
        if options:
            raise MonarchError(f"options {sorted(options)} apply to Monarch-NO models only")
        return SpectralConv
    return monarch_spectral(tuple(g + p for g, p in zip(grid, padding)), **options)


def _grid(grid, ndim: int, name: str) -> tuple[int, ...]:
    if grid is None:
        raise MonarchError(f"model {name!r} needs the spatial grid of the data, e.g. grid={(64,) * ndim}")
    grid = (grid,) * ndim if isinstance(grid, int) else tuple(grid)
    if len(grid) != ndim or not all(isinstance(n, int) and n > 0 for n in grid):
        raise MonarchError(f"model {name!r} works on {ndim}-D grids, got grid {grid}")
    return grid


def _time2d(monarch: bool):
    def build(grid=None, in_frames=10, modes=12, width=20, n_layers=4, **options):
        grid = _grid(grid, 2, "fno2d-time")
        spectral = _spectral(monarch, grid, (0, 0), options)
        trunk = FNO(in_frames, 1, (modes, modes), width, spectral=spectral, n_layers=n_layers)
        return Autoregressive(trunk, in_frames=in_frames, ndim=2)

    return build


def _space_time(monarch: bool):
    def build(grid=None, in_frames=10, steps=40, modes=8, width=20, n_layers=4, time_padding=6, **options):
        grid = _grid(grid, 2, "fno3d")
        padding = (0, 0, time_padding)
        spectral = _spectral(monarch, grid + (steps,), padding, options)
        trunk = FNO(in_frames, 1, (modes, modes, modes), width, spectral=spectral, n_layers=n_layers, padding=padding)
        return SpaceTime(trunk, in_frames=in_frames, steps=steps, ndim=2)

    return build


def _steady(monarch: bool, ndim: int):
    def build(
        grid=None,
        modes=12 if ndim == 2 else 16,
        width=32 if ndim == 2 else 64,
        n_layers=4,
        padding=9 if ndim == 2 else 0,
        in_channels=1,
        out_channels=1,
        **options,
    ):
        grid = _grid(grid, ndim, f"fno{ndim}d")
        pad = (padding,) * ndim if isinstance(padding, int) else tuple(padding)
        spectral = _spectral(monarch, grid, pad, options)
        return FNO(in_channels, out_channels, (modes,) * ndim, width, spectral=spectral, n_layers=n_layers, padding=pad)

    return build


def _neuralop(monarch: bool):
    def build(
        grid=None, task="time", in_frames=10, modes=12, width=20, n_layers=4, in_channels=1, out_channels=1, **options
    ):
        try:
            from neuralop.models import FNO as NeuralopFNO
        except ImportError:
            raise MonarchError(
                "neuraloperator models need the neuraloperator package: pip install neuraloperator"
            ) from None
        if task not in ("time", "steady"):
            raise MonarchError(f"neuralop models support task 'time' or 'steady', got {task!r}")
        grid = tuple(grid) if grid is not None else None
        if grid is None:
            raise MonarchError("neuralop models need the spatial grid of the data")
        ndim = len(grid)
        extra = {}
        if monarch:
            from ...nn.neuralop import neuralop_conv_module

            unknown = set(options) - {"learn", "structure"}
            if unknown:
                raise MonarchError(f"unknown neuralop-monarch options {sorted(unknown)}; valid: learn, structure")
            extra["conv_module"] = neuralop_conv_module(grid=grid, **options)
        elif options:
            raise MonarchError(f"options {sorted(options)} apply to Monarch models only")
        cin = in_frames if task == "time" else in_channels
        net = NeuralopFNO(
            n_modes=(2 * modes,) * ndim,
            in_channels=cin,
            out_channels=1 if task == "time" else out_channels,
            hidden_channels=width,
            n_layers=n_layers,
            **extra,
        )
        return Autoregressive(net, in_frames=in_frames, ndim=ndim) if task == "time" else net

    return build


def register(name: str, kind: str, ndim: int | None, summary: str, builder: Callable[..., nn.Module]) -> None:
    """Add a model under ``name``; ``builder(grid=..., **options)`` returns the module."""
    MODELS[name] = ModelEntry(kind, ndim, summary, builder)


for _m, _prefix in ((False, "fno"), (True, "monarch-no")):
    _what = "Monarch-NO (learnable Monarch DFTs, exact at init)" if _m else "FNO (torch.fft)"
    register(
        f"{_prefix}2d-time",
        "time",
        2,
        f"{_what}, 2-D + time, autoregressive over 10 frames; modes 12, width 20",
        _time2d(_m),
    )
    register(
        f"{_prefix}3d",
        "space-time",
        2,
        f"{_what}, space-time 3-D, time padded by 6; modes 8, width 20",
        _space_time(_m),
    )
    register(f"{_prefix}2d", "steady", 2, f"{_what}, steady 2-D (Darcy); modes 12, width 32, padding 9", _steady(_m, 2))
    register(f"{_prefix}1d", "steady", 1, f"{_what}, steady 1-D (Burgers); modes 16, width 64", _steady(_m, 1))
register(
    "neuralop-fno",
    "time",
    None,
    "neuraloperator's FNO (n_modes = 2 x modes); task='time' or 'steady'",
    _neuralop(False),
)
register(
    "neuralop-monarch", "time", None, "neuraloperator's FNO with MonarchSpectralConv as conv_module", _neuralop(True)
)


def available_models() -> dict[str, str]:
    """name → one-line summary."""
    return {name: entry.summary for name, entry in MODELS.items()}


def model_entry(name: str) -> ModelEntry:
    if name not in MODELS:
        raise MonarchError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    return MODELS[name]


def build_model(name: str, grid: Sequence[int] | int | None = None, **options) -> nn.Module:
    """Build the registered model ``name`` for data on ``grid`` (options override the defaults)."""
    entry = model_entry(name)
    try:
        return entry.builder(grid=grid, **options)
    except TypeError as error:
        raise MonarchError(f"bad options for model {name!r}: {error}") from None
