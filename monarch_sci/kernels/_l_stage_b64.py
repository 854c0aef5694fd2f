"""The L stage of the three-kernel forward for bfloat16 or float16 L of 64 blocks of 64 (n = 4096), writing z
batch-major itself (``l_stage_b64.cu``, compiled by NVRTC at first use on each device and data type): one pass
over U and z where the Triton L-stage kernel and the tile transpose after it take two. On an H200 it takes 51.3 us
at batch 8192 where those two take 72.3 us, so the forward takes 90 instead of 110 us
(results/kernels_l_stage_h200.json). Like a Triton kernel's, the first call compiles: make it before capturing a
CUDA graph.
"""

from __future__ import annotations

import ctypes
import functools

import torch

from . import _nvrtc
from ._device import capability, has_room, index_of, sm_count

NB, G, BB, THREADS, RING = 64, 16, 32, 256, 16  # blocks; blocks a CTA, columns a tile; cp.async ring of U blocks
SHARED_BYTES = G * NB * NB * 2 + RING * NB * BB * 2  # SMEM_BYTES of l_stage_b64.cu: 16 blocks of L, the ring


def applies(u: torch.Tensor, L: torch.Tensor) -> bool:
    """Whether ``l_stage`` computes z from U here: CUDA bfloat16 or float16 U (4096, B) with B a multiple of 8,
    L (64, 64, 64) of U's dtype, both contiguous and 16-byte aligned; compute capability 8.0 or newer with the
    kernel's 192 KiB of shared memory in one block, NVRTC and the driver loadable."""
    if not (u.is_cuda and u.dtype == L.dtype in (torch.bfloat16, torch.float16) and u.dim() == 2
            and u.shape[0] == NB * NB and u.shape[1] % 8 == 0 and L.shape == (NB, NB, NB)):
        return False
    if not (u.is_contiguous() and L.is_contiguous()) or u.data_ptr() % 16 or L.data_ptr() % 16:
        return False
    return _runs(index_of(u)) and _nvrtc.available()


@functools.lru_cache(maxsize=None)
def _runs(device_index: int) -> bool:
    return capability(device_index) >= (8, 0) and has_room(device_index, SHARED_BYTES)


def l_stage(u: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """z (B, 4096), z[b, s*64 + l] = sum_r L[l, s, r] u[l*64 + r, b], for the R stage's feature-major output u
    (4096, B); call only where ``applies`` holds. On the current stream."""
    index, B = index_of(u), u.shape[1]
    z = torch.empty(B, NB * NB, dtype=u.dtype, device=u.device)
    if B == 0:
        return z
    with torch.cuda.device(index):
        kernel = _nvrtc.package_kernel("l_stage_b64.cu", "monarch_l_stage_b64", index, u.dtype, SHARED_BYTES)
        grid = NB // G * min(-(-B // BB), max(1, sm_count(index) // (NB // G)))  # persistent: one CTA an SM
        kernel.launch(grid, THREADS, torch.cuda.current_stream(index).cuda_stream,
                      *(ctypes.c_void_p(t.data_ptr()) for t in (u, L, z)), ctypes.c_int(B))
    return z
