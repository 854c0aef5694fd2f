"""Fused GPU kernels (Triton) for one Monarch factor, behind ``monarch_apply(impl="auto")``.

Both block-diagonal multiplies and both permutations of M = P_out L P_mid R run in Triton kernels
whose loads and stores follow the permutations, so no permuted copy is ever made: the R stage writes
its output feature-major (batch contiguous), the L stage is one 2-D tensor-core dot per block on that
layout, and a tile transpose returns the batch-major result (three launches; small 2-byte factors with
16- or 32-wide blocks run the forward in one persistent launch, both stages as 3-D dots, and 2-byte
factors of 32 blocks of 32 on sm_90 and newer in a CUDA kernel that keeps the middle permutation in
registers, ``_forward_b32``; for 2-byte L of 64 blocks of 64 from 1024 rows one CUDA kernel does the L
stage and writes z batch-major, ``_l_stage_b64``). The backward recomputes the intermediate instead of
storing it: a transpose of the output gradient and the two transposed stages, which from 1024 rows also
add up the weight gradients (else two batched matmuls do).

Supported (``fused_supported``): CUDA tensors of float32 (TF32 when
``torch.backends.cuda.matmul.allow_tf32`` is set, else 3xTF32, which matches float32 to ~1e-6),
bfloat16, float16 or complex64 (computed as real arithmetic on (re, im) pairs with 2x2 real blocks),
all three of one dtype; any block shapes R (k, q, p), L (l, s, r) with k*q == l*r (rectangular and
non-power-of-two included) whose real block widths E*p, E*q, E*r, E*s are at most 256 (E = 2 for
complex); Triton importable and a GPU of compute capability 8.0 or newer. Real factors with blocks
256 wide or wider (MonarchLinear's default of 4 blocks, say) where l divides q run their forward M x
as cuBLAS GEMMs with the permutations as Triton copies (``_wide``; float32 then follows torch's TF32
setting as torch.bmm does); wider than 256 only that way. ``monarch_apply(impl="auto")``
takes the kernels where they are also faster than the torch bmm path on the measurements
(``fused_preferred``, launch overhead included), and wherever they run inside
``dispatch_for_cuda_graphs()`` (work recorded in a CUDA graph: device time alone); everything else runs
the bmm path, which stays the reference together with the einsum path.

>>> import torch, monarch_sci as ms
>>> M = ms.Monarch.random(4096, 4096, dtype=torch.bfloat16, device="cuda")  # doctest: +SKIP
>>> M(torch.randn(8192, 4096, dtype=torch.bfloat16, device="cuda")).shape   # doctest: +SKIP
torch.Size([8192, 4096])
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.util

import torch

from ._device import capability, index_of

SUPPORTED_DTYPES = (torch.float32, torch.bfloat16, torch.float16, torch.complex64)
MAX_BLOCK_WIDTH = 256
WIDE_FROM = 256  # blocks this wide take the cuBLAS path where it applies (results/kernels_notes.md)
WIDE_MIN_BATCH = 8192  # measured faster than the bmm path eagerly too from here (results/bench_h200_wide_bf16*.json)
_FOR_GRAPHS = contextvars.ContextVar("monarch_sci_dispatch_for_cuda_graphs", default=False)


@contextlib.contextmanager
def dispatch_for_cuda_graphs():
    """Within it ``use_fused`` chooses by device time alone (``fused_preferred_in_graphs``): work recorded in a
    CUDA graph pays no launch overhead on replay. ``train.graphed.capture`` enters it for its warm-up runs, which
    compile the kernels, and for the capture; do the same around your own warm-up and ``torch.cuda.graph``."""
    token = _FOR_GRAPHS.set(True)
    try:
        yield
    finally:
        _FOR_GRAPHS.reset(token)


@functools.lru_cache(maxsize=None)
def triton_available() -> bool:
    """Whether Triton can be imported (it is never imported here)."""
    return importlib.util.find_spec("triton") is not None


def fused_supported(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor, adjoint: bool = False) -> bool:
    """Whether ``fused_apply(x, R, L, adjoint)`` runs the GPU kernels (see the module docstring)."""
    if not (x.is_cuda and R.is_cuda and L.is_cuda) or x.numel() == 0:
        return False
    if x.dtype not in SUPPORTED_DTYPES or not (x.dtype == R.dtype == L.dtype):
        return False
    E = 2 if x.dtype.is_complex else 1
    if E * max(*R.shape[1:], *L.shape[1:]) > MAX_BLOCK_WIDTH and not wide_blocks(x, R, L, adjoint):
        return False
    return triton_available() and capability(index_of(x)) >= (8, 0)


def wide_blocks(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor, adjoint: bool = False) -> bool:
    """Whether y = M x runs as cuBLAS GEMMs with the permutations as Triton copies (``_wide``): real data, the
    forward, some block at least ``WIDE_FROM`` wide, and l dividing q."""
    return (not x.dtype.is_complex and not adjoint and max(*R.shape[1:], *L.shape[1:]) >= WIDE_FROM
            and R.shape[1] % L.shape[0] == 0)


EAGER_MIN_BYTES = 32 << 20  # batch * max(n_in, n_out) * itemsize from which eager calls take the kernels
EAGER_MIN_BYTES_COMPLEX = 128 << 20  # the same for complex64


def fused_preferred(nbytes: int, complex_data: bool, needs_grad: bool, one_launch: bool = False) -> bool:
    """Whether the fused kernels beat the torch bmm path in eager calls (launch overhead included), as measured
    on an H200 (results/eager_dispatch/: bf16, float32, complex64, n = 256 to 4096, 1024 to 65536 rows): from
    ``EAGER_MIN_BYTES`` of data, nbytes = batch * max(n_in, n_out) * itemsize (complex64: ``EAGER_MIN_BYTES_COMPLEX``).
    From Python the kernels cost about 100-200 us a forward and 700-900 us a forward + backward (complex64 about
    twice) whatever the size; the bmm path's device time grows with the data and passes that around 32 MiB (bf16
    n = 4096, forward + backward: 540 against 782 us at 8 MiB, 1075 against 728 at 32 MiB; n = 1024 at 128 MiB:
    7376 against 650), for complex64 between 40 and 128 MiB. ``one_launch`` (the forward runs as one kernel):
    inference always, at any batch (results/bench_h200_small_n.json: n = 256, 5.6 / 44 us device / host at
    batch 64 against the bmm path's 13 / 52 us). ``needs_grad`` only matters with ``one_launch``."""
    if one_launch and not needs_grad:
        return True
    return nbytes >= (EAGER_MIN_BYTES_COMPLEX if complex_data else EAGER_MIN_BYTES)


def fused_preferred_in_graphs(batch: int, complex_data: bool, needs_grad: bool) -> bool:
    """Whether the kernels take less device time than the bmm path, launch overhead aside (as in CUDA-graph
    replays), measured on an H200 (results/graph_dispatch/): real data always (float32, TF32, bfloat16, n = 64
    to 4096, wide blocks too, every batch from 64, forward, adjoint and forward + backward); complex64, whose
    weights' real form costs a few small kernels a call, from 1024 rows with gradients and from 8192 without
    (its forward lost at 64 and 1024 rows for n = 64 to 1024, and won at 8192 rows for n = 4096 and 19 200 for
    n = 320)."""
    return not complex_data or (batch >= 1024 and (needs_grad or batch >= 8192))


def use_fused(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor, adjoint: bool = False) -> bool:
    """``monarch_apply(impl="auto")``'s choice for y = M x (or M^H x): the kernels run (``fused_supported``)
    and pay off (``fused_preferred``, or inside ``dispatch_for_cuda_graphs()`` ``fused_preferred_in_graphs``)."""
    if not fused_supported(x, R, L, adjoint):
        return False
    batch = x.numel() // x.shape[-1]
    needs_grad = torch.is_grad_enabled() and (x.requires_grad or R.requires_grad or L.requires_grad)
    if _FOR_GRAPHS.get():
        return fused_preferred_in_graphs(batch, x.dtype.is_complex, needs_grad)
    if wide_blocks(x, R, L, adjoint):  # the bmm path's GEMMs with faster copies, but more launches
        return batch >= WIDE_MIN_BATCH
    k, _, p = R.shape
    l, s, _ = L.shape
    single = False  # the forward runs as one kernel
    if not (needs_grad or adjoint):
        from .fused import _bucket, one_launch  # Triton is importable (fused_supported)

        E = 2 if x.dtype.is_complex else 1
        single = one_launch((*R.shape, *L.shape, E), x.element_size(), _bucket(batch)) is not None
    return fused_preferred(batch * max(k * p, s * l) * x.element_size(), x.dtype.is_complex, needs_grad, single)


def fused_apply(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor, adjoint: bool = False,
                config: dict | None = None) -> torch.Tensor:
    """y = M x (or M^H x with ``adjoint``) along the last dim of x, through the Triton kernels.

    x (..., k*p) -> (..., s*l) (adjoint: (..., s*l) -> (..., k*p)); R (k, q, p), L (l, s, r) of
    x's dtype. Differentiable in x, R and L. ``config`` overrides the tile sizes (see
    ``fused.make_config``; for benchmarks and tuning). Call only where ``fused_supported`` holds.
    """
    from .fused import fused_apply as apply  # imports Triton

    return apply(x, R, L, adjoint=adjoint, config=config)


__all__ = [
    "EAGER_MIN_BYTES", "EAGER_MIN_BYTES_COMPLEX", "MAX_BLOCK_WIDTH", "SUPPORTED_DTYPES", "WIDE_FROM", "WIDE_MIN_BATCH",
    "dispatch_for_cuda_graphs", "fused_apply", "fused_preferred", "fused_preferred_in_graphs", "fused_supported",
    "triton_available", "use_fused", "wide_blocks",
]
