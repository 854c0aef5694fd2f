"""Exact Monarch constructions of classical transforms (Proposition 3.2 of Dao et al. 2022).

Each function returns a :class:`~monarch_sci.monarch.Chain`: call it along any dim
(``T(x, dim=-1)``, or ``dim=(-2, -1)`` for separable 2-D application), ``T.to_dense()``,
``T.H``, and ``T.structure`` for the Monarch class, factors and fixed stages it uses.
"""

from .convolution import circulant, toeplitz
from .dct import dct, dst
from .dft import dft, dft_modes
from .hadamard import hadamard
from .random_features import acdc, afdf, fastfood, hd3

# Proposition 3.2: the class each construction belongs to.
PROPOSITION_3_2 = {
    "dft": "(MM*)^2",
    "dct": "(MM*)^2",
    "dst": "(MM*)^2",
    "hadamard": "MM*",
    "circulant": "MM*",
    "toeplitz": "MM*",
    "afdf": "MM*",
    "fastfood": "(MM*)^2",
    "acdc": "(MM*)^2",
    "hd3": "(MM*)^2",
}

__all__ = [
    "PROPOSITION_3_2",
    "acdc",
    "afdf",
    "circulant",
    "dct",
    "dft",
    "dft_modes",
    "dst",
    "fastfood",
    "hadamard",
    "hd3",
    "toeplitz",
]
