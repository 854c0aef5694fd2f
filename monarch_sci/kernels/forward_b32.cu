// One-launch persistent Monarch forward z = P_out L P_mid R x for square bf16 (float16 with -DHALF) factors
// with 32 blocks of 32 (n = 1024) on sm_90 and newer, the middle permutation done in registers. Compiled at first use by NVRTC
// (_forward_b32.py); measured in results/kernels_small/ (16.9 us at batch 8192 on an H200, Triton's
// one-launch kernel 23.1 us).
//
// Conventions of the Triton kernels (_triton._whole_kernel): u[b][k][q] = sum_p R[k,q,p] x[b, k*32 + p]
// (rounded to the data type), z[b, s*32 + q] = sum_k L[q,s,k] u[b][k][q]. One CTA of 4 warps per SM holds R and L in
// shared memory for the whole launch (128 KiB, two bulk copies) and runs over tiles of 16 rows; the next two
// tiles' x are in flight (cp.async, three buffers) while this one computes. Warp w owns the outputs q in
// [8w, 8w + 8) of every R block:
//  1. R stage: per block k, two mma.sync m16n8k16 whose A fragments are one 16-byte shared load a row
//     (the contraction order inside a block is permuted so that lane a's k values are x[.., 8a .. 8a+7];
//     R's fragments are then 16 contiguous bytes of its row q, so R stays in its own layout).
//  2. Middle permutation: the R blocks are visited in the order k = 8 (j % 4) + j / 4, so that a 4 x 4 word
//     transpose within each quad (shuffles) and a 2 x 2 16-bit transpose (byte_perm) leave lane a the pairs
//     u[row][8a + 2p, +1][q] for every q: the L stage's A fragments, whose B fragments are then again 16
//     contiguous bytes of a row, L[q][s][8a .. 8a + 7]. No weight is stored permuted.
//  3. L stage: per q, 8 mma.sync; the outputs of the warp's 8 q's for one (row, s) are 16 contiguous bytes
//     of z. They go to a z tile in the tile's x buffer (free once the R stage is done), which all warps then
//     store as whole rows (16-byte stores straight from the fragments fill only half of each 32-byte
//     sector: the L2 became the limit).
// The x and z tiles are swizzled in 16-byte chunks (xswz, zswz), so every shared-memory access is free of
// bank conflicts; R and L fragments are 16 bytes a lane over 512 contiguous bytes.

typedef unsigned int u32;
typedef unsigned short bf16;  // the 16-bit data, bfloat16 or (HALF) float16
#ifdef HALF
#define TYPE "f16"
#else
#define TYPE "bf16"
#endif

#define NB 32
#define N (NB * NB)
#define BM 16
#define THREADS 128
#define STAGES 3                     // x tiles in shared memory: this one and the next two in flight
#define W_BYTES (NB * NB * NB * 2)   // one factor: 64 KiB
#define X_BYTES (BM * N * 2)         // a tile of x (16-byte chunks swizzled, xswz), then of z (zswz)
#define SMEM_BYTES (2 * W_BYTES + STAGES * X_BYTES + 16)  // + the weights' two mbarriers
static_assert(THREADS == N / 8, "a thread moves one 16-byte chunk of every row of a tile");

__device__ __forceinline__ void cp_async16(u32 dst, const void* src, u32 src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
// The weights: one bulk copy each (the TMA unit), completing on an mbarrier.
__device__ __forceinline__ void bulk_load(u32 dst, const void* src, u32 bytes, u32 mbar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n"
               ::"r"(dst), "l"(src), "r"(bytes), "r"(mbar) : "memory");
}
__device__ __forceinline__ void mbar_wait(u32 mbar, u32 phase) {
  asm volatile("{\n.reg .pred p;\nwait_%=:\nmbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n@!p bra wait_%=;\n}\n"
               ::"r"(mbar), "r"(phase) : "memory");
}
template <int K>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(K) : "memory"); }

__device__ __forceinline__ void mma(float (&d)[4], u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." TYPE "." TYPE ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
__device__ __forceinline__ u32 pack(float lo, float hi) {  // two 16-bit values, lo at the lower address
  u32 r;
  asm("cvt.rn." TYPE "x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
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
  extern __shared__ __align__(128) unsigned char smem[];
  unsigned char* const RS = smem;
  unsigned char* const LS = smem + W_BYTES;
  unsigned char* const XS = smem + 2 * W_BYTES;
  const u32 rs = static_cast<u32>(__cvta_generic_to_shared(RS)), ls = rs + W_BYTES, xs = rs + 2 * W_BYTES;
  const u32 tid = threadIdx.x, lane = tid & 31u, w = tid >> 5, g = lane >> 2, a = lane & 3u;
  const int ntiles = (nrows + BM - 1) / BM;

  const u32 mbar_r = rs + SMEM_BYTES - 16, mbar_l = mbar_r + 8;  // R and L arrived: the R stage waits only for R
  if (tid == 0) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\nmbarrier.init.shared::cta.b64 [%1], 1;\n"
                 "fence.proxy.async.shared::cta;\n" ::"r"(mbar_r), "r"(mbar_l) : "memory");
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %2;\nmbarrier.arrive.expect_tx.shared::cta.b64 _, [%1], %2;\n"
                 ::"r"(mbar_r), "r"(mbar_l), "n"(W_BYTES) : "memory");
    bulk_load(rs, R, W_BYTES, mbar_r);
    bulk_load(ls, L, W_BYTES, mbar_l);
  }
  __syncthreads();  // the mbarriers are initialised before anyone waits on them
  auto load_x = [&](int tile, u32 buf) {  // thread tid moves chunk tid of each row; rows past nrows are zero-filled
#pragma unroll
    for (int r = 0; r < BM; ++r) {
      const int row = tile * BM + r;
      const bool ok = row < nrows;
      cp_async16(xs + buf * X_BYTES + xswz(r, tid), x + static_cast<size_t>(ok ? row : 0) * N + tid * 8u, ok ? 16u : 0u);
    }
  };
  int tile = blockIdx.x;
  const int grid = static_cast<int>(gridDim.x);
  for (int i = 0; i < STAGES - 1; ++i) {  // one commit group a tile, empty past the last
    if (tile + i * grid < ntiles) load_x(tile + i * grid, i);
    cp_async_commit();
  }
  mbar_wait(mbar_r, 0);

  for (u32 it = 0; tile < ntiles; tile += grid, ++it) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();  // this tile's x visible to all warps; the tile before is stored, its buffer free
    const int ahead = tile + (STAGES - 1) * grid;
    if (ahead < ntiles) load_x(ahead, (it + STAGES - 1) % STAGES);
    cp_async_commit();
    unsigned char* const X = XS + (it % STAGES) * X_BYTES;

    // 1. R stage: lo[j] / hi[j] = u[row g / g + 8][k][8w + 2a, +1], 16-bit, for the block k = 8 (j % 4) + j / 4
    u32 lo[NB], hi[NB];
    const unsigned char* const xrow = X + g * (N * 2u) + 16u * a;  // xswz(g, 4k + a) = xrow + 64 (k ^ (g & 1)):
    const int flip = 64 * static_cast<int>(g & 1u);                // xrow + 64k + flip (k even) or - flip (k odd)
#pragma unroll
    for (int j = 0; j < NB; ++j) {
      const int k = 8 * (j & 3) + (j >> 2);
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
    __syncthreads();  // every warp is done with x: its buffer takes the z tile
#pragma unroll
    for (int h = 0; h < 2; ++h)
#pragma unroll
      for (int nt = 0; nt < 4; ++nt)
#pragma unroll
        for (int e = 0; e < 2; ++e)
          *reinterpret_cast<uint4*>(X + zswz(g + 8 * h, (8 * nt + 2 * a + e) * 4 + w)) =
              make_uint4(out[nt][e][h][0], out[nt][e][h][1], out[nt][e][h][2], out[nt][e][h][3]);
    __syncthreads();
#pragma unroll
    for (int r = 0; r < BM; ++r) {  // whole rows: 512 contiguous bytes a warp
      const int row = tile * BM + r;
      if (row < nrows)
        *reinterpret_cast<uint4*>(z + static_cast<size_t>(row) * N + tid * 8u) = *reinterpret_cast<const uint4*>(X + zswz(r, tid));
    }
  }
  cp_async_wait<0>();
}
