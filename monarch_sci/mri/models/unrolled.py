"""Unrolled reconstruction networks (VarNet-style, image domain): K cascades of data consistency + a CNN.

    x⁰ = CG_J(A₀ᴴ A₀ + λ I, B₀ᴴ y),    x^{t+1} = x^t − η_t Bᴴ(A x^t − y) − R_t(x^t),    t = 0 … K−1

A = M F S and Bᴴ = Sᴴ G M come from a :class:`FourierPair` (``physics.sense_ops``); η_t are learnable
step sizes (init ``step``); R_t are the regularizers, any modules mapping complex images
(B, H, W) → (B, H, W) (by default ``NormUNet``s). The transforms are injected: a pair with learn="none"
is the fixed-FFT network (fastMRI's E2E-VarNet uses the same DC gradient step, in k-space), a pair
with learnable Monarch transforms the Monarch one. One pair for all cascades, or one per cascade.
x⁰: J CG iterations of SENSE (J = 0: x⁰ = B₀ᴴ y, VarNet's start); a warm start from SENSE, with
regularizers whose correction starts at zero, makes the network start at SENSE quality (MoDL also
starts from a CG solve) instead of spending its first epochs getting there. warm_start="exact"
(default): A₀, B₀ use the exact FFT, so x⁰ is the same fixed SENSE image for the Monarch network and
its FFT version and the learned transforms act in the cascades only; "learned": A₀, B₀ = A, B of the
first pair (mSENSE as the start: gradients flow to the transforms through the J CG iterations,
which costs a second pass through them in every backward).

"Equal parameters" (``unrolled-monarch`` vs ``unrolled-fft``): the same regularizers (architecture and
count) and step sizes; the Monarch network has in addition only its transform factors, counted
separately (``count_parameters(...)["transforms"]``). At init both compute the same function.

>>> from monarch_sci.mri.models.fourier import FourierPair
>>> net = Unrolled([FourierPair((16, 16), learn="none")], [torch.nn.Identity()] * 2)
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ...errors import MonarchError, check_choice
from ...linops import Identity
from ...monarch.stage import complex_dtype
from ..cg import conjugate_gradient
from .fourier import FourierPair
from .physics import check_inputs, physics, sense_ops

WARM_STARTS = ("exact", "learned")


class Unrolled(nn.Module):
    """(kspace, mask, maps) → complex images (B, H, W) after len(regularizers) cascades.

    transforms: one FourierPair (shared by every cascade) or one per cascade (kept as
    ``self.transforms``, a ModuleList); regularizers: K modules; step: initial η_t; dtype: the
    complex dtype of the physics (the pairs' dtype; complex64 or complex128); init_iterations: J;
    lamda: λ of the initial solve; warm_start: "exact" or "learned" (see the module docstring).
    """

    def __init__(self, transforms: Sequence[FourierPair], regularizers: Sequence[nn.Module], step: float = 1.0,
                 dtype: torch.dtype = torch.complex64, init_iterations: int = 0, lamda: float = 1e-2,
                 warm_start: str = "exact"):
        super().__init__()
        transforms, regularizers = list(transforms), list(regularizers)
        if not regularizers:
            raise MonarchError("an unrolled network needs at least one cascade (regularizer)")
        if len(transforms) not in (1, len(regularizers)):
            raise MonarchError(
                f"give one Fourier pair (shared) or one per cascade: got {len(transforms)} pairs for {len(regularizers)} cascades"
            )
        if not all(isinstance(t, FourierPair) for t in transforms):
            raise MonarchError("the transforms of an unrolled network must be FourierPair modules")
        if len({t.shape for t in transforms}) != 1:
            raise MonarchError(f"the Fourier pairs are built for different grids {[t.shape for t in transforms]}")
        if not isinstance(init_iterations, int) or init_iterations < 0 or not lamda >= 0:
            raise MonarchError(f"init_iterations must be an int ≥ 0 and lamda ≥ 0, got {init_iterations!r} and {lamda!r}")
        check_choice("warm_start", warm_start, WARM_STARTS)
        self.init_iterations, self.lamda, self.warm_start = init_iterations, float(lamda), warm_start
        self.transforms = nn.ModuleList(transforms)
        self.regularizers = nn.ModuleList(regularizers)
        self.dtype = complex_dtype(dtype)
        # the exact start's FFT pair (no parameters: the state dict is the same either way); None: the first pair's
        exact = warm_start == "exact" and transforms[0].learnable
        self.start_transforms = FourierPair(transforms[0].shape, learn="none", dtype=self.dtype) if exact else None
        self.steps = nn.Parameter(torch.full((len(regularizers),), float(step), dtype=self.dtype.to_real()))

    @property
    def cascades(self) -> int:
        return len(self.regularizers)

    def extra_repr(self) -> str:
        return f"init_iterations={self.init_iterations}, lamda={self.lamda}, warm_start={self.warm_start!r}"

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        check_inputs(kspace, mask, maps, "unrolled network")
        with physics(kspace.device):
            kspace, maps = kspace.to(self.dtype), maps.to(self.dtype)
            ops = [sense_ops(t, mask, maps) for t in self.transforms]
            start = ops[0] if self.start_transforms is None else sense_ops(self.start_transforms, mask, maps)
            x = start.BH(kspace)
            if self.init_iterations:
                system = start.A.normal() + self.lamda * Identity(start.A.ishape)
                x, _ = conjugate_gradient(system, x, max_iter=self.init_iterations, tol=0.0)
        for t, regularizer in enumerate(self.regularizers):
            A, BH = ops[t % len(ops)]
            with physics(kspace.device):
                grad = BH(A(x) - kspace)
            x = x - self.steps[t] * grad - regularizer(x).to(x.dtype)
        return x


__all__ = ["WARM_STARTS", "Unrolled"]
