// The L stage of the three-kernel Monarch forward for square bf16 (float16 with -DHALF) factors of 64 blocks of 64
// (n = 4096), writing z batch-major itself: z[b, s*64 + l] = sum_r L[l, s, r] U[l*64 + r, b] from the R stage's
// feature-major output U (4096, B). It replaces the L-stage kernel and the tile transpose after it (one pass
// over 64 MiB each way at batch 8192 instead of two). Compiled at first use by NVRTC (_l_stage_b64.py), after
// common.cuh.
//
// Persistent: CTA c keeps the G = 16 blocks l0 .. l0 + 15 of L (l0 = 16 (c % 4)) in shared memory for the whole
// launch and runs over the batch tiles of BB = 32 columns c / 4, c / 4 + grid / 4, ..., streaming each tile's 16
// blocks of U through a ring of RING cp.async stages that runs on across tiles, two blocks between barriers. Its 8
// warps tile the 64 x 32 output of a block as 4 (s) x 2 (b) warp tiles of 16 x 16 (mma.sync on ldmatrix fragments;
// every tile swizzled in 16-byte chunks, so ldmatrix is conflict-free). Each output element (s, b) of the 16
// blocks stays in registers: 16 values, the 32 contiguous bytes z[b, s*64 + l0 .. l0 + 15]. Pairs of lanes trade
// halves so that every 16-byte store instruction of a warp fills 16 whole 32-byte sectors (a lane's own 32 bytes
// would take two instructions of half sectors each: the L2 then becomes the limit, as in forward_b32.cu's first
// version). Measured in results/kernels_notes.md ("The L stage writing z").

#define NB 64                       // blocks; every block is 64 x 64
#define G 16                        // blocks a CTA: z in runs of 16 values
#define GROUPS (NB / G)
#define BB 32                       // batch columns a tile
#define RING 16                     // cp.async stages of U blocks
#define THREADS 256
#define U_BYTES (NB * BB * 2)       // one block of U for a tile's columns: 64 rows of 64 bytes
#define W_BYTES (NB * NB * 2)       // one block of L: 64 rows of 128 bytes
#define SMEM_BYTES (G * W_BYTES + RING * U_BYTES)
static_assert(THREADS == NB * BB / 8, "a thread loads one 16-byte chunk of U a block");
static_assert(RING % 2 == 0 && RING >= 4, "blocks go in pairs");

// Byte offsets of 16-byte chunk c of row r: U rows hold 4 chunks, L rows 8; the XOR puts the 8 rows that one
// ldmatrix reads on distinct banks.
__device__ __forceinline__ u32 uswz(u32 r, u32 c) { return r * (BB * 2u) + ((c ^ ((r >> 1) & 3u)) << 4); }
__device__ __forceinline__ u32 wswz(u32 r, u32 c) { return r * (NB * 2u) + ((c ^ (r & 7u)) << 4); }

__device__ __forceinline__ void ldmatrix_x4(u32 (&f)[4], u32 addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(f[0]), "=r"(f[1]), "=r"(f[2]), "=r"(f[3]) : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(u32 (&f)[4], u32 addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(f[0]), "=r"(f[1]), "=r"(f[2]), "=r"(f[3]) : "r"(addr));
}

extern "C" __global__ void __launch_bounds__(THREADS, 1)
monarch_l_stage_b64(const bf16* __restrict__ u, const bf16* __restrict__ L, bf16* __restrict__ z, int nrows) {
  extern __shared__ __align__(128) unsigned char smem[];
  const u32 ls = static_cast<u32>(__cvta_generic_to_shared(smem)), ring = ls + G * W_BYTES;
  const u32 tid = threadIdx.x, lane = tid & 31u, w = tid >> 5;
  const int l0 = static_cast<int>(blockIdx.x % GROUPS) * G, step = static_cast<int>(gridDim.x / GROUPS);
  const int t0 = static_cast<int>(blockIdx.x / GROUPS), ntiles = (nrows + BB - 1) / BB;
  if (t0 >= ntiles) return;
  const int nblocks = G * ((ntiles - 1 - t0) / step + 1);  // this CTA's blocks of U, tile by tile

  // The CTA's 16 blocks of L, 32 chunks a thread: the first cp.async group
  for (u32 chunk = tid; chunk < G * NB * 8; chunk += THREADS) {
    const u32 r = chunk >> 3, c = chunk & 7u;  // row r of the 1024 (block r / 64, its row r % 64)
    cp_async16(ls + (r / NB) * W_BYTES + wswz(r % NB, c), L + static_cast<size_t>(l0) * NB * NB + r * NB + c * 8, 16u);
  }
  cp_async_commit();
  // Block q of U (tile t0 + (q / 16) step, block l0 + q % 16): row ur, columns 8 uc .. 8 uc + 7 of the tile
  // (nrows % 8 == 0: a chunk lies wholly inside or past the batch)
  const u32 ur = tid >> 2, uc = tid & 3u;
  auto load = [&](int q) {
    const int col = (t0 + (q / G) * step) * BB + 8 * static_cast<int>(uc);
    const bool ok = col < nrows;
    const bf16* src = u + static_cast<size_t>((l0 + q % G) * NB + ur) * nrows + (ok ? col : 0);
    cp_async16(ring + (q % RING) * U_BYTES + uswz(ur, uc), src, ok ? 16u : 0u);
  };
  for (int q = 0; q < RING - 2; ++q) {
    if (q < nblocks) load(q);
    cp_async_commit();
  }

  // Warp tile: s in [s0, s0 + 16), tile columns [c0, c0 + 16) as two n-tiles of 8
  const u32 s0 = (w & 3u) * 16, c0 = (w >> 2) * 16;
  const u32 a_off = (s0 + (lane & 15u)) * (NB * 2u), a_chunk = lane >> 4;  // ldmatrix A (L block, s x r): row
  const u32 a_row7 = lane & 7u;                                             // s0 + lane % 16, chunk 2 ks + a_chunk
  const u32 b_row = (lane & 7u) + ((lane >> 3) & 1u) * 8, b_chunk = (c0 >> 3) + (lane >> 4);  // B (U block, r x b)
  const u32 odd = lane & 1u;
  for (int q0 = 0; q0 < nblocks; q0 += G) {
    u32 out[8][G / 2];  // [element e][blocks 2j, 2j + 1]; e = 4 nt + i of the mma outputs d[nt][i]
#pragma unroll
    for (int j = 0; j < G / 2; ++j) {  // blocks q and q + 1 between two barriers
      const int q = q0 + 2 * j;
      cp_async_wait<RING - 4>();
      __syncthreads();  // blocks q, q + 1 (and L) have landed for every thread; q - 2 and q - 1 are done with
#pragma unroll
      for (int k = RING - 2; k < RING; ++k) {
        if (q + k < nblocks) load(q + k);
        cp_async_commit();
      }
      float d[2][2][4] = {};  // [block q, q + 1][n-tile][mma output]
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const u32 ub = ring + ((q + h) % RING) * U_BYTES, lb = ls + (2 * j + h) * W_BYTES + a_off;
#pragma unroll
        for (int ks = 0; ks < NB / 16; ++ks) {
          u32 A[4], B[4];
          ldmatrix_x4(A, lb + (((2 * ks + a_chunk) ^ a_row7) << 4));
          ldmatrix_x4_trans(B, ub + uswz(16 * ks + b_row, b_chunk));
          mma(d[h][0], A[0], A[1], A[2], A[3], B[0], B[1]);
          mma(d[h][1], A[0], A[1], A[2], A[3], B[2], B[3]);
        }
      }
#pragma unroll
      for (int e = 0; e < 8; ++e) out[e][j] = pack(d[0][e >> 2][e & 3], d[1][e >> 2][e & 3]);
    }
    const int b0 = (t0 + (q0 / G) * step) * BB;
    // Element e of lane (r, a) = (lane / 4, lane % 4): s = s0 + r + 8 (e >> 1 & 1), column c0 + 8 (e >> 2) + 2a
    // + (e & 1). Lanes 2m and 2m + 1 (columns two apart) trade halves: the even lane's run is written by both in
    // one instruction, then the odd lane's. Written this way every store is one STG.128 (SASS); a form with one
    // base pointer and the select at the store compiled to 32-bit stores and took 68.6 against 51.3 us.
    const int s_row = static_cast<int>(s0 + (lane >> 2));
    const int col_even = static_cast<int>(c0 + 2 * (lane & 2u));
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const int col = b0 + col_even + 8 * (e >> 2) + (e & 1);
      if (col >= nrows) continue;  // the n-tile past the batch (nrows % 8 == 0): uniform over the warp
      const int s = s_row + 8 * ((e >> 1) & 1);
      u32 mine[4], theirs[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        mine[i] = odd ? out[e][i + 4] : out[e][i];  // the half this lane keeps: even lanes the first, odd the second
        theirs[i] = __shfl_xor_sync(0xffffffffu, odd ? out[e][i] : out[e][i + 4], 1);
      }
      bf16* const even_run = z + static_cast<size_t>(col) * (NB * NB) + s * NB + l0;
      bf16* const odd_run = even_run + 2 * NB * NB;
      const uint4 m4 = make_uint4(mine[0], mine[1], mine[2], mine[3]);
      const uint4 t4 = make_uint4(theirs[0], theirs[1], theirs[2], theirs[3]);
      const uint4 first = odd ? t4 : m4, second = odd ? m4 : t4;
      *reinterpret_cast<uint4*>(even_run + 8 * odd) = first;
      *reinterpret_cast<uint4*>(odd_run + 8 * odd) = second;
    }
  }
}
