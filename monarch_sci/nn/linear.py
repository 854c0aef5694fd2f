"""MonarchLinear: a drop-in replacement for ``nn.Linear`` whose weight is one Monarch factor."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import MonarchError
from ..monarch.apply import monarch_apply
from ..monarch.factor import Monarch
from ..monarch.project import project
from ..monarch.shapes import block_shape

# Uniform bound factor for R and L: Var(R) * Var(L) * p * r = 1/3, the variance gain of nn.Linear.
_BOUND = 3**0.25


def layer_shape(in_features: int, out_features: int, nblocks: int):
    """Factor shapes ((k, q, p), (l, s, r)) of a MonarchLinear.

    k = l = nblocks, p = ceil(in_features/nblocks), s = ceil(out_features/nblocks) (the input is
    zero-padded to k*p, the output of length l*s truncated), and ``block_shape``'s q = r = min(p, s).
    That gives nblocks*min(p, s)*(p + s) weights, e.g. 50 % of dense for n -> n and 31 % for
    n -> 4n at nblocks=4.
    """
    for label, value in (("in_features", in_features), ("out_features", out_features), ("nblocks", nblocks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise MonarchError(f"MonarchLinear needs {label} to be a positive int, got {value!r}")
    p, s = -(-in_features // nblocks), -(-out_features // nblocks)
    return block_shape(p * nblocks, s * nblocks, nblocks)


class MonarchLinear(nn.Module):
    """y = M x + b with M a Monarch factor: a drop-in for ``nn.Linear(in_features, out_features)``.

    Parameters ``R`` (k, q, p) and ``L`` (l, s, r) in the canonical layout (see
    ``monarch_sci.monarch.apply``), from ``layer_shape(in_features, out_features, nblocks)``.
    Input (..., in_features) -> output (..., out_features). When nblocks does not divide a size,
    the input is zero-padded to k*p and the output (length l*s) is truncated to out_features, as in
    HazyResearch/fly's MonarchLinear. Square n -> n layers keep 2n^2/nblocks weights (50 % of dense
    at nblocks=4).

    Init: R ~ U(±3^{1/4}/sqrt(in_features/k)), L ~ U(±3^{1/4}/sqrt(r)), so
    Var(y_o) = r * Var(L) * (in_features/k) * Var(R) * Var(x) = Var(x)/3 per output, the same as
    nn.Linear's U(±1/sqrt(in_features)) weights (fly draws each block like an nn.Linear weight,
    which gives Var(x)/9); bias ~ U(±1/sqrt(in_features)) as in nn.Linear.

    ``weight`` is the equivalent dense (out_features, in_features) matrix, computed on access and
    differentiable in R and L, for code that reads ``linear.weight`` directly (nn.MultiheadAttention's
    out_proj, the TransformerEncoderLayer inference fast path); such code then runs dense.

    >>> layer = MonarchLinear(256, 256, nblocks=4)
    >>> layer(torch.randn(8, 256)).shape
    torch.Size([8, 256])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        nblocks: int = 4,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        (k, q, p), (l, s, r) = layer_shape(in_features, out_features, nblocks)
        self.in_features, self.out_features, self.nblocks = in_features, out_features, nblocks
        kwargs = {"device": device, "dtype": dtype}
        self.R = nn.Parameter(torch.empty(k, q, p, **kwargs))
        self.L = nn.Parameter(torch.empty(l, s, r, **kwargs))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw R, L and the bias as described in the class docstring."""
        k, r = self.R.shape[0], self.L.shape[2]
        bound_R = _BOUND / math.sqrt(self.in_features / k)  # in_features/k: mean unpadded fan-in of an R block
        bound_L = _BOUND / math.sqrt(r)
        nn.init.uniform_(self.R, -bound_R, bound_R)
        nn.init.uniform_(self.L, -bound_L, bound_L)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)

    @property
    def monarch(self) -> Monarch:
        """The factor Monarch(R, L), mapping the padded input (k*p) to the padded output (l*s)."""
        return Monarch(self.R, self.L)

    @property
    def weight(self) -> torch.Tensor:
        """The dense (out_features, in_features) matrix of the layer (differentiable)."""
        return self.monarch.to_dense()[: self.out_features, : self.in_features]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_features) -> (..., out_features) through ``monarch_apply``."""
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise MonarchError(
                f"MonarchLinear({self.in_features} -> {self.out_features}) expects input of shape "
                f"(..., {self.in_features}), got {tuple(x.shape)}"
            )
        k, _, p = self.R.shape
        if k * p != self.in_features:
            x = F.pad(x, (0, k * p - self.in_features))
        y = monarch_apply(x, self.R, self.L)[..., : self.out_features]
        return y if self.bias is None else y + self.bias.to(y.dtype)  # autocast: y is in the region's dtype

    @classmethod
    def from_dense(cls, linear: nn.Linear, nblocks: int = 4) -> "MonarchLinear":
        """The MonarchLinear closest to ``linear`` in Frobenius norm (Theorem 1 projection), bias copied.

        The weight is zero-padded to (l*s, k*p) and projected; the padded rows and columns are
        don't-care entries and zero padding leaves the optimum on the real block unchanged, so
        ||W - layer.weight||_F is the smallest over all MonarchLinear layers of this shape.
        Half-precision weights are projected in float32. requires_grad carries over (weight -> R, L).
        """
        if not isinstance(linear, nn.Linear):
            raise MonarchError(f"MonarchLinear.from_dense expects an nn.Linear, got {type(linear).__name__}")
        W = linear.weight
        layer = cls(linear.in_features, linear.out_features, linear.bias is not None, nblocks, W.device, W.dtype)
        shape = layer_shape(linear.in_features, linear.out_features, nblocks)
        (k, _, p), (l, s, _) = shape
        with torch.no_grad():
            padded = F.pad(W, (0, k * p - linear.in_features, 0, l * s - linear.out_features))
            M = project(padded.to(torch.promote_types(W.dtype, torch.float32)), shape=shape)
            layer.R.copy_(M.R)
            layer.L.copy_(M.L)
            if linear.bias is not None:
                layer.bias.copy_(linear.bias)
        layer.R.requires_grad_(W.requires_grad)
        layer.L.requires_grad_(W.requires_grad)
        if linear.bias is not None:
            layer.bias.requires_grad_(linear.bias.requires_grad)
        return layer

    def to_dense(self) -> nn.Linear:
        """The equivalent nn.Linear (same device, dtype and requires_grad; new parameters), exact to rounding."""
        linear = nn.Linear(
            self.in_features, self.out_features, self.bias is not None, device=self.R.device, dtype=self.R.dtype
        )
        with torch.no_grad():
            linear.weight.copy_(self.weight)
            if self.bias is not None:
                linear.bias.copy_(self.bias)
        linear.weight.requires_grad_(self.R.requires_grad)
        if self.bias is not None:
            linear.bias.requires_grad_(self.bias.requires_grad)
        return linear

    def extra_repr(self) -> str:
        numel = sum(t.numel() for t in self.parameters())
        dense = self.in_features * self.out_features + (self.out_features if self.bias is not None else 0)
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
            f"nblocks={self.nblocks}, R={tuple(self.R.shape)}, L={tuple(self.L.shape)}, "
            f"params={numel} ({100 * numel / dense:.1f}% of dense)"
        )
