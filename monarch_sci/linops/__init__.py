"""Linear operators with shapes and adjoints: FFT, Monarch, Multiply, Mask, and their algebra.

Operators act on tensors (..., *ishape) with any leading batch dims, compose with ``@``, add,
scale, and have structural adjoints ``.H``; every one passes ``adjoint_test()``. The SENSE
forward model y = M F S x is ``Mask(m, (C, H, W)) @ FFT((C, H, W), (-2, -1), centered=True)
@ Multiply(maps, (H, W))``, with F replaceable by ``MonarchOp(transform, (C, H, W), (-2, -1))``.
``Frozen(A)`` applies an operator without trainable tensors as one autograd node whose backward is Aᴴ.
"""

from .algebra import Composition, Scaled, Sum
from .base import Adjoint, LinearOperator
from .fft import FFT
from .frozen import Frozen
from .identity import Identity
from .mask import Mask
from .monarch_op import MonarchOp
from .multiply import Multiply

__all__ = [
    "FFT",
    "Frozen",
    "Adjoint",
    "Composition",
    "Identity",
    "LinearOperator",
    "Mask",
    "MonarchOp",
    "Multiply",
    "Scaled",
    "Sum",
]
