"""Cheap fixed stages between Monarch factors: permutations, diagonals, real parts, dense fallback."""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError
from .stage import Stage, like_precision, promote


def _rebuilt(cls, **fields):
    """A stage derived from a checked one (adjoint, device move, composition) without checking it again:
    the checks read index values back to the host, which a CUDA-graph capture forbids."""
    stage = cls.__new__(cls)
    stage.__dict__.update(fields)
    return stage


class _Gather(torch.autograd.Function):
    """y = x.index_select(-1, index) for distinct entries ``index`` of x's last dim (length n), whose gradient is
    written, not added: gathered back by ``inverse`` where index is a permutation of range(n), else copied into
    zeros at ``index``. index_select's own backward adds with atomics (index_add): on an H200, complex64
    (8192, 4096), a transpose permutation's forward + backward took 1102 us that way against 356 us
    (results/permutation_gather/)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, index, inverse, n):
        return x.index_select(-1, index)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.index, ctx.inverse, ctx.n = inputs

    @staticmethod
    def backward(ctx, g):
        if ctx.inverse is not None:
            grad = _Gather.apply(g, ctx.inverse, ctx.index, ctx.n)
        else:
            grad = g.new_zeros(*g.shape[:-1], ctx.n).index_copy(-1, ctx.index, g)
        return grad, None, None, None


def real_form(W: torch.Tensor) -> torch.Tensor:
    """Real form of a matrix W (a, b) or blocks (nb, a, b): W itself if real, else (..., 2a, 2b) with each
    entry w replaced by [[Re w, -Im w], [Im w, Re w]], so that it acts on interleaved (re, im) pairs:
    real_form(W) @ view_as_real(x).flatten(-2) = view_as_real(W @ x).flatten(-2). Differentiable, so
    gradients of the real form fold back to complex ones through autograd."""
    if not W.is_complex():
        return W.contiguous()
    re, im = W.real, W.imag
    top = torch.stack((re, -im), dim=-1)  # (nb, a, b, 2)
    bottom = torch.stack((im, re), dim=-1)
    *lead, a, b = W.shape
    return torch.stack((top, bottom), dim=-3).reshape(*lead, 2 * a, 2 * b)


def dense_along(D: torch.Tensor, x: torch.Tensor, dim: int) -> torch.Tensor:
    """D (m, n) applied along ``dim`` of x (..., n, ...) -> (..., m, ...), in their promoted dtype.

    Along the last dim one GEMM (x @ Dᵀ; complex as the real GEMM of the (re, im) views against
    ``real_form(D)ᵀ``: on an H200 with TF32, 320 × 320 on 19 200 rows, 69 µs against cuBLAS's complex
    GEMM's 79, and 95 µs against 179 for the weight gradient); along another, x is viewed as
    (lead, n, trail) and one batched matmul takes D with a stride-0 batch (torch.matmul would copy x
    to fold it into a GEMM).
    """
    dtype = torch.promote_types(D.dtype, x.dtype)
    D, x = D.to(dtype), x.to(dtype)
    dim = dim % x.ndim
    if dim == x.ndim - 1 and dtype.is_complex:  # one real GEMM on the (re, im) views
        m, n = D.shape
        y = torch.view_as_real(x.resolve_conj()).reshape(*x.shape[:-1], 2 * n) @ real_form(D).transpose(0, 1)
        return torch.view_as_complex(y.unflatten(-1, (m, 2)))
    if dim == x.ndim - 1:
        return x @ D.transpose(0, 1)
    m, n = D.shape
    lead = math.prod(x.shape[:dim])
    x3 = x.reshape(lead, n, -1)
    out = torch.bmm(D.expand(lead, m, n), x3) if lead > 1 else (D @ x3[0])[None]
    return out.view(*x.shape[:dim], m, *x.shape[dim + 1 :])


class Permutation(Stage):
    """y[..., o] = x[..., index[o]]: a gather by a permutation of range(n) (its gradient the gather by the inverse)."""

    name = "Permutation"

    def __init__(self, index: torch.Tensor):
        index = torch.as_tensor(index, dtype=torch.long)
        n = index.numel()
        if index.ndim != 1 or not torch.equal(torch.sort(index).values, torch.arange(n, device=index.device)):
            raise MonarchError(f"Permutation needs a 1-D permutation of range({n}), got {index.tolist()[:8]}...")
        self.index, self.inverse = index, torch.argsort(index)
        self.n_in = self.n_out = n

    @property
    def dtype(self) -> torch.dtype:
        return torch.get_default_dtype()

    @property
    def device(self) -> torch.device:
        return self.index.device

    def _apply(self, x):
        return _Gather.apply(x, self.index.to(x.device), self.inverse.to(x.device), self.n_in)

    def _with(self, index: torch.Tensor, inverse: torch.Tensor) -> "Permutation":
        return _rebuilt(Permutation, index=index, inverse=inverse, n_in=self.n_in, n_out=self.n_out)

    def adjoint(self) -> "Permutation":
        return self._with(self.inverse, self.index)

    transpose = adjoint

    def to(self, dtype=None, device=None) -> "Permutation":
        return self._with(self.index.to(device=device), self.inverse.to(device=device))

    def _tokens(self):
        return ("P",), ("permute",)

    def then(self, other: "Permutation") -> "Permutation":
        """The permutation that applies self, then other."""
        if other.n_in != self.n_out:
            raise MonarchError(f"cannot compose a permutation of {self.n_out} with one of {other.n_in}")
        index, inverse = other.index.to(self.index.device), other.inverse.to(self.index.device)
        return self._with(self.index[index], inverse[self.inverse])


class Selection(Stage):
    """y[..., o] = x[..., index[o]] for o < len(index): keeps some entries (n_in -> len(index)).

    With ``adjoint=True`` it is the transpose: zeros of length n_in with x written at ``index``.
    """

    name = "Selection"

    def __init__(self, index: torch.Tensor, n_in: int, adjoint: bool = False):
        index = torch.as_tensor(index, dtype=torch.long)
        if index.ndim != 1 or index.numel() == 0 or int(index.min()) < 0 or int(index.max()) >= n_in:
            raise MonarchError(f"Selection needs 1-D indices in [0, {n_in}), got {index.tolist()[:8]}")
        if torch.unique(index).numel() != index.numel():
            raise MonarchError("Selection indices must be distinct")
        self.index, self.size, self.adjoint_flag = index, n_in, adjoint
        self.n_in, self.n_out = (index.numel(), n_in) if adjoint else (n_in, index.numel())

    @property
    def dtype(self) -> torch.dtype:
        return torch.get_default_dtype()

    @property
    def device(self) -> torch.device:
        return self.index.device

    def _apply(self, x):
        index = self.index.to(x.device)
        if not self.adjoint_flag:
            return _Gather.apply(x, index, None, self.size)
        return x.new_zeros(*x.shape[:-1], self.size).index_copy(-1, index, x)

    def _with(self, index: torch.Tensor, adjoint: bool) -> "Selection":
        n_in, n_out = (self.n_in, self.n_out) if adjoint == self.adjoint_flag else (self.n_out, self.n_in)
        return _rebuilt(Selection, index=index, size=self.size, adjoint_flag=adjoint, n_in=n_in, n_out=n_out)

    def adjoint(self) -> "Selection":
        return self._with(self.index, not self.adjoint_flag)

    transpose = adjoint

    def to(self, dtype=None, device=None) -> "Selection":
        return self._with(self.index.to(device=device), self.adjoint_flag)

    def _tokens(self):
        return (), ("select",)


class Diagonal(Stage):
    """y = d * x elementwise along the last dim; d: (n,), real or complex."""

    name = "Diagonal"

    def __init__(self, d: torch.Tensor):
        if not isinstance(d, torch.Tensor) or d.ndim != 1:
            raise MonarchError(f"Diagonal needs a 1-D tensor, got {getattr(d, 'shape', type(d).__name__)}")
        self.d = d
        self.n_in = self.n_out = d.numel()

    @property
    def dtype(self):
        return self.d.dtype

    @property
    def device(self):
        return self.d.device

    def _apply(self, x):
        dtype = promote(x, self.dtype, self.device, self.name)
        return x.to(dtype) * self.d.to(dtype)

    def adjoint(self) -> "Diagonal":
        return Diagonal(self.d.conj())

    def transpose(self) -> "Diagonal":
        return self

    def to(self, dtype=None, device=None) -> "Diagonal":
        target = like_precision(self.dtype, dtype) if dtype is not None else self.dtype
        return Diagonal(self.d.to(dtype=target, device=device))

    def _tokens(self):
        return (), ("diagonal",)


class RealPart(Stage):
    """The real matrix Re(A) of a complex stage A, as a complex-linear map.

    Real x gives Re(A x); complex x gives Re(A x_re) + i Re(A x_im). This is how real transforms
    (DCT, DST) run through a complex DFT chain. Re(A)^H = Re(A)^T = Re(A^T).
    """

    name = "RealPart"

    def __init__(self, inner: Stage):
        self.inner = inner
        self.n_in, self.n_out = inner.n_in, inner.n_out

    @property
    def dtype(self):
        return like_precision(torch.float32, self.inner.dtype)

    @property
    def device(self):
        return self.inner.device

    def _apply(self, x):
        if x.dtype.is_complex:
            parts = self.inner._apply(torch.stack([x.real, x.imag])).real
            return torch.complex(parts[0], parts[1])
        return self.inner._apply(x).real

    def adjoint(self) -> "RealPart":
        return RealPart(self.inner.transpose())

    transpose = adjoint

    def to(self, dtype=None, device=None) -> "RealPart":
        return RealPart(self.inner.to(dtype, device))

    def _tokens(self):
        tokens, fixed = self.inner._tokens()
        return tokens, fixed + ("real-part",)


class Dense(Stage):
    """A dense (n_out, n_in) matrix: the honest fallback where no Monarch structure applies."""

    name = "Dense"

    def __init__(self, A: torch.Tensor):
        if not isinstance(A, torch.Tensor) or A.ndim != 2:
            raise MonarchError(f"Dense needs a 2-D matrix, got {getattr(A, 'shape', type(A).__name__)}")
        self.A = A
        self.n_out, self.n_in = A.shape

    @property
    def dtype(self):
        return self.A.dtype

    @property
    def device(self):
        return self.A.device

    def _apply(self, x):
        return self._apply_along(x, -1)

    def _apply_along(self, x, dim):
        dtype = promote(x, self.dtype, self.device, self.name)
        return dense_along(self.A, x.to(dtype), dim)

    def adjoint(self) -> "Dense":
        return Dense(self.A.conj().transpose(0, 1))

    def transpose(self) -> "Dense":
        return Dense(self.A.transpose(0, 1))

    def to(self, dtype=None, device=None) -> "Dense":
        target = like_precision(self.dtype, dtype) if dtype is not None else self.dtype
        return Dense(self.A.to(dtype=target, device=device))

    def _tokens(self):
        return (), ("dense",)

    def scale_input(self, d) -> "Dense":
        """A · diag(d)."""
        return Dense(self.A * d)

    def scale_output(self, d) -> "Dense":
        """diag(d) · A."""
        return Dense(self.A * (d[:, None] if isinstance(d, torch.Tensor) and d.ndim else d))

    def permute_outputs(self, perm: torch.Tensor) -> "Dense":
        """P · A with (P y)[o] = y[perm[o]]."""
        return Dense(self.A[perm])
