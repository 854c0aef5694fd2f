"""Mixed precision: bf16 autocast for the pointwise work, float32 for FFTs and Monarch DFTs.

cuFFT has no bf16 transform and half-precision spectra lose the small high modes, so spectral
layers run outside autocast on float32 inputs (``full_precision``); the lifting, pointwise and
projection layers take autocast's bf16. "off" runs everything in the parameters' dtype.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from ..errors import check_choice

AMP_MODES = ("off", "bf16")


def autocast(amp: str, device: torch.device):
    """The autocast context for ``amp`` ("off" or "bf16") on ``device``."""
    check_choice("amp", amp, AMP_MODES)
    if amp == "off":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def full_precision(module: nn.Module, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    """``module(x)`` with autocast disabled and x in float32 when an autocast region is active.

    Call FFT / Monarch-transform layers through it so a bf16 autocast region around the model leaves
    them in float32 (complex64); outside autocast it is a plain call.
    """
    if not torch.is_autocast_enabled(x.device.type):
        return module(x, *args, **kwargs)
    with torch.autocast(device_type=x.device.type, enabled=False):
        return module(x.float(), *args, **kwargs)
