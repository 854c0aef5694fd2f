"""A Monarch factor M = P_out L P_mid R in the canonical layout, and its conjugate transpose."""

from __future__ import annotations

import math

import torch

from ..errors import MonarchError
from .apply import IMPLEMENTATIONS, monarch_apply
from .shapes import block_shape
from .stage import Stage, like_precision, promote


class Monarch(Stage):
    """One Monarch factor (or its conjugate transpose) on plain tensors.

    R: (k, q, p) and L: (l, s, r) with k*q == l*r; real or complex, same dtype and device.
    ``Monarch(R, L)(x)`` maps (..., k*p) -> (..., s*l) (see ``monarch.apply`` for the layout);
    ``adjoint=True`` represents M^H, mapping (..., s*l) -> (..., k*p). Autograd flows to R and L.

    >>> M = Monarch.random(16, 16, dtype=torch.float64)
    >>> x = torch.randn(3, 16, dtype=torch.float64)
    >>> torch.allclose(M(x), x @ M.to_dense().T)
    True
    """

    name = "Monarch factor"

    def __init__(self, R: torch.Tensor, L: torch.Tensor, *, adjoint: bool = False, impl: str = "auto"):
        for label, W in (("R", R), ("L", L)):
            if not isinstance(W, torch.Tensor) or W.ndim != 3:
                shape = tuple(W.shape) if isinstance(W, torch.Tensor) else type(W).__name__
                raise MonarchError(f"Monarch factor {label} must be a 3-D tensor of blocks, got {shape}")
        if R.dtype != L.dtype:
            raise MonarchError(f"Monarch factors R and L must share a dtype, got R {R.dtype} and L {L.dtype}")
        if R.device != L.device:
            raise MonarchError(f"Monarch factors R and L must share a device, got R {R.device} and L {L.device}")
        k, q, p = R.shape
        l, s, r = L.shape
        if k * q != l * r:
            raise MonarchError(
                f"Monarch factors do not chain: R {tuple(R.shape)} gives k*q = {k * q} middle entries "
                f"but L {tuple(L.shape)} expects l*r = {l * r}"
            )
        if impl != "auto" and impl not in IMPLEMENTATIONS:
            raise MonarchError(f"unknown impl {impl!r}; choose 'auto' or one of {sorted(IMPLEMENTATIONS)}")
        self.R, self.L, self.adjoint_flag, self.impl = R, L, adjoint, impl
        forward_in, forward_out = k * p, s * l
        self.n_in, self.n_out = (forward_out, forward_in) if adjoint else (forward_in, forward_out)

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def random(
        cls,
        n_in: int,
        n_out: int | None = None,
        nblocks: int | None = None,
        dtype: torch.dtype | None = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        mid: int | None = None,
    ) -> "Monarch":
        """A random factor whose map preserves variance: E|Mx|^2 / n_out = E|x|^2 / n_in.

        Entries of R are N(0, 1/p) and of L are N(0, 1/r) (circular complex normal for complex
        dtypes). Block sizes come from :func:`block_shape` (nblocks defaults to about sqrt(n)).
        """
        n_out = n_in if n_out is None else n_out
        (k, q, p), (l, s, r) = block_shape(n_in, n_out, nblocks, mid)
        dtype = dtype or torch.get_default_dtype()
        R = torch.randn(k, q, p, dtype=dtype, generator=generator, device=device) / math.sqrt(p)
        L = torch.randn(l, s, r, dtype=dtype, generator=generator, device=device) / math.sqrt(r)
        return cls(R, L)

    @classmethod
    def from_kron(cls, A: torch.Tensor, B: torch.Tensor) -> "Monarch":
        """The Kronecker product A ⊗ B (A: (a, a'), B: (b, b')) as one factor.

        (A ⊗ B) x = vec(A X B^T) for x viewed row-major as X (a', b'): B on each row, then A
        on each column; both are block-diagonal steps of the canonical layout.
        """
        if A.ndim != 2 or B.ndim != 2:
            raise MonarchError(f"from_kron expects two matrices, got shapes {tuple(A.shape)} and {tuple(B.shape)}")
        (a, a_in), (b, b_in) = A.shape, B.shape
        R = B.expand(a_in, b, b_in)  # k = a_in blocks of B
        L = A.expand(b, a, a_in)  # l = b blocks of A
        return cls(R.contiguous(), L.contiguous())

    # --- the Stage interface --------------------------------------------------------------
    @property
    def dtype(self) -> torch.dtype:
        return self.R.dtype

    @property
    def device(self) -> torch.device:
        return self.R.device

    @property
    def numel(self) -> int:
        """Number of (real or complex) entries in R and L."""
        return self.R.numel() + self.L.numel()

    def _apply(self, x: torch.Tensor) -> torch.Tensor:
        dtype = promote(x, self.dtype, self.device, self.name)
        R, L = self.R.to(dtype), self.L.to(dtype)
        return monarch_apply(x.to(dtype), R, L, adjoint=self.adjoint_flag, impl=self.impl)

    def to_dense(self) -> torch.Tensor:
        """(n_out, n_in) matrix through the einsum reference path."""
        eye = torch.eye(self.n_in, dtype=self.dtype, device=self.device)
        forward, backward = IMPLEMENTATIONS["einsum"]
        path = backward if self.adjoint_flag else forward
        return path(eye, self.R, self.L).transpose(0, 1)

    def adjoint(self) -> "Monarch":
        return Monarch(self.R, self.L, adjoint=not self.adjoint_flag, impl=self.impl)

    def conj(self) -> "Monarch":
        """Entrywise complex conjugate (still a factor of the same orientation)."""
        return Monarch(self.R.conj(), self.L.conj(), adjoint=self.adjoint_flag, impl=self.impl)

    def transpose(self) -> "Monarch":
        return self.conj().adjoint()

    def to(self, dtype: torch.dtype | None = None, device=None) -> "Monarch":
        target = like_precision(self.dtype, dtype) if dtype is not None else self.dtype
        return Monarch(
            self.R.to(dtype=target, device=device),
            self.L.to(dtype=target, device=device),
            adjoint=self.adjoint_flag,
            impl=self.impl,
        )

    def _tokens(self):
        return (("M*",) if self.adjoint_flag else ("M",)), ()

    def __repr__(self) -> str:
        star = ".H" if self.adjoint_flag else ""
        return f"Monarch(R={tuple(self.R.shape)}, L={tuple(self.L.shape)}, dtype={self.dtype}){star}"

    # --- folding fixed stages into the blocks ---------------------------------------------
    def scale_input(self, d: torch.Tensor | float | complex) -> "Monarch":
        """The factor M · diag(d) (d: scalar or (n_in,))."""
        if self.adjoint_flag:
            return self.adjoint().scale_output(_conj(d)).adjoint()
        k, q, p = self.R.shape
        d = _as_vector(d, self.n_in, self).reshape(k, 1, p) if _is_vector(d) else d
        return Monarch(self.R * d, self.L, impl=self.impl)

    def scale_output(self, d: torch.Tensor | float | complex) -> "Monarch":
        """The factor diag(d) · M (d: scalar or (n_out,))."""
        if self.adjoint_flag:
            return self.adjoint().scale_input(_conj(d)).adjoint()
        l, s, r = self.L.shape
        d = _as_vector(d, self.n_out, self).reshape(s, l).T.unsqueeze(-1) if _is_vector(d) else d
        return Monarch(self.R, self.L * d, impl=self.impl)

    def select_rows(self, rows: torch.Tensor) -> "Monarch":
        """The factor computing only the outputs o = row * l + b for row in ``rows`` (every block b).

        Keeps rows ``rows`` of every L block: a rectangular factor with n_out = len(rows) * l whose
        output o' = j * l + b is the original output rows[j] * l + b. ``rows = arange(c // l)`` keeps
        the first c outputs.
        """
        l, s, r = self.L.shape
        rows = torch.as_tensor(rows, device=self.device)
        if self.adjoint_flag or rows.ndim != 1 or rows.numel() == 0 or not bool(((rows >= 0) & (rows < s)).all()):
            raise MonarchError(f"select_rows needs a forward factor and 1-D row indices in [0, {s}), got {rows.tolist()}")
        return Monarch(self.R, self.L[:, rows], impl=self.impl)

    def permute_outputs(self, perm: torch.Tensor) -> "Monarch":
        """The factor P·M with (P y)[o] = y[perm[o]], folded into the blocks.

        Possible when perm maps each output class {o : o mod l = c} onto one class, and (when it
        moves classes) q is a multiple of l, so block reordering in L can be matched by a row
        reordering inside R's blocks.
        """
        k, q, p = self.R.shape
        l, s, r = self.L.shape
        perm = torch.as_tensor(perm, device=self.device)
        if self.adjoint_flag or perm.shape != (self.n_out,):
            raise MonarchError(f"permute_outputs needs a forward factor and a permutation of length {self.n_out}")
        sigma = (perm % l).reshape(s, l)
        if not bool((sigma == sigma[:1]).all()):
            raise MonarchError("this output permutation mixes L blocks and cannot fold into the factor")
        sigma = sigma[0]
        moves = bool((sigma != torch.arange(l, device=self.device)).any())
        if moves and q % l:
            raise MonarchError(f"reordering L blocks needs q={q} to be a multiple of l={l}")
        rows = (perm // l).reshape(s, l).T  # (l, s): old row of L for each new (block, row)
        L_new = self.L[sigma.unsqueeze(1), rows]
        mid = torch.arange(k * q, device=self.device)
        old_mid = (mid // l) * l + sigma[mid % l]
        R_new = self.R.reshape(k * q, p)[old_mid].reshape(k, q, p)
        return Monarch(R_new, L_new, impl=self.impl)


def _is_vector(d) -> bool:
    return isinstance(d, torch.Tensor) and d.ndim > 0


def _as_vector(d: torch.Tensor, n: int, factor: Monarch) -> torch.Tensor:
    if d.shape != (n,):
        raise MonarchError(f"diagonal of shape {tuple(d.shape)} does not fit {factor!r}; expected ({n},)")
    return d.to(device=factor.device)


def _conj(d):
    return d.conj() if isinstance(d, torch.Tensor) else d.conjugate()
