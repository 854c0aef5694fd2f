"""What every physics-based model shares: the SENSE operators from a Fourier pair, in full precision.

For k-space y (B, C, H, W) (masked), mask (B, 1, 1, W) or (B, 1, H, W) and coil maps S (B, C, H, W):

    A  = M F S         the forward model with the pair's forward transform F
    Bᴴ = Sᴴ G M        the "adjoint" with the pair's inverse transform G (= Aᴴ when G = Fᴴ)

Both come from ``sense_operator`` (B is built as M Gᴴ S, so Bᴴ is exactly Sᴴ G M); where F is the fixed
FFT and the maps and mask take no gradient, A is ``Frozen`` (its backward is Aᴴ). Physics runs
outside any bf16 autocast, in the model's complex dtype (``physics``): a CG solve or a data-consistency
step in bf16 would lose the small k-space coefficients.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import torch

from ...errors import MonarchError
from ...linops import Frozen, LinearOperator
from ..operators import sense_operator
from .fourier import FourierPair


class SenseOps(NamedTuple):
    """A = M F S and Bᴴ = Sᴴ G M for one batch (see the module docstring)."""

    A: LinearOperator
    BH: LinearOperator


def check_inputs(kspace: torch.Tensor, mask: torch.Tensor, maps: torch.Tensor, who: str) -> None:
    """Shapes and dtypes every model expects, or a MonarchError naming the bad one."""
    if not isinstance(kspace, torch.Tensor) or kspace.ndim != 4 or not kspace.is_complex():
        raise MonarchError(
            f"{who} expects complex k-space (batch, coils, H, W), got "
            f"{getattr(kspace, 'dtype', type(kspace).__name__)} {tuple(getattr(kspace, 'shape', ()))}"
        )
    if not isinstance(maps, torch.Tensor) or tuple(maps.shape) != tuple(kspace.shape) or not maps.is_complex():
        raise MonarchError(
            f"{who} expects complex coil maps of the k-space shape {tuple(kspace.shape)}, got "
            f"{getattr(maps, 'dtype', type(maps).__name__)} {tuple(getattr(maps, 'shape', ()))}"
        )
    if not isinstance(mask, torch.Tensor) or mask.ndim != 4 or mask.shape[0] not in (1, kspace.shape[0]):
        raise MonarchError(
            f"{who} expects a mask (batch, 1, 1, W) or (batch, 1, H, W) for k-space {tuple(kspace.shape)}, got "
            f"{tuple(getattr(mask, 'shape', ()))}"
        )


def sense_ops(pair: FourierPair, mask: torch.Tensor, maps: torch.Tensor) -> SenseOps:
    """A and Bᴴ for this batch from the pair's live transforms (build once per forward pass)."""
    F, G = pair.operators(tuple(maps.shape[-3:]))
    A = sense_operator(maps, mask, F)
    if pair.forward_dft is None and not (maps.requires_grad or mask.requires_grad):
        A = Frozen(A)  # nothing in A learns: its backward is Aᴴ, not autograd through its ops
    BH = A.H if pair.inverse_dft is None else sense_operator(maps, mask, G.H).H
    return SenseOps(A, BH)


@contextlib.contextmanager
def physics(device: torch.device):
    """Autocast off inside the block (a no-op outside autocast)."""
    if torch.is_autocast_enabled(device.type):
        with torch.autocast(device_type=device.type, enabled=False):
            yield
    else:
        yield


__all__ = ["SenseOps", "check_inputs", "physics", "sense_ops"]
