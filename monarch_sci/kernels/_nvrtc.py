"""CUDA C++ kernels compiled at run time with NVRTC and launched through the driver API (ctypes).

NVRTC ships with PyTorch's CUDA wheels (``nvidia-cuda-nvrtc``) and the driver with the GPU, so no
compiler or toolkit needs to be installed. For kernels Triton cannot express: data moved between the
lanes of a warp (``forward_b32.cu``, ``l_stage_b64.cu``), thread-block clusters and distributed shared memory
(``results/kernels_cluster/``).
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import sys
from pathlib import Path

import torch

from ._device import capability

# CUfunction_attribute values (cuda.h)
ATTR_LOCAL_SIZE_BYTES = 3
ATTR_NUM_REGS = 4
ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
ATTR_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14


class CudaError(RuntimeError):
    """A failed NVRTC or CUDA driver call."""


@functools.lru_cache(maxsize=None)
def _nvrtc() -> ctypes.CDLL:
    """libnvrtc from the nvidia-cuda-nvrtc wheel beside torch, else the system's."""
    names = []
    for base in sys.path:
        names += sorted(glob.glob(os.path.join(base, "nvidia", "**", "libnvrtc.so*"), recursive=True), reverse=True)
    names += ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"]
    for name in names:
        if "builtins" in name or ".alt." in name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise CudaError("NVRTC (libnvrtc.so) not found: install the nvidia-cuda-nvrtc wheel that matches torch's CUDA")


@functools.lru_cache(maxsize=None)
def _driver() -> ctypes.CDLL:
    return ctypes.CDLL("libcuda.so.1")


@functools.lru_cache(maxsize=None)
def available() -> bool:
    """Whether NVRTC and the CUDA driver library load."""
    try:
        _nvrtc()
        _driver()
    except (CudaError, OSError):
        return False
    return True


def _check_nvrtc(code: int, what: str) -> None:
    if code != 0:
        lib = _nvrtc()
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
        raise CudaError(f"{what}: {lib.nvrtcGetErrorString(code).decode()}")


def _check(code: int, what: str) -> None:
    if code != 0:
        msg = ctypes.c_char_p()
        _driver().cuGetErrorString(code, ctypes.byref(msg))
        raise CudaError(f"{what}: CUDA error {code} ({(msg.value or b'?').decode()})")


def compile_cuda(source: str, name: str, arch: str, options: tuple[str, ...] = ()) -> bytes:
    """CUBIN for the real ``arch`` (e.g. "sm_90") from CUDA C++ ``source``; raises CudaError with NVRTC's log."""
    lib = _nvrtc()
    prog = ctypes.c_void_p()
    _check_nvrtc(lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None),
                 "nvrtcCreateProgram")
    try:
        opts = [f"--gpu-architecture={arch}", "-std=c++17", *options]
        code = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*[o.encode() for o in opts]))
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetProgramLog(prog, log)
        if code != 0:
            raise CudaError(f"NVRTC could not compile {name}:\n{log.value.decode(errors='replace')}")
        lib.nvrtcGetCUBINSize(prog, ctypes.byref(size))
        out = ctypes.create_string_buffer(size.value)
        _check_nvrtc(lib.nvrtcGetCUBIN(prog, out), "nvrtcGetCUBIN")
        return out.raw
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


class _LaunchConfig(ctypes.Structure):  # CUlaunchConfig
    _fields_ = [("gridDimX", ctypes.c_uint), ("gridDimY", ctypes.c_uint), ("gridDimZ", ctypes.c_uint),
                ("blockDimX", ctypes.c_uint), ("blockDimY", ctypes.c_uint), ("blockDimZ", ctypes.c_uint),
                ("sharedMemBytes", ctypes.c_uint), ("hStream", ctypes.c_void_p), ("attrs", ctypes.c_void_p),
                ("numAttrs", ctypes.c_uint)]


class Kernel:
    """One ``extern "C"`` kernel of a CUBIN, loaded into the current CUDA context."""

    def __init__(self, cubin: bytes, name: str, shared_bytes: int, non_portable_cluster: bool = False):
        drv = _driver()
        self._module, self._func = ctypes.c_void_p(), ctypes.c_void_p()
        _check(drv.cuModuleLoadData(ctypes.byref(self._module), cubin), "cuModuleLoadData")
        _check(drv.cuModuleGetFunction(ctypes.byref(self._func), self._module, name.encode()), "cuModuleGetFunction")
        _check(drv.cuFuncSetAttribute(self._func, ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES, shared_bytes),
               "cuFuncSetAttribute(max dynamic shared memory)")
        if non_portable_cluster:
            _check(drv.cuFuncSetAttribute(self._func, ATTR_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1),
                   "cuFuncSetAttribute(non-portable cluster size)")
        self.shared_bytes = shared_bytes

    def attribute(self, attr: int) -> int:
        value = ctypes.c_int()
        _check(_driver().cuFuncGetAttribute(ctypes.byref(value), attr, self._func), "cuFuncGetAttribute")
        return value.value

    def max_active_clusters(self, grid: int, block: int) -> int:
        """How many of the kernel's clusters fit on the device at once (cuOccupancyMaxActiveClusters)."""
        cfg = _LaunchConfig(grid, 1, 1, block, 1, 1, self.shared_bytes, None, None, 0)
        count = ctypes.c_int()
        _check(_driver().cuOccupancyMaxActiveClusters(ctypes.byref(count), self._func, ctypes.byref(cfg)),
               "cuOccupancyMaxActiveClusters")
        return count.value

    def launch(self, grid: int, block: int, stream: int, *args) -> None:
        """Launch on ``stream`` (a CUstream handle) with ctypes-typed ``args``."""
        params = (ctypes.c_void_p * len(args))(*[ctypes.cast(ctypes.pointer(a), ctypes.c_void_p) for a in args])
        _check(_driver().cuLaunchKernel(self._func, grid, 1, 1, block, 1, 1, self.shared_bytes,
                                        ctypes.c_void_p(stream), params, None), "cuLaunchKernel")


@functools.lru_cache(maxsize=None)
def package_kernel(source: str, name: str, device_index: int, dtype: torch.dtype, shared_bytes: int) -> Kernel:
    """Kernel ``name`` of this folder's CUDA file ``source`` (after ``common.cuh``) for 16-bit ``dtype``
    (bfloat16, or float16 through -DHALF), compiled at first use for the device's architecture and loaded there."""
    folder = Path(__file__).parent
    text = (folder / "common.cuh").read_text() + "\n" + (folder / source).read_text()
    major, minor = capability(device_index)
    cubin = compile_cuda(text, source, f"sm_{major}{minor}", ("-DHALF",) if dtype == torch.float16 else ())
    with torch.cuda.device(device_index):
        return Kernel(cubin, name, shared_bytes)
