"""Learnable Monarch transforms: exact classical transforms whose Monarch factors train."""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import torch
from torch import nn

from ..errors import MonarchError, check_choice
from ..monarch import Chain, Dense, Monarch, RealPart, Stage
from ..monarch.stage import like_precision
from .. import transforms as exact

STRUCTURES = {"M": 1, "MM*": 2, "(MM*)^2": 4}
INITS = ("exact", "random")

# name -> construction taking the size n and keyword options
KINDS: dict[str, Callable[..., Chain]] = {
    "dft": exact.dft,
    "idft": lambda n, **kw: exact.dft(n, inverse=True, **kw),
    "dft-modes": exact.dft_modes,
    "idft-modes": lambda n, **kw: exact.dft_modes(n, inverse=True, **kw),
    "dct": exact.dct,
    "dst": exact.dst,
    "hadamard": exact.hadamard,
    "fastfood": exact.fastfood,
    "hd3": exact.hd3,
    "afdf": exact.afdf,
    "acdc": exact.acdc,
}


def _factors(stage: Stage) -> Iterator[Monarch | Dense]:
    """Monarch factors (and dense fallback matrices) of a stage tree, in application order."""
    if isinstance(stage, (Monarch, Dense)):
        yield stage
    elif isinstance(stage, Chain):
        for s in stage.stages:
            yield from _factors(s)
    elif isinstance(stage, RealPart):
        yield from _factors(stage.inner)


def _weights(stage: Monarch | Dense) -> tuple[torch.Tensor, ...]:
    return (stage.R, stage.L) if isinstance(stage, Monarch) else (stage.A,)


def _rebuild(stage: Stage, weights: Iterator[torch.Tensor], device=None, dtype=None) -> Stage:
    """The same stage tree with each factor's weights taken from ``weights`` (in order); with
    device/dtype given, fixed stages are moved there too (otherwise they are reused as they are)."""
    if isinstance(stage, Monarch):
        return Monarch(next(weights), next(weights), adjoint=stage.adjoint_flag, impl=stage.impl)
    if isinstance(stage, Dense):
        return Dense(next(weights))
    if isinstance(stage, Chain):
        return Chain([_rebuild(s, weights, device, dtype) for s in stage.stages], cls=stage.cls, name=stage.name)
    if isinstance(stage, RealPart):
        return RealPart(_rebuild(stage.inner, weights, device, dtype))
    return stage if device is None else stage.to(dtype, device)


class LearnableChain(nn.Module):
    """An nn.Module whose parameters are the Monarch factors of a chain; fixed stages stay fixed.

    A dense fallback matrix (prime sizes) is a parameter too, so every construction can learn.

    forward(x, dim=-1) applies the chain with the current parameters along ``dim`` (an int, or a
    tuple for separable application). ``chain()`` returns the current chain (for to_dense, .H, ...).
    """

    def __init__(self, chain: Stage, learnable: bool = True):
        super().__init__()
        self.template = chain
        self.weights = nn.ParameterList(
            [nn.Parameter(w.clone(), requires_grad=learnable) for f in _factors(chain) for w in _weights(f)]
        )
        self._placed: dict = {}  # (device, dtype) -> template with its fixed stages moved there

    def chain(self) -> Stage:
        """The chain with the current parameters (fixed stages are moved to their device once)."""
        ref = self.weights[0]
        key = (ref.device, ref.dtype)
        if key not in self._placed:
            weights = iter(self.weights)
            self._placed[key] = _rebuild(self.template, weights, ref.device, like_precision(self.template.dtype, ref.dtype))
        return _rebuild(self._placed[key], iter(self.weights))

    def forward(self, x: torch.Tensor, dim: int | Sequence[int] = -1) -> torch.Tensor:
        return self.chain()(x, dim=dim)

    def to_dense(self) -> torch.Tensor:
        return self.chain().to_dense()

    @property
    def H(self) -> "LiveAdjoint":
        """The conjugate transpose, built from the live parameters at each call (gradients flow)."""
        return LiveAdjoint(self)

    @property
    def n_in(self) -> int:
        return self.template.n_in

    @property
    def n_out(self) -> int:
        return self.template.n_out


class LiveAdjoint:
    """The adjoint of a LearnableChain, evaluated from its current parameters when called."""

    def __init__(self, module: LearnableChain):
        self.module = module
        self.n_in, self.n_out = module.n_out, module.n_in

    def __call__(self, x: torch.Tensor, dim: int | Sequence[int] = -1) -> torch.Tensor:
        return self.module.chain().H(x, dim=dim)

    @property
    def H(self) -> LearnableChain:
        return self.module

    def to_dense(self) -> torch.Tensor:
        return self.module.chain().H.to_dense()


def _identity_factor(n: int, like: Monarch, adjoint: bool) -> Monarch:
    """The identity as a factor with about sqrt(n) blocks, in the dtype/device of ``like``."""
    from ..monarch.shapes import balanced_split

    n1, n2 = balanced_split(n)
    eye = torch.eye(n2, dtype=like.dtype, device=like.device)
    I = Monarch.from_kron(torch.eye(n1, dtype=like.dtype, device=like.device), eye)
    return I.adjoint() if adjoint else I


def _with_structure(chain: Chain, structure: str) -> Chain:
    """Pad the construction with identity factors up to the requested number of learnable factors.

    The extra factors alternate M*, M, M* after the construction's last factor, so the learnable
    product keeps the M M* M M* pattern of the requested class; the transform is unchanged at init.
    """
    check_choice("structure", structure, STRUCTURES)
    factors = [f for f in _factors(chain) if isinstance(f, Monarch)]
    if not factors:  # dense fallback: the dense matrix itself is learned
        return chain
    need = STRUCTURES[structure]
    if len(factors) > need:
        raise MonarchError(
            f"{chain.name} needs {len(factors)} Monarch factors, more than structure {structure!r} allows; "
            f"choose one of {[s for s, k in STRUCTURES.items() if k >= len(factors)]}"
        )
    extra, adjoint = [], not factors[-1].adjoint_flag
    for _ in range(need - len(factors)):
        extra.append(_identity_factor(chain.n_out, factors[-1], adjoint))
        adjoint = not adjoint
    return Chain([chain, *extra], name=chain.name)


class MonarchTransform(LearnableChain):
    """A learnable transform equal to the exact one at init.

    kind: one of ``KINDS`` (dft, idft, dct, dst, hadamard, fastfood, hd3, afdf, acdc); n: size;
    structure: number of learnable factors, "M" (1), "MM*" (2) or "(MM*)^2" (4) — extra factors
    start at the identity; init: "exact" or "random" (random factors of the same shapes);
    options: passed to the construction (norm=, centered=, type=, dtype=, ...).
    forward(x, dim=-1): along one dim, or a tuple of dims (the same transform on each).

    >>> T = MonarchTransform("dft", 16, norm="ortho")
    >>> x = torch.randn(4, 16)
    >>> torch.allclose(T(x), torch.fft.fft(x, norm="ortho"), atol=1e-5)
    True
    """

    def __init__(
        self,
        kind: str,
        n: int,
        structure: str = "(MM*)^2",
        learnable: bool = True,
        init: str = "exact",
        generator: torch.Generator | None = None,
        **options,
    ):
        if kind not in KINDS:
            raise MonarchError(f"unknown transform kind {kind!r}; valid kinds: {', '.join(sorted(KINDS))}")
        check_choice("init", init, INITS)
        chain = _with_structure(KINDS[kind](n, **options), structure)
        if init == "random":
            chain = _randomized(chain, generator)
        super().__init__(chain, learnable=learnable)
        self.kind, self.n, self.structure = kind, n, structure

    @property
    def num_parameters(self) -> int:
        """Entries in the learnable factors (a complex entry counts once, as in torch)."""
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, n={self.n}, structure={self.structure!r}, parameters={self.num_parameters:,}"


class MonarchTransform2d(nn.Module):
    """A separable 2-D learnable transform: one MonarchTransform per axis of an (h, w) grid.

    forward(x, dims=(-2, -1)) applies ``rows`` along dims[0] and ``cols`` along dims[1]; ``.H``
    is the live adjoint (used by ms.linops operators). Options as for MonarchTransform; with
    h == w and share=True both axes use the same parameters.

    >>> F = MonarchTransform2d("dft", (8, 12), norm="ortho", centered=True)
    >>> F(torch.randn(2, 8, 12)).shape
    torch.Size([2, 8, 12])
    """

    def __init__(self, kind: str, shape: Sequence[int], share: bool = False, **options):
        super().__init__()
        h, w = shape
        self.rows = MonarchTransform(kind, h, **options)
        self.cols = self.rows if (share and h == w) else MonarchTransform(kind, w, **options)
        self.shape = (h, w)

    def forward(self, x: torch.Tensor, dims: Sequence[int] = (-2, -1)) -> torch.Tensor:
        return self.cols(self.rows(x, dim=dims[0]), dim=dims[1])

    @property
    def H(self) -> "_Adjoint2d":
        return _Adjoint2d(self)

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class _Adjoint2d:
    """Live adjoint of a MonarchTransform2d (separable, so each axis takes its own adjoint)."""

    def __init__(self, module: MonarchTransform2d):
        self.module = module

    def __call__(self, x: torch.Tensor, dims: Sequence[int] = (-2, -1)) -> torch.Tensor:
        return self.module.cols.H(self.module.rows.H(x, dim=dims[0]), dim=dims[1])

    @property
    def H(self) -> MonarchTransform2d:
        return self.module


def _randomized(chain: Chain, generator) -> Chain:
    """The same structure with every weight redrawn N(0, 1/fan_in) (variance preserving)."""
    weights = [
        torch.randn(w.shape, dtype=w.dtype, generator=generator) / w.shape[-1] ** 0.5
        for f in _factors(chain)
        for w in _weights(f)
    ]
    return _rebuild(chain, iter(weights), chain.device, chain.dtype)
