// One-launch persistent Monarch forward z = P_out L P_mid R x for square bf16 (float16 with -DHALF) factors
// with 32 blocks of 32 (n = 1024) on sm_90 and newer, the middle permutation done in registers. Compiled at first
// use by NVRTC (_forward_b32.py), after common.cuh; measured in results/kernels_small/ (16.0 us at batch 8192 on
// an H200, Triton's one-launch kernel 23.1 us).
//
// Conventions of the Triton kernels (_triton._whole_kernel): u[b][k][q] = sum_p R[k,q,p] x[b, k*32 + p]
// (rounded to the data type), z[b, s*32 + q] = sum_k L[q,s,k] u[b][k][q]. One CTA of 8 warps per SM holds R and L in
// shared memory for the whole launch (128 KiB, two bulk copies) and runs over tiles of 16 rows in three buffers.
// Warps 4-7 move the data: they store a tile's z from its buffer and load the tile three ahead into it
// (cp.async), each handoff on the buffer's mbarriers (x landed, z staged), so the compute warps 0-3 never wait
// for a store or issue a load. Compute warp w owns the outputs q in [8w, 8w + 8) of every R block:
//  1. R stage: per block k, two mma.sync m16n8k16 whose A fragments are one 16-byte shared load a row
//     (the contraction order inside a block is permuted so that lane a's k values are x[.., 8a .. 8a+7];
//     R's fragments are then 16 contiguous bytes of its row q, so R stays in its own layout).
//  2. Middle permutation: block k's R-stage words go to slot j = 4 (k % 8) + k / 8, so that a 4 x 4 word
//     transpose within each quad (shuffles) and a 2 x 2 16-bit transpose (byte_perm) leave lane a the pairs
//     u[row][8a + 2p, +1][q] for every q: the L stage's A fragments, whose B fragments are then again 16
//     contiguous bytes of a row, L[q][s][8a .. 8a + 7]. No weight is stored permuted.
//  3. L stage: per q, 8 mma.sync; the outputs of the warp's 8 q's for one (row, s) are 16 contiguous bytes
//     of z. They go to a z tile in the tile's x buffer (free once the R stage is done), which the movers
//     store as whole rows (16-byte stores straight from the fragments fill only half of each 32-byte
//     sector: the L2 became the limit).
// The x and z tiles are swizzled in 16-byte chunks (xswz, zswz), so every shared-memory access is free of
// bank conflicts; R and L fragments are 16 bytes a lane over 512 contiguous bytes.

#define NB 32
#define N (NB * NB)
#define BM 16
#define COMPUTE 128                  // threads of the compute warps 0-3
#define MOVERS 128                   // threads of the warps 4-7 that load x and store z
#define THREADS (COMPUTE + MOVERS)
#define STAGES 3                     // tile buffers: x in, being computed, z out
#define W_BYTES (NB * NB * NB * 2)   // one factor: 64 KiB
#define X_BYTES (BM * N * 2)         // a tile of x (16-byte chunks swizzled, xswz), then of z (zswz)
#define SMEM_BYTES (2 * W_BYTES + STAGES * X_BYTES + 16 + 16 * STAGES)  // + mbarriers: R, L; x, z of each buffer
static_assert(MOVERS == N / 8, "a mover moves one 16-byte chunk of every row of a tile");
static_assert(COMPUTE == MOVERS, "the z mbarriers count compute threads, the x ones movers");

// The weights: one bulk copy each (the TMA unit), completing on an mbarrier.
__device__ __forceinline__ void bulk_load(u32 dst, const void* src, u32 bytes, u32 mbar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n"
               ::"r"(dst), "l"(src), "r"(bytes), "r"(mbar) : "memory");
}
__device__ __forceinline__ void mbar_wait(u32 mbar, u32 phase) {
  asm volatile("{\n.reg .pred p;\nwait_%=:\nmbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n@!p bra wait_%=;\n}\n"
               ::"r"(mbar), "r"(phase) : "memory");
}
// The x buffer's mbarrier completes once every mover's cp.async before this point has landed.
__device__ __forceinline__ void cp_async_arrive(u32 mbar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(mbar) : "memory");
}
__device__ __forceinline__ void named_barrier(u32 id, u32 threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// Byte offset of 16-byte chunk c of x-tile row r: rows g and g + 1, read together in the R stage, on
// different banks.
__device__ __forceinline__ u32 xswz(u32 r, u32 c) { return r * (N * 2u) + ((c ^ ((r & 1u) << 2)) << 4); }

// Byte offset of 16-byte chunk c of z-tile row r: conflict-free both for the L stage's fragment writes (lanes
// (g, a) at chunks (8 nt + 2a + e) * 4 + w of rows g, g + 8) and for the row-contiguous copy-out.
__device__ __forceinline__ u32 zswz(u32 r, u32 c) { return r * (N * 2u) + ((c ^ (((c >> 3) + 4u * r) & 7u)) << 4); }

// Transposes a quad's 4 x 4 words: lane t gets word t of lanes 0..3, in that order.
__device__ __forceinline__ void quad_transpose(u32& w0, u32& w1, u32& w2, u32& w3, u32 t) {
  u32 r = __shfl_xor_sync(0xffffffffu, (t & 1u) ? w0 : w1, 1);
  if (t & 1u) w0 = r; else w1 = r;
  r = __shfl_xor_sync(0xffffffffu, (t & 1u) ? w2 : w3, 1);
  if (t & 1u) w2 = r; else w3 = r;
  r = __shfl_xor_sync(0xffffffffu, (t & 2u) ? w0 : w2, 2);
  if (t & 2u) w0 = r; else w2 = r;
  r = __shfl_xor_sync(0xffffffffu, (t & 2u) ? w1 : w3, 2);
  if (t & 2u) w1 = r; else w3 = r;
}

extern "C" __global__ void __launch_bounds__(THREADS, 1)
monarch_forward_b32(const bf16* __restrict__ x, const bf16* __restrict__ R, const bf16* __restrict__ L,
                      bf16* __restrict__ z, int nrows) {
  if (blockDim.x != THREADS) __trap();  // fewer threads would leave the compute warps waiting for movers forever
  extern __shared__ __align__(128) unsigned char smem[];
  unsigned char* const RS = smem;
  unsigned char* const LS = smem + W_BYTES;
  unsigned char* const XS = smem + 2 * W_BYTES;
  const u32 rs = static_cast<u32>(__cvta_generic_to_shared(RS)), ls = rs + W_BYTES, xs = rs + 2 * W_BYTES;
  const u32 tid = threadIdx.x, lane = tid & 31u, w = tid >> 5, g = lane >> 2, a = lane & 3u;
  const int ntiles = (nrows + BM - 1) / BM;

  const u32 mbar_r = xs + STAGES * X_BYTES, mbar_l = mbar_r + 8;  // R and L arrived: the R stage waits only for R
  const u32 mbar_x = mbar_l + 8, mbar_z = mbar_x + 8 * STAGES;     // per buffer: its x landed, its z staged
  if (tid == 0) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\nmbarrier.init.shared::cta.b64 [%1], 1;\n" ::"r"(mbar_r), "r"(mbar_l) : "memory");
    for (int b = 0; b < STAGES; ++b)
      asm volatile("mbarrier.init.shared::cta.b64 [%0], %2;\nmbarrier.init.shared::cta.b64 [%1], %2;\n"
                   ::"r"(mbar_x + 8 * b), "r"(mbar_z + 8 * b), "n"(MOVERS) : "memory");
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %2;\nmbarrier.arrive.expect_tx.shared::cta.b64 _, [%1], %2;\n"
                 ::"r"(mbar_r), "r"(mbar_l), "n"(W_BYTES) : "memory");
    bulk_load(rs, R, W_BYTES, mbar_r);  // L, needed later, after the first x tile (mover 0)
  }
  __syncthreads();  // the mbarriers are initialised before anyone waits on them
  const int grid = static_cast<int>(gridDim.x);

  if (tid >= COMPUTE) {  // a mover: tile i + 3 grid goes into buffer i % 3 once tile i's z has left it
    const u32 m = tid - COMPUTE;
    auto load_x = [&](int tile, u32 buf) {  // mover m moves chunk m of each row; rows past nrows are zero-filled
#pragma unroll
      for (int r = 0; r < BM; ++r) {
        const int row = tile * BM + r;
        const bool ok = row < nrows;
        cp_async16(xs + buf * X_BYTES + xswz(r, m), x + static_cast<size_t>(ok ? row : 0) * N + m * 8u, ok ? 16u : 0u);
      }
      cp_async_arrive(mbar_x + 8 * buf);
    };
    // The first three tiles: the first alone, then, where there are more, the next two. Every CTA asking for
    // all three at once delays every first tile (16.4 against 15.9 us at batch 8192).
    for (int b = 0; b < STAGES; ++b) {
      const int tile = blockIdx.x + b * grid;
      if (tile < ntiles) load_x(tile, b);
      if (b == 0 && m == 0) bulk_load(ls, L, W_BYTES, mbar_l);
      if (b == 0 && tile + grid < ntiles) mbar_wait(mbar_x, 0);
    }
    u32 it = 0;
    for (int tile = blockIdx.x; tile < ntiles; tile += grid, ++it) {
      const u32 b = it % STAGES;
      mbar_wait(mbar_z + 8 * b, (it / STAGES) & 1u);
      const unsigned char* const Z = XS + b * X_BYTES;
#pragma unroll
      for (int r = 0; r < BM; ++r) {  // whole rows: 512 contiguous bytes a warp
        const int row = tile * BM + r;
        if (row < nrows)
          *reinterpret_cast<uint4*>(z + static_cast<size_t>(row) * N + m * 8u) = *reinterpret_cast<const uint4*>(Z + zswz(r, m));
      }
      named_barrier(1, MOVERS);  // every mover has read its z chunks (zswz and xswz put a mover's chunks apart)
      const int ahead = tile + STAGES * grid;
      if (ahead < ntiles) load_x(ahead, b);
    }
    return;
  }

  mbar_wait(mbar_r, 0);
  u32 it = 0;
  for (int tile = blockIdx.x; tile < ntiles; tile += grid, ++it) {
    const u32 b = it % STAGES;
    mbar_wait(mbar_x + 8 * b, (it / STAGES) & 1u);
    unsigned char* const X = XS + b * X_BYTES;

    // 1. R stage: lo[j] / hi[j] = u[row g / g + 8][k][8w + 2a, +1], 16-bit, for the block k = 8 (j % 4) + j / 4
    u32 lo[NB], hi[NB];
    const unsigned char* const xrow = X + g * (N * 2u) + 16u * a;  // xswz(g, 4k + a) = xrow + 64 (k ^ (g & 1)):
    const int flip = 64 * static_cast<int>(g & 1u);                // xrow + 64k + flip (k even) or - flip (k odd)
#pragma unroll
    for (int k = 0; k < NB; ++k) {  // through x and R in order
      const int j = 4 * (k & 7) + k / 8;
      const unsigned char* const xk = xrow + 64 * k + ((k & 1) ? -flip : flip);
      const uint4 xg = *reinterpret_cast<const uint4*>(xk);
      const uint4 xh = *reinterpret_cast<const uint4*>(xk + 8 * N * 2);
      const uint4 r = *reinterpret_cast<const uint4*>(RS + (k * NB + 8 * w + g) * 64 + a * 16);
      float d[4] = {0.f, 0.f, 0.f, 0.f};
      mma(d, xg.x, xh.x, xg.y, xh.y, r.x, r.y);
      mma(d, xg.z, xh.z, xg.w, xh.w, r.z, r.w);
      lo[j] = pack(d[0], d[1]);
      hi[j] = pack(d[2], d[3]);
    }
    // 2. middle permutation: after the quad transposes word 4c + m holds u[8a + c][8w + 2m, +1]
#pragma unroll
    for (int c = 0; c < NB / 4; ++c) {
      quad_transpose(lo[4 * c], lo[4 * c + 1], lo[4 * c + 2], lo[4 * c + 3], a);
      quad_transpose(hi[4 * c], hi[4 * c + 1], hi[4 * c + 2], hi[4 * c + 3], a);
    }
    mbar_wait(mbar_l, 0);
    // 3. L stage, two q at a time (2m, 2m + 1): A words (k = 8a + 2p, +1) for p = 0..3, so that lane a's
    //    B fragments are L[q][s][8a .. 8a + 7], 16 contiguous bytes, like x and R in the R stage
    u32 out[4][2][2][4];  // [n-tile][s parity][row half][m]: z[row][(8nt + 2a + e) * 32 + 8w + 2m, +1]
#pragma unroll
    for (int m = 0; m < 4; ++m) {
#pragma unroll
      for (int odd = 0; odd < 2; ++odd) {
        const u32 sel = odd ? 0x7632u : 0x5410u;
        u32 A[2][4];  // [k-step][fragment word]
#pragma unroll
        for (int s = 0; s < 2; ++s) {
          A[s][0] = __byte_perm(lo[16 * s + m], lo[16 * s + 4 + m], sel);
          A[s][1] = __byte_perm(hi[16 * s + m], hi[16 * s + 4 + m], sel);
          A[s][2] = __byte_perm(lo[16 * s + 8 + m], lo[16 * s + 12 + m], sel);
          A[s][3] = __byte_perm(hi[16 * s + 8 + m], hi[16 * s + 12 + m], sel);
        }
        const u32 q = 8 * w + 2 * m + odd;
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) {
          const uint4 b = *reinterpret_cast<const uint4*>(LS + (q * NB + 8 * nt + g) * 64 + a * 16);
          float d[4] = {0.f, 0.f, 0.f, 0.f};
          mma(d, A[0][0], A[0][1], A[0][2], A[0][3], b.x, b.y);
          mma(d, A[1][0], A[1][1], A[1][2], A[1][3], b.z, b.w);
#pragma unroll
          for (int i = 0; i < 4; ++i) {  // i = 2h + e
            if (odd) out[nt][i & 1][i >> 1][m] = pack(__uint_as_float(out[nt][i & 1][i >> 1][m]), d[i]);
            else out[nt][i & 1][i >> 1][m] = __float_as_uint(d[i]);
          }
        }
      }
    }
    named_barrier(2, COMPUTE);  // every compute warp is done with x: its buffer takes the z tile
#pragma unroll
    for (int h = 0; h < 2; ++h)
#pragma unroll
      for (int nt = 0; nt < 4; ++nt)
#pragma unroll
        for (int e = 0; e < 2; ++e)
          *reinterpret_cast<uint4*>(X + zswz(g + 8 * h, (8 * nt + 2 * a + e) * 4 + w)) =
              make_uint4(out[nt][e][h][0], out[nt][e][h][1], out[nt][e][h][2], out[nt][e][h][3]);
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(mbar_z + 8 * b) : "memory");
  }
}
