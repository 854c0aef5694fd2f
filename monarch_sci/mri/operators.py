"""The SENSE forward model y = M F S x on ``ms.linops``, with the Fourier transform pluggable.

S: coil expansion x ↦ (S_c x)_c (``Multiply`` with maps (C, H, W)); F: a 2-D transform of the coil
images, by default the centered orthonormal FFT (fastMRI's fft2c) or a learnable Monarch DFT that
equals it at init; M: the sampling mask. Shapes: x (..., H, W) → y (..., C, H, W). Per-slice maps
(B, C, H, W) and masks (B, 1, 1, W) / (B, 1, H, W) make a batched operator over B slices.

Adjoint Sᴴ Fᴴ M (coil combination of the zero-filled coil images); normal operator
Aᴴ A = Sᴴ Fᴴ M F S (Hermitian PSD). Everything runs on the device of the maps.
"""

from __future__ import annotations

from typing import Callable

import torch

from ..errors import MonarchError
from ..linops import FFT, LinearOperator, Mask, MonarchOp, Multiply
from ..linops.fft import centered_ramps


def centered_fft2(shape: tuple[int, ...], dtype: torch.dtype | None = None) -> FFT:
    """fastMRI's fft2c on tensors (..., *shape): ifftshift → fft2(norm="ortho") → fftshift over the last two dims."""
    return FFT(tuple(shape), dims=(-2, -1), norm="ortho", centered=True)


def monarch_fft2(
    shape: tuple[int, ...],
    dtype: torch.dtype = torch.complex64,
    structure: str = "(MM*)^2",
    learnable: bool = True,
) -> MonarchOp:
    """A learnable separable Monarch DFT on the last two dims of (..., *shape), equal to
    ``centered_fft2`` at init (one ``MonarchTransform("dft", n, norm="ortho", centered=True)`` per
    dim). Its trainable modules are ``op.stages``; ``.H`` follows the live weights.

    >>> F = monarch_fft2((8, 64, 64), dtype=torch.complex128)
    >>> params = [p for stage in F.stages for p in stage.parameters()]
    """
    from ..nn.transform import MonarchTransform

    h, w = shape[-2:]
    stages = tuple(
        MonarchTransform("dft", n, structure=structure, learnable=learnable, norm="ortho", centered=True, dtype=dtype)
        for n in (h, w)
    )
    return MonarchOp(stages, tuple(shape), dims=(-2, -1))


FOURIER: dict[str, Callable[..., LinearOperator]] = {"fft": centered_fft2, "monarch": monarch_fft2}


def fourier_operator(name: str, shape: tuple[int, ...], dtype: torch.dtype | None = None, **options) -> LinearOperator:
    """The 2-D transform registered as ``name`` ("fft" or "monarch") for coil images of ``shape``."""
    if name not in FOURIER:
        raise MonarchError(f"unknown Fourier transform {name!r}; valid names: {', '.join(FOURIER)}")
    kwargs = dict(options)
    if dtype is not None:
        kwargs["dtype"] = dtype
    return FOURIER[name](tuple(shape), **kwargs)


def _check_maps(maps: torch.Tensor) -> None:
    if not isinstance(maps, torch.Tensor) or maps.ndim < 3:
        raise MonarchError(
            f"SENSE needs coil maps as a tensor (C, H, W) or (B, C, H, W), got "
            f"{tuple(maps.shape) if isinstance(maps, torch.Tensor) else type(maps).__name__}"
        )
    if not maps.is_complex():
        raise MonarchError(f"SENSE coil maps must be complex, got {maps.dtype}")


def sense_operator(
    maps: torch.Tensor,
    mask: torch.Tensor | None = None,
    fourier: str | LinearOperator = "fft",
) -> LinearOperator:
    """A = M F S for coil maps (*batch, C, H, W) and a mask broadcasting to (*batch, C, H, W).

    maps: complex, leading dims beyond (C, H, W) index slices. mask: None (fully sampled), or 0/1
    / bool with shape (*batch, 1, 1, W), (*batch, 1, H, W) or anything broadcasting to
    (*batch, C, H, W) — the leading dims of the mask must equal the maps' batch dims (use size-1
    dims for a mask shared by all slices). fourier: "fft", "monarch", or any LinearOperator with
    ishape = oshape = (C, H, W) (e.g. one ``monarch_fft2`` shared by several operators).

    >>> maps = torch.randn(8, 64, 64, dtype=torch.complex128)
    >>> A = sense_operator(maps, torch.rand(1, 1, 64) > 0.5)
    >>> A.ishape, A.oshape, A.adjoint_test() < 1e-12
    ((64, 64), (8, 64, 64), True)
    """
    _check_maps(maps)
    coil_shape = tuple(maps.shape[-3:])
    nbatch = maps.ndim - 3
    if isinstance(fourier, str):
        F = fourier_operator(fourier, coil_shape, dtype=maps.dtype if fourier == "monarch" else None)
        if fourier == "monarch":
            F = _to_device(F, maps.device)
    elif isinstance(fourier, LinearOperator):
        F = fourier
    else:
        raise MonarchError(f"fourier must be 'fft', 'monarch' or a LinearOperator, got {type(fourier).__name__}")
    if F.ishape != coil_shape or F.oshape != coil_shape:
        raise MonarchError(f"the Fourier operator maps {F.ishape} -> {F.oshape} but the coil images are {coil_shape}")
    if mask is not None:
        mask = _check_mask(mask, maps)  # (*batch, 1|C, 1|H, W), aligned with the maps
        M = Mask(mask, coil_shape, batch_dims=nbatch)  # checks the values are 0 / 1
    if isinstance(F, FFT) and F.centered:
        return _fold_centering(F, maps, mask, nbatch)
    S = Multiply(maps, coil_shape[-2:], batch_dims=nbatch)
    return F @ S if mask is None else M @ F @ S


def _fold_centering(F: FFT, maps: torch.Tensor, mask: torch.Tensor | None, nbatch: int) -> LinearOperator:
    """M F S with the centered FFT F = R_out FFT R_in (diagonal phase ramps, ±1 for even sizes) as
    (M R_out) FFT (R_in S): the same values (exactly, for even sizes) with two elementwise passes over
    the coil images fewer per application of A or Aᴴ (four per CG iteration)."""
    even = all(F.ishape[d] % 2 == 0 for d in F.dims)
    ramp_in, ramp_out = centered_ramps(F.ishape, F.dims, F.inverse, maps.dtype, maps.device)
    if even:
        ramp_out = ramp_out.real
    coil_shape = F.ishape
    S = Multiply(maps * ramp_in, coil_shape[-2:], batch_dims=nbatch)
    plain = FFT(coil_shape, F.dims, F.norm, centered=False, inverse=F.inverse)
    if mask is None:
        return Multiply(ramp_out, coil_shape) @ plain @ S
    return Multiply(mask.to(ramp_out.dtype) * ramp_out, coil_shape, batch_dims=nbatch) @ plain @ S


def _check_mask(mask: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor):
        raise MonarchError(f"SENSE mask must be a torch.Tensor, got {type(mask).__name__}")
    nbatch = maps.ndim - 3
    if mask.ndim > maps.ndim:
        raise MonarchError(f"SENSE mask of shape {tuple(mask.shape)} has more dims than the maps {tuple(maps.shape)}")
    mask = mask.reshape((1,) * (maps.ndim - mask.ndim) + tuple(mask.shape))
    if nbatch and tuple(mask.shape[:nbatch]) != tuple(maps.shape[:nbatch]):
        if all(d == 1 for d in mask.shape[:nbatch]):
            mask = mask.expand(*maps.shape[:nbatch], *mask.shape[nbatch:])
        else:
            raise MonarchError(
                f"SENSE mask of shape {tuple(mask.shape)} does not match the {nbatch} slice dims of the maps "
                f"{tuple(maps.shape)}"
            )
    try:
        torch.broadcast_shapes(tuple(mask.shape[nbatch:]), tuple(maps.shape[nbatch:]))
    except RuntimeError:
        raise MonarchError(
            f"SENSE mask of shape {tuple(mask.shape)} does not broadcast to the k-space shape {tuple(maps.shape)} "
            "(a column mask is (..., 1, 1, W))"
        ) from None
    return mask.to(maps.device)


def _to_device(F: MonarchOp, device: torch.device) -> MonarchOp:
    for stage in F.stages:
        stage.to(device)
    return F


def sense_adjoint(kspace: torch.Tensor, maps: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Aᴴ y = Σ_c conj(S_c) F⁻¹(M y_c): the SENSE coil combination of zero-filled coil images."""
    return sense_operator(maps, mask).H(kspace)


__all__ = ["FOURIER", "centered_fft2", "fourier_operator", "monarch_fft2", "sense_adjoint", "sense_operator"]
