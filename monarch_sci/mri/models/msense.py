"""mSENSE: SENSE by a fixed number of CG iterations whose Fourier transforms are learnable Monarch matrices.

    x̂ = CG_K(Aᴴ A + λ I, Bᴴ y),   A = M F S,   Bᴴ = Sᴴ G M

with F, G the forward and inverse transforms of a :class:`FourierPair` (exact centered FFT / iFFT at
init) and CG_K exactly K conjugate-gradient iterations from x = 0 (no early stop, so the map
y ↦ x̂ is one fixed differentiable computation). K = 0 is the adjoint alone, x̂ = Bᴴ y = Sᴴ G M y: the
coil-combined zero-filled image that some papers call "SENSE", with a learnable iFFT. With learn="none" (and at init for every ``learn``)
this is ``mri.sense(kspace, mask, maps, lamda, max_iter=K, tol=0)``, bit for bit up to the rounding of
the Monarch DFT. Gradients: autograd through the K iterations, i.e. the exact derivative of the K-step
map (CG's step sizes depend on b, so x̂ is not linear in b; tests gradcheck it in float64).

The Monarch paper's mSENSE learns the inverse transform only (learn="inverse": the right-hand side
Sᴴ G M y, while the normal operator keeps the exact FFT). learn="forward" learns F and uses Fᴴ in the
adjoint, so Aᴴ A stays Hermitian positive semi-definite (a learned forward model); "both" learns F and
G independently. What a learned G can do that SENSE cannot: any separable linear map of the
zero-filled k-space before the unaliasing, in particular a k-space weighting (a diagonal folds into
a Monarch factor) that shrinks the noise-dominated high frequencies: the model learns a Wiener-like
filter for the scans' noise level, mask and coil geometry. Scale-equivariant: x̂(c·y) = c·x̂(y), c > 0.

>>> model = MSense((32, 24), learn="inverse", iterations=4)
>>> kspace = torch.randn(2, 4, 32, 24, dtype=torch.complex64)
>>> maps = torch.randn(2, 4, 32, 24, dtype=torch.complex64)
>>> model(kspace, torch.ones(2, 1, 1, 24), maps).shape
torch.Size([2, 32, 24])
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ...errors import MonarchError
from ...linops import Identity
from ...monarch.stage import complex_dtype
from ..cg import conjugate_gradient
from .fourier import FourierPair
from .physics import check_inputs, physics, sense_ops


class MSense(nn.Module):
    """x̂ = CG_K(Aᴴ A + λ I, Bᴴ y): (kspace, mask, maps) → complex images (B, H, W).

    shape: the k-space grid (H, W); learn, structure, init, materialize: of the :class:`FourierPair`
    (kept as ``self.transforms``); lamda: λ ≥ 0 (relative to ‖Aᴴ A‖ ≤ 1 for normalized maps);
    iterations: K ≥ 0 (0: x̂ = Bᴴ y); dtype: complex64 / complex128 (or their real dtypes).
    """

    def __init__(self, shape: Sequence[int], learn: str = "inverse", structure: str = "M", init: str = "exact",
                 lamda: float = 1e-2, iterations: int = 10, materialize: bool = True,
                 dtype: torch.dtype = torch.complex64, generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 0:
            raise MonarchError(f"mSENSE needs iterations ≥ 0 (CG steps; 0: the adjoint alone), got {iterations!r}")
        if not lamda >= 0:
            raise MonarchError(f"mSENSE needs lamda ≥ 0, got {lamda!r}")
        self.dtype = complex_dtype(dtype)
        self.transforms = FourierPair(shape, learn, structure, init, self.dtype, materialize, generator)
        self.lamda, self.iterations = float(lamda), iterations

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        check_inputs(kspace, mask, maps, "mSENSE")
        with physics(kspace.device):
            kspace, maps = kspace.to(self.dtype), maps.to(self.dtype)
            ops = sense_ops(self.transforms, mask, maps)
            b = ops.BH(kspace)
            if self.iterations == 0:
                return b
            system = ops.A.normal() + self.lamda * Identity(ops.A.ishape)
            x, _ = conjugate_gradient(system, b, max_iter=self.iterations, tol=0.0)
        return x

    def extra_repr(self) -> str:
        return f"lamda={self.lamda}, iterations={self.iterations}"


__all__ = ["MSense"]
