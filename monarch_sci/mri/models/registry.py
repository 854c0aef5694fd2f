"""Learned MRI reconstructions by name.

    model = build_model("msense", shape=(320, 320))                       # the paper's mSENSE
    model = build_model("unrolled-monarch", shape=(320, 320), cascades=5)
    available_models()                                                    # names and summaries

Every model maps (kspace (B, C, H, W) complex, mask (B, 1, 1|H, W), maps (B, C, H, W)) to images
(B, H, W) (complex for the physics-based models, real for the U-Net); the objective takes |·| and
center-crops to the target. ``shape`` is the k-space grid (H, W). ``dtype``: torch.float32 (default)
or torch.float64 for the real parameters, the transforms and physics in the matching complex dtype.

- msense: SENSE by K CG iterations with learnable Monarch Fourier transforms (``MSense``).
  Options: learn ("inverse" | "forward" | "both" | "none"), structure ("M" | "MM*" | "(MM*)^2"),
  init ("exact" | "random"), lamda (1e-2), iterations (10; 0: the adjoint Sᴴ G M y alone),
  materialize (True).
- unrolled-monarch / unrolled-fft: K cascades of DC + NormUNet (``Unrolled``), warm-started by J CG
  iterations of SENSE, regularizers zero-initialized (the network starts at SENSE). Options: cascades
  (5), chans (8), pools (2), step (1.0), init_iterations (J = 10), lamda (1e-2); Monarch only: learn
  ("both"), structure ("M"), init ("exact"), share (True: one pair for all cascades), materialize
  (True), warm_start ("exact": the warm start is SENSE with the exact FFT, the same image as the FFT
  network's; "learned": mSENSE with the network's transforms). Equal parameters: the same
  regularizers and steps; the Monarch network adds only its transform factors.
- unet: fastMRI's image U-Net on the zero-filled RSS (``ImageUNet``). Options: chans (32), pools (4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from ...errors import MonarchError
from ...monarch.stage import complex_dtype, real_dtype
from .fourier import FourierPair
from .image_unet import ImageUNet
from .msense import MSense
from .unet import NormUNet
from .unrolled import Unrolled


@dataclass(frozen=True)
class ModelEntry:
    summary: str
    builder: Callable[..., nn.Module]
    needs_maps: bool = True


MODELS: dict[str, ModelEntry] = {}
DTYPES = (torch.float32, torch.float64)


def register(name: str, summary: str, builder: Callable[..., nn.Module], needs_maps: bool = True) -> None:
    """Add a model under ``name``; ``builder(shape=(H, W), dtype=..., **options)`` returns the module."""
    MODELS[name] = ModelEntry(summary, builder, needs_maps)


def _msense(shape, dtype, learn="inverse", structure="M", init="exact", lamda=1e-2, iterations=10, materialize=True, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return MSense(shape, learn, structure, init, lamda, iterations, materialize, complex_dtype(dtype), generator)


def _unrolled(monarch: bool):
    def build(shape, dtype, cascades=5, chans=8, pools=2, step=1.0, init_iterations=10, lamda=1e-2, seed=0, **options):
        if not isinstance(cascades, int) or cascades < 1:
            raise MonarchError(f"cascades must be a positive int, got {cascades!r}")
        if not monarch and options:
            raise MonarchError(f"options {sorted(options)} apply to unrolled-monarch only")
        unknown = set(options) - {"learn", "structure", "init", "share", "materialize", "warm_start"}
        if unknown:
            raise MonarchError(f"unknown unrolled-monarch options {sorted(unknown)}; "
                               "valid: learn, structure, init, share, materialize, warm_start")
        share = options.pop("share", True)
        warm_start = options.pop("warm_start", "exact")
        options.setdefault("learn", "both")
        if monarch and options["learn"] == "none":
            raise MonarchError("unrolled-monarch needs learnable transforms (learn inverse, forward or both); use unrolled-fft")
        cdtype = complex_dtype(dtype)
        generator = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # the same regularizer weights for both networks at one seed
            torch.manual_seed(seed)
            regularizers = [NormUNet(chans, pools, zero_init=True).to(real_dtype(dtype)) for _ in range(cascades)]
        if monarch:
            pairs = [FourierPair(shape, dtype=cdtype, generator=generator, **options) for _ in range(1 if share else cascades)]
        else:
            pairs = [FourierPair(shape, learn="none", dtype=cdtype)]
        return Unrolled(pairs, regularizers, step, cdtype, init_iterations, lamda, warm_start)

    return build


def _unet(shape, dtype, chans=32, pools=4, seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ImageUNet(chans, pools).to(real_dtype(dtype))


register("msense", "SENSE by K CG iterations with learnable Monarch Fourier transforms (exact at init)", _msense)
register("unrolled-monarch", "VarNet-style unrolled network (DC + NormUNet cascades), learnable Monarch transforms", _unrolled(True))
register("unrolled-fft", "the same unrolled network with the fixed centered FFT (the baseline at equal parameters)", _unrolled(False))
register("unet", "fastMRI's image-domain U-Net on the zero-filled RSS (no coil maps)", _unet, needs_maps=False)


def available_models() -> dict[str, str]:
    """name → one-line summary."""
    return {name: entry.summary for name, entry in MODELS.items()}


def model_entry(name: str) -> ModelEntry:
    if name not in MODELS:
        raise MonarchError(f"unknown MRI model {name!r}; valid models: {', '.join(MODELS)}")
    return MODELS[name]


def build_model(name: str, shape: Sequence[int], dtype: torch.dtype = torch.float32, **options) -> nn.Module:
    """The registered model ``name`` for k-space of grid ``shape`` = (H, W) (options override the defaults)."""
    entry = model_entry(name)
    shape = tuple(shape) if isinstance(shape, (tuple, list, torch.Size)) else shape
    if not (isinstance(shape, tuple) and len(shape) == 2 and all(isinstance(n, int) and n >= 2 for n in shape)):
        raise MonarchError(f"model {name!r} needs the k-space grid shape=(H, W), got {shape!r}")
    if dtype not in DTYPES:
        raise MonarchError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    try:
        return entry.builder(shape=shape, dtype=dtype, **options)
    except TypeError as error:
        raise MonarchError(f"bad options for MRI model {name!r}: {error}") from None


def count_parameters(model: nn.Module) -> dict[str, int]:
    """{"total", "transforms", "network"}: trainable entries (a complex entry counts once, as torch), the
    learnable transform factors (names under ``transforms.``) and the rest; "total_real" counts a
    complex entry as two reals."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    total = sum(p.numel() for _, p in named)
    transforms = sum(p.numel() for n, p in named if n.startswith("transforms.") or ".transforms." in n)
    return {"total": total, "transforms": transforms, "network": total - transforms,
            "total_real": sum(p.numel() * (2 if p.is_complex() else 1) for _, p in named)}


__all__ = ["MODELS", "ModelEntry", "available_models", "build_model", "count_parameters", "model_entry", "register"]
