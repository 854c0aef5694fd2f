"""The one-launch forward for square bfloat16 or float16 factors of 32 blocks of 32 (n = 1024) on GPUs of
compute capability 9.0 and newer: ``forward_b32.cu``, compiled by NVRTC at first use on each device and
data type. It keeps the middle permutation in registers and leaves the loads and stores to warps of their
own; on an H200 it takes 16.0 us at batch 8192 where the Triton one-launch kernel takes 23.2 us, and 6.5 us
at batch 64 (results/kernels_small/). Like a Triton kernel's, the first call compiles: make it before
capturing a CUDA graph.
"""

from __future__ import annotations

import ctypes
import functools

import torch

from . import _nvrtc
from ._device import capability, has_room, index_of, sm_count

NB, ROWS, THREADS, STAGES = 32, 16, 256, 3  # 4 compute warps and 4 that move the data
SHARED_BYTES = 2 * NB ** 3 * 2 + STAGES * ROWS * NB * NB * 2 + 16 + 16 * STAGES  # SMEM_BYTES of forward_b32.cu


def applies(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor) -> bool:
    """Whether ``forward`` computes y = M x here: CUDA bfloat16 or float16 x (B, 1024), R and L contiguous
    (32, 32, 32), all 16-byte aligned, a GPU that runs the kernel (``_fits``), NVRTC and the driver loadable."""
    if not (x.is_cuda and x.dtype == R.dtype == L.dtype in (torch.bfloat16, torch.float16) and x.dim() == 2
            and x.shape[1] == NB * NB and R.shape == L.shape == (NB, NB, NB)):
        return False
    if not all(t.is_contiguous() for t in (x, R, L)):
        return False
    if any(t.data_ptr() % 16 for t in (x, R, L)):
        return False
    return _fits(index_of(x)) and _nvrtc.available()


@functools.lru_cache(maxsize=None)
def _fits(device_index: int) -> bool:
    """Compute capability 9.0 or newer (bulk copies) and the kernel's 224 KiB of shared memory in one block
    (an SM's, less the 1 KiB the system keeps a block): Hopper and datacenter Blackwell."""
    return capability(device_index) >= (9, 0) and has_room(device_index, SHARED_BYTES)


def forward(x: torch.Tensor, R: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """z (B, 1024) = P_out L P_mid R x for x (B, 1024); call only where ``applies`` holds. One CTA an SM
    (at most one a 16-row tile), each running over its tiles; on the current stream."""
    index = index_of(x)
    z = torch.empty_like(x)
    grid = min(sm_count(index), -(-x.shape[0] // ROWS))
    with torch.cuda.device(index):
        kernel = _nvrtc.package_kernel("forward_b32.cu", "monarch_forward_b32", index, x.dtype, SHARED_BYTES)
        kernel.launch(grid, THREADS, torch.cuda.current_stream(index).cuda_stream,
                      *(ctypes.c_void_p(t.data_ptr()) for t in (x, R, L, z)), ctypes.c_int(x.shape[0]))
    return z
