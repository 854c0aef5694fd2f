"""The thread-block-cluster Monarch forward (cluster_forward.cu) on the GPU machine: correctness against a
float32 reference, time against the package's Triton kernels and a dense GEMM, and where its time goes.
n = 4096 (64 blocks of 64), bf16, batch 8192; run from the repository root:

    PYTHONPATH=$PWD python results/kernels_cluster/experiment.py wgmma  # -> kernels_cluster_wgmma_h200.json
    PYTHONPATH=$PWD python results/kernels_cluster/experiment.py mma    # -> kernels_cluster_mma_h200.json
    PYTHONPATH=$PWD python results/kernels_cluster/experiment.py pipelined  # -> kernels_cluster_pipelined_h200.json

"mma" and "wgmma" differ only in how the products run (cluster_forward.cu, -DWGMMA): mma.sync with
ldmatrix fragments (8 warps of 16 x 32 tiles), or wgmma from shared memory (two warpgroups of 64 x 64 /
64 x 32 tiles); "pipelined" is the wgmma kernel software-pipelined over tiles (one cluster barrier a tile,
the products of one tile issued before the pushes and stores of its neighbours). ``all_to_all`` measures
the distributed-shared-memory bandwidth on its own. ncu_wgmma_h200.json summarises an Nsight Compute
profile of the wgmma kernel (stall samples by instruction).

The breakdown times variants of the kernel made by editing its source (``EDITS``): each removes or
replaces one part, and the difference to the full kernel is that part's exposed cost. Times are medians
of CUDA-graph replays after an L2 flush (``bench.suite._Timer``). The JSON goes to $OUT when set (the
device tool's folder), else beside this file.
"""

import ctypes
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

from monarch_sci.bench.suite import _Timer
from monarch_sci.kernels import _nvrtc as nvrtc
from monarch_sci.kernels import fused_apply


SOURCE = Path(__file__).parent / "cluster_forward.cu"
NB, CLUSTER, ROWS, THREADS = 64, 16, 64, 256
DEV = torch.device("cuda")

PUSH1 = ("st_cluster(remote(GS + swz((q % KL) * NB + k, (bb >> 3) + t), q / KL)",
         "st_cluster(remote(GS + swz(((q + 8u) % KL) * NB + k, (bb >> 3) + t), (q + 8u) / KL)")
PUSH2 = "remote(OS + rank * slab + (b0 + g) * 32u + 16u * odd, (s0 + 8u * j) / KL + (t >> 1))"
STORE = 'asm volatile("st.shared::cluster.v4.b32'
EDITS = {  # name: (what it does, [(old, new), ...])
    "local_push1": ("R-stage pushes go to the CTA's own shared memory",
                    [(PUSH1[0], "st_cluster((GS + swz((q % KL) * NB + k, (bb >> 3) + t))"),
                     (PUSH1[1], "st_cluster((GS + swz(((q + 8u) % KL) * NB + k, (bb >> 3) + t))")]),
    "local_push2": ("L-stage pushes go to the CTA's own shared memory",
                    [(PUSH2, "(OS + rank * slab + (b0 + g) * 32u + 16u * odd)")]),
    "no_push": ("no pushes (stores guarded by a condition that never holds, so the products stay)",
                [(STORE, "if (addr == 0xffffffffu) " + STORE)]),
    "no_barrier": ("the cluster barriers of the loop become CTA barriers (one cluster barrier at the end)",
                   [("    cluster_sync();\n", "    __syncthreads();\n"),
                    ("    write_out(smem + (OS - RS), O_SLAB, z, tile, nrows, rank);\n  }\n}",
                     "    write_out(smem + (OS - RS), O_SLAB, z, tile, nrows, rank);\n  }\n  cluster_sync();\n}"),
                    ("  write_out(smem + (xbuf(n - 1) - RS)", "  cluster_sync();\n  write_out(smem + (xbuf(n - 1) - RS)")]),
    "no_store": ("no z write-out", [("i < BM * KL * (C / 2); i += THREADS", "i < 0; i += THREADS")]),
    "no_load": ("no x loads", [("cp_async16(X + swz(kl * BM + b, ch), src, ok ? 16u : 0u);", "")]),
    "relaxed_arrive": ("cluster barriers arrive relaxed instead of release (no MEMBAR.ALL.GPU; results may be wrong)",
                       [("barrier.cluster.arrive.release.aligned", "barrier.cluster.arrive.relaxed.aligned")]),
    "no_cluster_fence": ("no proxy fence after the pushes (wgmma only; results may be wrong)",
                         [('asm volatile("fence.proxy.async.shared::cluster;\\n" ::: "memory");', "")]),
}
VARIANTS = {
    "full": [], "local_push1": ["local_push1"], "local_push2": ["local_push2"],
    "local_pushes": ["local_push1", "local_push2"], "no_push": ["no_push"], "no_barrier": ["no_barrier"],
    "no_store": ["no_store"], "no_load": ["no_load"], "no_push_no_store": ["no_push", "no_store"],
    "products_and_barriers": ["no_push", "no_store", "no_load"],
    "products_only": ["no_push", "no_store", "no_load", "no_barrier"],
    "no_cluster_fence": ["no_cluster_fence"],
    "relaxed_arrive": ["relaxed_arrive"],
    "relaxed_arrive_no_cluster_fence": ["relaxed_arrive", "no_cluster_fence"],
}


def shared_bytes(kind: str) -> int:
    """SMEM_BYTES (P_SMEM_BYTES for the pipelined kernel) of cluster_forward.cu."""
    kl = NB // CLUSTER
    w, xb, gb = kl * NB * NB * 2, kl * ROWS * NB * 2, kl * NB * ROWS * 2
    if kind == "pipelined":
        return 2 * w + 2 * gb + 3 * xb
    return 2 * w + 2 * xb + gb + CLUSTER * (ROWS * kl * kl * 2 + 32)


def build(kind: str, edits=()) -> nvrtc.Kernel | None:
    """The kernel of this kind with ``edits`` applied; None where an edit does not apply (or matter) to it."""
    src = SOURCE.read_text()
    for name in edits:
        if name == "no_cluster_fence" and kind == "mma":
            return None
        before = src
        for old, new in EDITS[name][1]:
            src = src.replace(old, new)
        assert src != before, name
    major, minor = torch.cuda.get_device_capability()
    wgmma = kind != "mma"
    options = (f"-DNB={NB}", f"-DC={CLUSTER}", f"-DBM={ROWS}") + (("-DWGMMA",) if wgmma else ())
    arch = f"sm_{major}{minor}" + ("a" if wgmma else "")  # wgmma needs the arch-specific target
    cubin = nvrtc.compile_cuda(src, SOURCE.name, arch, options)
    name = "monarch_cluster_forward" + ("_pipelined" if kind == "pipelined" else "")
    return nvrtc.Kernel(cubin, name, shared_bytes(kind), non_portable_cluster=True)


def launcher(kernel: nvrtc.Kernel):
    clusters = kernel.max_active_clusters(CLUSTER, THREADS)

    def forward(x, R, L):
        z = torch.empty_like(x)
        grid = min(clusters, -(-x.shape[0] // ROWS)) * CLUSTER
        kernel.launch(grid, THREADS, torch.cuda.current_stream().cuda_stream, *(ctypes.c_void_p(t.data_ptr()) for t in (x, R, L, z)),
                      ctypes.c_int(x.shape[0]))
        return z
    return forward, clusters


ALL_TO_ALL = r"""
// Every CTA of a 16-CTA cluster stores 64 KiB a round, 4 KiB to each CTA of the cluster (with `remote` 0, all
// to itself), in 16-byte stores; a cluster barrier after each round when `sync` is set.
extern "C" __global__ void __cluster_dims__(16, 1, 1) __launch_bounds__(256, 1) all_to_all(int rounds, int sync, int remote) {
  extern __shared__ __align__(128) unsigned char smem[];
  unsigned rank, base = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
  for (int r = 0; r < rounds; ++r) {
    for (unsigned d = 0; d < 16; ++d) {
      const unsigned dest = remote ? (rank + d) & 15u : rank, local = base + rank * 4096u + threadIdx.x * 16u;
      unsigned addr;
      asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(addr) : "r"(local), "r"(dest));
      asm volatile("st.shared::cluster.v4.b32 [%0], {%1, %1, %1, %1};" ::"r"(addr), "r"(r) : "memory");
    }
    if (sync) asm volatile("barrier.cluster.arrive.release.aligned; barrier.cluster.wait.acquire.aligned;" ::: "memory");
  }
  asm volatile("barrier.cluster.arrive.release.aligned; barrier.cluster.wait.acquire.aligned;" ::: "memory");
}
"""


def all_to_all(timer: _Timer, clusters: int, rounds: int = 64) -> dict:
    """Distributed-shared-memory store bandwidth of `clusters` resident 16-CTA clusters, bytes a second."""
    major, minor = torch.cuda.get_device_capability()
    k = nvrtc.Kernel(nvrtc.compile_cuda(ALL_TO_ALL, "all_to_all.cu", f"sm_{major}{minor}"), "all_to_all", 65536,
                     non_portable_cluster=True)
    out = {}
    for sync in (0, 1):
        for remote in (1, 0):
            us = timer(lambda: k.launch(clusters * 16, 256, torch.cuda.current_stream().cuda_stream, ctypes.c_int(rounds),
                                        ctypes.c_int(sync), ctypes.c_int(remote)))[0]
            name = ("remote" if remote else "own_cta") + ("_barrier_each_round" if sync else "")
            out[name] = {"us": us, "TB_per_s": clusters * 16 * 65536 * rounds / (us * 1e-6) / 1e12}
    return out


def rel_error(z: torch.Tensor, ref: torch.Tensor) -> float:
    return ((z.float() - ref).norm() / ref.norm()).item()


def reference(x, R, L):
    """z[b, s*64 + l] = sum_k L[l, s, k] bf16(sum_p R[k, l, p] x[b, k*64 + p]) in float32."""
    B = x.shape[0]
    u = torch.einsum("bkp,kqp->bkq", x.float().view(B, NB, NB), R.float()).bfloat16().float()
    return torch.einsum("bkl,lsk->bsl", u, L.float()).reshape(B, NB * NB)


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "wgmma"
    torch.manual_seed(0)
    R = (torch.randn(NB, NB, NB, device=DEV) / NB ** 0.5).bfloat16()
    L = (torch.randn(NB, NB, NB, device=DEV) / NB ** 0.5).bfloat16()
    kernel = build(kind)
    forward, clusters = launcher(kernel)
    out = {"meta": {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "command": f"PYTHONPATH=$PWD python results/kernels_cluster/experiment.py {kind}", "products": kind,
                    "shape": "n = 4096 (64 blocks of 64), bf16", "cluster_ctas": CLUSTER, "rows_per_tile": ROWS,
                    "threads": THREADS, "registers": kernel.attribute(nvrtc.ATTR_NUM_REGS),
                    "local_bytes": kernel.attribute(nvrtc.ATTR_LOCAL_SIZE_BYTES), "shared_bytes": shared_bytes(kind),
                    "resident_clusters": clusters}}
    out["rel_error"] = {}
    for B in (8192, 1000, 64, 1):
        x = torch.randn(B, NB * NB, device=DEV).bfloat16()
        zr = reference(x, R, L)
        out["rel_error"][str(B)] = {"cluster": rel_error(forward(x, R, L), zr), "triton": rel_error(fused_apply(x, R, L), zr)}
    timer = _Timer(DEV, warmup_ms=50, repeat=50)
    out["us"] = {}
    W = torch.randn(NB * NB, NB * NB, device=DEV).bfloat16()
    for B in (8192, 64):
        x = torch.randn(B, NB * NB, device=DEV).bfloat16()
        out["us"][str(B)] = {"cluster": timer(lambda: forward(x, R, L))[0], "triton": timer(lambda: fused_apply(x, R, L))[0],
                             "dense": timer(lambda: x @ W)[0]}
    out["all_to_all"] = all_to_all(timer, clusters)
    print(out["all_to_all"], flush=True)
    x = torch.randn(8192, NB * NB, device=DEV).bfloat16()
    zr = reference(x, R, L)
    out["breakdown_us"] = {}
    for name, edits in VARIANTS.items():
        variant = build(kind, edits)
        if variant is None:
            continue
        f, _ = launcher(variant)
        err = rel_error(f(x, R, L), zr)
        out["breakdown_us"][name] = {"us": timer(lambda: f(x, R, L))[0], "rel_error": err, "edits": [EDITS[e][0] for e in edits]}
        print(name, round(out["breakdown_us"][name]["us"], 1), f"{err:.2e}", flush=True)
    path = Path(os.environ.get("OUT", Path(__file__).parent)) / f"kernels_cluster_{kind}_h200.json"
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "breakdown_us"}, indent=1))


if __name__ == "__main__":
    main()
