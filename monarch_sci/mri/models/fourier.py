"""The Fourier pair of a learned reconstruction: forward F (image → k-space) and inverse G (k-space → image).

Both are separable 2-D transforms over the last two dims of coil images (..., C, H, W). At init
F is the centered orthonormal FFT (fastMRI's fft2c) and G = F⁻¹ = Fᴴ (ifft2c), exactly; which of
them learn is chosen by ``learn``:

    "none"     F = fft2c, G = ifft2c (torch.fft; nothing to learn: the FFT baseline)
    "inverse"  G a learnable Monarch inverse DFT per axis, F = fft2c (the Monarch paper's mSENSE)
    "forward"  F a learnable Monarch DFT per axis and G = Fᴴ, its live adjoint (a learned forward
               model: the normal operator Fᴴ M F stays Hermitian positive semi-definite)
    "both"     F and G learnable and independent (G starts at Fᴴ but need not stay its adjoint)

Each learnable transform is ``MonarchTransform("dft" | "idft", n, structure, norm="ortho",
centered=True)``: structure "M" (1 learnable factor; 2n√n complex parameters per axis), "MM*" (2)
or "(MM*)^2" (4), extra factors starting at the identity; init "exact" or "random" (the ablation).
With ``materialize`` each call builds the dense n × n matrix of every learnable transform from its
live factors once (gradients flow to the factors) and applies it as one GEMM per axis: on CPUs and
at MRI sizes (n ≤ 640) that beats the factor-by-factor apply, and a CG solve reuses the matrices
for all its iterations. The FFT ops stay torch.fft.

>>> pair = FourierPair((16, 12), learn="inverse")
>>> F, G = pair.operators((4, 16, 12))           # 4 coils
>>> x = torch.randn(4, 16, 12, dtype=torch.complex64)
>>> torch.allclose(G(F(x)), x, atol=1e-5)
True
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ...errors import MonarchError, check_choice
from ...linops import LinearOperator, MonarchOp
from ...monarch import Dense
from ...monarch.stage import complex_dtype
from ...nn.transform import INITS, STRUCTURES, MonarchTransform
from ..operators import centered_fft2

LEARN = ("none", "inverse", "forward", "both")


class FourierPair(nn.Module):
    """Forward / inverse 2-D Fourier transforms on (H, W) images, learnable as ``learn`` says.

    shape: (H, W) of the k-space grid; learn: one of ``LEARN``; structure: one of "M", "MM*",
    "(MM*)^2"; init: "exact" (the centered DFT) or "random" (N(0, 1/fan_in) factors of the same
    shapes); dtype: complex64 or complex128 (a real dtype means its complex version);
    materialize: see the module docstring; generator: for init="random".
    """

    def __init__(self, shape: Sequence[int], learn: str = "inverse", structure: str = "M", init: str = "exact",
                 dtype: torch.dtype = torch.complex64, materialize: bool = True,
                 generator: torch.Generator | None = None):
        super().__init__()
        shape = tuple(shape)
        if len(shape) != 2 or not all(isinstance(n, int) and n >= 2 for n in shape):
            raise MonarchError(f"FourierPair needs the k-space grid (H, W) with H, W ≥ 2, got {shape!r}")
        check_choice("learn", learn, LEARN)
        check_choice("structure", structure, STRUCTURES)
        check_choice("init", init, INITS)
        self.shape, self.learn, self.structure, self.init = shape, learn, structure, init
        self.materialize = bool(materialize)
        dtype = complex_dtype(dtype)

        def build(kind: str) -> nn.ModuleList:
            return nn.ModuleList(
                MonarchTransform(kind, n, structure=structure, init=init, generator=generator, norm="ortho",
                                 centered=True, dtype=dtype)
                for n in shape
            )

        self.forward_dft = build("dft") if learn in ("forward", "both") else None
        self.inverse_dft = build("idft") if learn in ("inverse", "both") else None

    @property
    def learnable(self) -> bool:
        return self.learn != "none"

    def _stages(self, modules: nn.ModuleList) -> tuple:
        if not self.materialize:
            return tuple(modules)
        return tuple(Dense(m.to_dense()) for m in modules)

    def operators(self, coil_shape: Sequence[int]) -> tuple[LinearOperator, LinearOperator]:
        """(F, G) as operators on coil images of ``coil_shape`` (..., H, W), from the live weights.

        Build them once per forward pass: with ``materialize`` the dense matrices are made here.
        """
        coil_shape = tuple(coil_shape)
        if coil_shape[-2:] != self.shape:
            raise MonarchError(f"this model was built for k-space {self.shape}, got coil images {coil_shape}")
        fft = centered_fft2(coil_shape)
        F = MonarchOp(self._stages(self.forward_dft), coil_shape, dims=(-2, -1)) if self.forward_dft is not None else fft
        if self.inverse_dft is not None:
            G = MonarchOp(self._stages(self.inverse_dft), coil_shape, dims=(-2, -1))
        else:
            G = F.H
        return F, G

    def extra_repr(self) -> str:
        n = sum(p.numel() for p in self.parameters())
        return f"shape={self.shape}, learn={self.learn!r}, structure={self.structure!r}, init={self.init!r}, parameters={n:,}"


__all__ = ["INITS", "LEARN", "FourierPair"]
