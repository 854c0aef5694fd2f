// One-launch Monarch forward z = P_out L P_mid R x for square bf16 factors with NB blocks of width NB
// (n = NB * NB), on a thread-block cluster of C CTAs (sm_90). An experiment (results/kernels_notes.md):
// correct, but slower than the package's Triton kernels. Compiled at run time by NVRTC (experiment.py)
// with -DNB=... -DC=... -DBM=..., and -DWGMMA for the wgmma products (target sm_90a).
//
// A row of x is an NB x NB matrix X[k][p]; the R stage transforms its rows, U[k][q] = sum_p R[k,q,p] X[k][p],
// the L stage its columns, z[s*NB + l] = sum_k L[l,s,k] U[k][l]. The cluster shares a tile of BM rows:
// CTA c owns R blocks k in [c*KL, c*KL + KL), L blocks l in the same range and output columns
// [c*KL*NB, (c+1)*KL*NB) (KL = NB / C); its weights stay in shared memory for the whole launch.
// Per tile: (1) CTA c reads its KL column blocks of x (contiguous runs), computes those rows of U and
// pushes U[k][l] to the CTA owning l (distributed shared memory, 16-byte stores); (2) after a cluster
// barrier it computes the L stage for its l blocks and pushes each result to the CTA owning the output
// column; (3) after a second barrier it writes its columns of z in contiguous 16-byte stores. x is read
// once and z written once: the intermediate never leaves the chip. Tiles are double-buffered: the next
// tile's x is in flight while this one computes.
//
// Products: mma.sync m16n8k16 on ldmatrix fragments (8 warps, 16 x 32 warp tiles), or with WGMMA wgmma
// from shared memory (two warpgroups: 64 x 64 tiles in the R stage, 64 x 32 with G read transposed in the
// L stage); bf16 in, fp32 accumulate, U rounded to bf16 like the Triton kernels. Buffers whose rows are
// 128 bytes are XOR-swizzled in 16-byte chunks (wgmma's 128-byte swizzle), so ldmatrix, the pushes and
// wgmma are free of bank conflicts.

#ifndef NB
#define NB 64
#endif
#ifndef C
#define C 16
#endif
#ifndef BM
#define BM 64
#endif
#define KL (NB / C)
#define THREADS 256
#define ROWB (NB * 2)                  // bytes in one weight row (NB bf16)
#define W_BYTES (KL * NB * ROWB)       // one factor's KL blocks
#define X_BYTES (KL * BM * ROWB)       // one tile of x: KL blocks of (BM rows x NB)
#define G_BYTES (KL * NB * BM * 2)     // U for this CTA's l blocks: (KL x NB k) rows of BM
#define O_SLAB (BM * KL * KL * 2 + 32) // one source CTA's outputs, padded
#define SMEM_BYTES (2 * W_BYTES + 2 * X_BYTES + G_BYTES + C * O_SLAB)

static_assert(NB == 64 && BM == 64, "the 128-byte swizzle assumes 64-wide blocks and 64-row tiles");
static_assert(KL * C == NB && KL == 4, "C must split the blocks in groups of 4");

typedef unsigned int u32;
typedef unsigned short bf16;

__device__ __forceinline__ u32 swz(u32 row, u32 chunk) {  // byte offset in a buffer of 128-byte rows
  return row * 128u + ((chunk ^ (row & 7u)) << 4);
}
__device__ __forceinline__ u32 smem_addr(const void* p) {
  return static_cast<u32>(__cvta_generic_to_shared(p));
}
__device__ __forceinline__ void cp_async16(u32 dst, const void* src, u32 src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait1() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }
__device__ __forceinline__ void ldsm_x4(u32 (&r)[4], u32 addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4_t(u32 (&r)[4], u32 addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
}
__device__ __forceinline__ void mma(float (&d)[4], const u32 (&a)[4], u32 b0, u32 b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ u32 pack(float lo, float hi) {  // two bf16, lo at the lower address
  u32 r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
__device__ __forceinline__ u32 remote(u32 addr, u32 rank) {  // the same offset in CTA `rank`'s shared memory
  u32 r;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(r) : "r"(addr), "r"(rank));
  return r;
}
__device__ __forceinline__ void st_cluster(u32 addr, u32 a, u32 b, u32 c, u32 d) {
  asm volatile("st.shared::cluster.v4.b32 [%0], {%1,%2,%3,%4};\n" ::"r"(addr), "r"(a), "r"(b), "r"(c), "r"(d)
               : "memory");
}
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::: "memory");
}
__device__ __forceinline__ u32 cluster_rank() {
  u32 r;
  asm("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
  return r;
}
__device__ __forceinline__ u32 cluster_id() {
  u32 r;
  asm("mov.u32 %0, %%clusterid.x;\n" : "=r"(r));
  return r;
}
__device__ __forceinline__ u32 cluster_count() {
  u32 r;
  asm("mov.u32 %0, %%nclusterid.x;\n" : "=r"(r));
  return r;
}

#ifdef WGMMA
typedef unsigned long long u64;
// wgmma shared-memory matrix descriptor: 128-byte swizzle, 1024 bytes between 8-row groups.
__device__ __forceinline__ u64 wg_desc(u32 addr) {
  return static_cast<u64>((addr & 0x3FFFFu) >> 4) | (static_cast<u64>(1024u >> 4) << 16) |
         (static_cast<u64>(1024u >> 4) << 32) | (1ull << 62);
}
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>  // until at most N committed groups are pending
__device__ __forceinline__ void wg_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }
// Makes this thread's shared-memory writes (cta: its own CTA's; cluster: other CTAs') visible to wgmma.
__device__ __forceinline__ void proxy_fence() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
__device__ __forceinline__ void proxy_fence_cluster() { asm volatile("fence.proxy.async.shared::cluster;\n" ::: "memory"); }
// d (64 x 64, f32) (+)= A (64 x 16, K-major) B (16 x 64, K-major)
__device__ __forceinline__ void wgmma64(float (&d)[32], u64 da, u64 db, int accumulate) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
               : "l"(da), "l"(db), "r"(accumulate));
}
// d (64 x 32, f32) (+)= A (64 x 16, M-major: transposed) B (16 x 32, K-major)
__device__ __forceinline__ void wgmma32t(float (&d)[16], u64 da, u64 db, int accumulate) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
               "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, %16, %17, p, 1, 1, 1, 0;\n}\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
               : "l"(da), "l"(db), "r"(accumulate));
}
#else
__device__ __forceinline__ void proxy_fence() {}
__device__ __forceinline__ void proxy_fence_cluster() {}
#endif

// x tile -> X[kl][b][p] (swizzled rows b); rows past nrows are zero-filled.
__device__ __forceinline__ void load_x(u32 X, const bf16* __restrict__ x, int tile, int nrows, u32 rank) {
  for (u32 i = threadIdx.x; i < KL * BM * 8; i += THREADS) {
    const u32 ch = i & 7u, kl = (i >> 3) % KL, b = i / (8 * KL);
    const int row = tile * BM + static_cast<int>(b);
    const bool ok = row < nrows;
    const bf16* src = x + static_cast<size_t>(ok ? row : 0) * (NB * NB) + (rank * KL + kl) * NB + ch * 8;
    cp_async16(X + swz(kl * BM + b, ch), src, ok ? 16u : 0u);
  }
}

// Transposes a quad's 4 x 4 words: lane t gets word t of lanes 0..3, in that order.
__device__ __forceinline__ void quad_transpose(u32 (&w)[4], u32 t) {
#pragma unroll
  for (int j = 0; j < 4; j += 2) {
    const u32 recv = __shfl_xor_sync(0xffffffffu, (t & 1u) ? w[j] : w[j + 1], 1);
    if (t & 1u) w[j] = recv; else w[j + 1] = recv;
  }
#pragma unroll
  for (int j = 0; j < 2; ++j) {
    const u32 recv = __shfl_xor_sync(0xffffffffu, (t & 2u) ? w[j] : w[j + 2], 2);
    if (t & 2u) w[j] = recv; else w[j + 2] = recv;
  }
}

// Pushes 16 rows b0 + g (+ 8) x 4 columns of U (the R stage's block k) to their owners: lane t holds, in word
// j of lo / hi, rows q and q + 8 at b = bb + 8j + 2t, +1; U[b][k][q] goes to CTA q / KL, row (q % KL, k).
__device__ __forceinline__ void push_u(u32 (&lo)[4], u32 (&hi)[4], u32 q, u32 bb, u32 k, u32 GS, u32 t) {
  quad_transpose(lo, t);  // now word s holds b = bb + 8t + 2s, +1
  quad_transpose(hi, t);
  st_cluster(remote(GS + swz((q % KL) * NB + k, (bb >> 3) + t), q / KL), lo[0], lo[1], lo[2], lo[3]);
  st_cluster(remote(GS + swz(((q + 8u) % KL) * NB + k, (bb >> 3) + t), (q + 8u) / KL), hi[0], hi[1], hi[2], hi[3]);
}

// Pushes the L stage's outputs for rows b0 + g (+ 8) and s in [s0, s0 + 32), all KL blocks: d[l][4j + i] holds
// (b0 + g + 8 (i >> 1), s0 + 8j + 2t + (i & 1)). z[b][s*NB + l] goes to CTA s / KL, slab `rank`, as 32 bytes
// per (b, group of 4 s): [s % 4][l % 4], slabs `slab` bytes apart. The n-tiles j are visited from ROT on (ROT = rank % 4), so the
// cluster's stores spread over all CTAs rather than meeting at a few.
template <u32 ROT>
__device__ __forceinline__ void push_z(const float (&d)[KL][16], u32 b0, u32 s0, u32 OS, u32 slab, u32 rank, u32 g,
                                       u32 t) {
  const u32 odd = t & 1u;
#pragma unroll
  for (u32 i = 0; i < 4; ++i) {
    const u32 j = (i + ROT) & 3u;
    u32 s01[KL], s23[KL];  // per l: words for s % 4 in {0, 1}, {2, 3} of row b0 + g (+ 8 on odd lanes)
#pragma unroll
    for (u32 ll = 0; ll < KL; ++ll) {
      const u32 w01 = pack(d[ll][4 * j], d[ll][4 * j + 1]), w23 = pack(d[ll][4 * j + 2], d[ll][4 * j + 3]);
      const u32 recv = __shfl_xor_sync(0xffffffffu, odd ? w01 : w23, 1);
      s01[ll] = odd ? recv : w01;
      s23[ll] = odd ? w23 : recv;
    }
    // Lanes t and t ^ 1 swap halves so each store instruction covers whole 32-byte rows:
    // the even lane writes the first 16 bytes of rows b0 + g and b0 + g + 8, the odd lane the second.
    u32 own[8] = {__byte_perm(s01[0], s01[1], 0x5410), __byte_perm(s01[2], s01[3], 0x5410),
                  __byte_perm(s01[0], s01[1], 0x7632), __byte_perm(s01[2], s01[3], 0x7632),
                  __byte_perm(s23[0], s23[1], 0x5410), __byte_perm(s23[2], s23[3], 0x5410),
                  __byte_perm(s23[0], s23[1], 0x7632), __byte_perm(s23[2], s23[3], 0x7632)};
    u32 got[4];
#pragma unroll
    for (int w = 0; w < 4; ++w) got[w] = __shfl_xor_sync(0xffffffffu, odd ? own[w] : own[4 + w], 1);
    const u32 dst = remote(OS + rank * slab + (b0 + g) * 32u + 16u * odd, (s0 + 8u * j) / KL + (t >> 1));
    if (odd) {
      st_cluster(dst, got[0], got[1], got[2], got[3]);
      st_cluster(dst + 256u, own[4], own[5], own[6], own[7]);
    } else {
      st_cluster(dst, own[0], own[1], own[2], own[3]);
      st_cluster(dst + 256u, got[0], got[1], got[2], got[3]);
    }
  }
}


__device__ __forceinline__ void push_z_any(const float (&d)[KL][16], u32 b0, u32 s0, u32 OS, u32 slab, u32 rank, u32 g,
                                           u32 t) {
  switch (rank & 3u) {  // a compile-time visiting order keeps d in registers
    case 0: push_z<0>(d, b0, s0, OS, slab, rank, g, t); break;
    case 1: push_z<1>(d, b0, s0, OS, slab, rank, g, t); break;
    case 2: push_z<2>(d, b0, s0, OS, slab, rank, g, t); break;
    default: push_z<3>(d, b0, s0, OS, slab, rank, g, t);
  }
}

// This CTA's KL * NB output columns of a tile: z[b][rank*KL*NB + s*NB + c*KL + l] = O[c][b][s][l], slabs
// `slab` bytes apart; 16-byte stores, a warp per row.
__device__ __forceinline__ void write_out(const unsigned char* O, u32 slab, bf16* __restrict__ z, int tile, int nrows,
                                          u32 rank) {
  for (u32 i = threadIdx.x; i < BM * KL * (C / 2); i += THREADS) {
    const u32 cp = i % (C / 2), s = (i / (C / 2)) % KL, b = i / (C / 2 * KL);
    const int row = tile * BM + static_cast<int>(b);
    if (row >= nrows) continue;
    const unsigned char* o = O + 2 * cp * slab + b * 32u + s * 8u;
    const uint2 lo = *reinterpret_cast<const uint2*>(o), hi = *reinterpret_cast<const uint2*>(o + slab);
    bf16* dst = z + static_cast<size_t>(row) * (NB * NB) + rank * KL * NB + s * NB + 2 * cp * KL;
    *reinterpret_cast<uint4*>(dst) = make_uint4(lo.x, lo.y, hi.x, hi.y);
  }
}

#ifdef WGMMA
// R-stage block kl of the x tile at X: a 64 q x 64 b product, issued and committed as one group.
__device__ __forceinline__ void r_block_issue(float (&d)[32], u32 RS, u32 X, u32 kl) {
#pragma unroll
  for (u32 k0 = 0; k0 < NB; k0 += 16)
    wgmma64(d, wg_desc(RS + kl * NB * 128u + k0 * 2u), wg_desc(X + kl * BM * 128u + k0 * 2u), k0 > 0);
  wg_commit();
}
// Pushes a finished R-stage block (warp w of the group holds rows q = q0 + g (+ 8)) to the owners of q.
__device__ __forceinline__ void r_block_push(const float (&d)[32], u32 q0, u32 k, u32 GS, u32 g, u32 t) {
#pragma unroll
  for (u32 half = 0; half < 2; ++half) {  // b in [32 half, 32 half + 32): n-tiles 4 half .. 4 half + 3
    u32 lo[4], hi[4];
#pragma unroll
    for (u32 j = 0; j < 4; ++j) {
      lo[j] = pack(d[4 * (4 * half + j)], d[4 * (4 * half + j) + 1]);
      hi[j] = pack(d[4 * (4 * half + j) + 2], d[4 * (4 * half + j) + 3]);
    }
    push_u(lo, hi, q0 + g, 32u * half, k, GS, t);
  }
}
// L stage for s in [s0, s0 + 32), all KL blocks: 64 b x 32 s products with G read transposed, one group.
__device__ __forceinline__ void l_stage_issue(float (&d)[KL][16], u32 GS, u32 LS, u32 s0) {
#pragma unroll
  for (u32 ll = 0; ll < KL; ++ll) {
#pragma unroll
    for (u32 k0 = 0; k0 < NB; k0 += 16)
      wgmma32t(d[ll], wg_desc(GS + (ll * NB + k0) * 128u), wg_desc(LS + (ll * NB + s0) * 128u + k0 * 2u), k0 > 0);
  }
  wg_commit();
}
#endif

extern "C" __global__ void __cluster_dims__(C, 1, 1) __launch_bounds__(THREADS, 1)
monarch_cluster_forward(const bf16* __restrict__ x, const bf16* __restrict__ R, const bf16* __restrict__ L,
                        bf16* __restrict__ z, int nrows) {
  extern __shared__ __align__(1024) unsigned char smem[];
  const u32 RS = smem_addr(smem), LS = RS + W_BYTES, XS = LS + W_BYTES, GS = XS + 2 * X_BYTES,
            OS = GS + G_BYTES;
  const u32 lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3u;
  const u32 rank = cluster_rank();
  const int ntiles = (nrows + BM - 1) / BM, step = static_cast<int>(cluster_count());

  for (u32 i = threadIdx.x; i < KL * NB * 8; i += THREADS) {  // this CTA's weight blocks, 16 bytes at a time
    const u32 row = i >> 3, ch = i & 7u;
    cp_async16(RS + swz(row, ch), R + (static_cast<size_t>(rank) * KL * NB + row) * NB + ch * 8, 16u);
    cp_async16(LS + swz(row, ch), L + (static_cast<size_t>(rank) * KL * NB + row) * NB + ch * 8, 16u);
  }
  int tile = static_cast<int>(cluster_id());
  if (tile < ntiles) load_x(XS, x, tile, nrows, rank);
  cp_async_commit();

  for (u32 buf = 0; tile < ntiles; tile += step, buf ^= 1u) {
    if (tile + step < ntiles) load_x(XS + (buf ^ 1u) * X_BYTES, x, tile + step, nrows, rank);
    cp_async_commit();
    cp_async_wait1();
    proxy_fence();
    __syncthreads();
    const u32 X = XS + buf * X_BYTES;

    // (1) R stage: U[b][k][q] for this CTA's blocks k, pushed to the CTA owning q.
#ifdef WGMMA
    {  // warpgroup wg: blocks 2 wg, 2 wg + 1, each a 64 q x 64 b product; warp w holds rows q = 16 w + g (+ 8)
      const u32 wg = warp >> 2, q0 = 16u * (warp & 3u);
#pragma unroll 1
      for (u32 kl = 2 * wg; kl < 2 * wg + 2; ++kl) {
        float d[32];
        wg_fence();
        r_block_issue(d, RS, X, kl);
        wg_wait<0>();
        r_block_push(d, q0, rank * KL + kl, GS, g, t);
      }
    }
#else
    {  // warp tile 16 q x 32 b per block kl
      const u32 q0 = 16u * (warp & 3u), b0 = 32u * (warp >> 2);
#pragma unroll 1
      for (u32 kl = 0; kl < KL; ++kl) {
        float acc[4][4] = {};
#pragma unroll
        for (u32 k0 = 0; k0 < NB; k0 += 16) {
          u32 a[4], bq[4];
          ldsm_x4(a, RS + swz(kl * NB + q0 + (lane & 7u) + 8u * ((lane >> 3) & 1u), (k0 >> 3) + (lane >> 4)));
#pragma unroll
          for (u32 np = 0; np < 2; ++np) {
            ldsm_x4(bq, X + swz(kl * BM + b0 + 16u * np + (lane & 7u) + 8u * (lane >> 4), (k0 >> 3) + ((lane >> 3) & 1u)));
            mma(acc[2 * np], a, bq[0], bq[1]);
            mma(acc[2 * np + 1], a, bq[2], bq[3]);
          }
        }
        u32 lo[4], hi[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          lo[j] = pack(acc[j][0], acc[j][1]);
          hi[j] = pack(acc[j][2], acc[j][3]);
        }
        push_u(lo, hi, q0 + g, b0, rank * KL + kl, GS, t);
      }
    }
#endif
    proxy_fence_cluster();
    cluster_sync();
    proxy_fence();

    // (2) L stage: rows b0 + g (+ 8) x s in [s0, s0 + 32) for all KL blocks, pushed to the CTAs owning the columns.
    {
      const u32 b0 = 16u * (warp & 3u), s0 = 32u * (warp >> 2);
      float d[KL][16];
#ifdef WGMMA  // warpgroup wg: 64 b x 32 s products, G read transposed
      wg_fence();
      l_stage_issue(d, GS, LS, s0);
      wg_wait<0>();
#else
#pragma unroll
      for (u32 ll = 0; ll < KL; ++ll) {
#pragma unroll
        for (u32 j = 0; j < 16; ++j) d[ll][j] = 0.f;
#pragma unroll
        for (u32 k0 = 0; k0 < NB; k0 += 16) {
          u32 a[4], bq[4];
          ldsm_x4_t(a, GS + swz(ll * NB + k0 + (lane & 7u) + 8u * (lane >> 4), (b0 >> 3) + ((lane >> 3) & 1u)));
#pragma unroll
          for (u32 np = 0; np < 2; ++np) {
            ldsm_x4(bq, LS + swz(ll * NB + s0 + 16u * np + (lane & 7u) + 8u * (lane >> 4), (k0 >> 3) + ((lane >> 3) & 1u)));
            mma(*reinterpret_cast<float(*)[4]>(&d[ll][8 * np]), a, bq[0], bq[1]);
            mma(*reinterpret_cast<float(*)[4]>(&d[ll][8 * np + 4]), a, bq[2], bq[3]);
          }
        }
      }
#endif
      push_z_any(d, b0, s0, OS, O_SLAB, rank, g, t);
    }
    proxy_fence_cluster();
    cluster_sync();

    write_out(smem + (OS - RS), O_SLAB, z, tile, nrows, rank);
  }
}

#ifdef WGMMA
// The same forward, software-pipelined over tiles: iteration i runs the L stage of tile i, the R stage of tile
// i + 1 and the write-out of tile i - 1, with one cluster barrier, so the products of one tile overlap the
// pushes and stores of the others. Shared memory: the weights, G twice (tiles i and i + 1) and three x
// buffers, where a buffer whose x tile has been consumed receives the tile's outputs (O, unpadded slabs).
#define P_SLAB (BM * KL * KL * 2)
#define P_SMEM_BYTES (2 * W_BYTES + 2 * G_BYTES + 3 * X_BYTES)
static_assert(C * P_SLAB == X_BYTES, "a tile's outputs fill one x buffer");

// Warpgroup wg's two R-stage blocks 2 wg, 2 wg + 1 of the x tile at X, as two groups.
__device__ __forceinline__ void r_pair_issue(float (&d)[2][32], u32 RS, u32 X, u32 wg) {
  r_block_issue(d[0], RS, X, 2 * wg);
  r_block_issue(d[1], RS, X, 2 * wg + 1);
}
// Waits for the two blocks in turn (the last groups committed) and pushes each into G; k is the first's index.
__device__ __forceinline__ void r_pair_push(const float (&d)[2][32], u32 q0, u32 k, u32 G, u32 g, u32 t) {
  wg_wait<1>();
  r_block_push(d[0], q0, k, G, g, t);
  wg_wait<0>();
  r_block_push(d[1], q0, k + 1, G, g, t);
}

extern "C" __global__ void __cluster_dims__(C, 1, 1) __launch_bounds__(THREADS, 1)
monarch_cluster_forward_pipelined(const bf16* __restrict__ x, const bf16* __restrict__ R, const bf16* __restrict__ L,
                                  bf16* __restrict__ z, int nrows) {
  extern __shared__ __align__(1024) unsigned char smem[];
  const u32 RS = smem_addr(smem), LS = RS + W_BYTES, GS = LS + W_BYTES, XS = GS + 2 * G_BYTES;
  const u32 lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3u, wg = warp >> 2;
  const u32 rank = cluster_rank(), q0 = 16u * (warp & 3u), b0 = 16u * (warp & 3u), s0 = 32u * wg;
  const int ntiles = (nrows + BM - 1) / BM, step = static_cast<int>(cluster_count()), first = static_cast<int>(cluster_id());
  const int n = first < ntiles ? (ntiles - first + step - 1) / step : 0;  // this cluster's tiles: first + i * step
  if (n == 0) return;
  auto tile_of = [&](int i) { return first + i * step; };
  auto xbuf = [&](int i) { return XS + static_cast<u32>(i % 3) * X_BYTES; };

  for (u32 i = threadIdx.x; i < KL * NB * 8; i += THREADS) {  // this CTA's weight blocks, 16 bytes at a time
    const u32 row = i >> 3, ch = i & 7u;
    cp_async16(RS + swz(row, ch), R + (static_cast<size_t>(rank) * KL * NB + row) * NB + ch * 8, 16u);
    cp_async16(LS + swz(row, ch), L + (static_cast<size_t>(rank) * KL * NB + row) * NB + ch * 8, 16u);
  }
  load_x(xbuf(0), x, tile_of(0), nrows, rank);
  cp_async_commit();
  if (n > 1) load_x(xbuf(1), x, tile_of(1), nrows, rank);
  cp_async_commit();
  cp_async_wait1();
  proxy_fence();
  __syncthreads();
  {  // R stage of tile 0 into G[0]
    float d[2][32];
    wg_fence();
    r_pair_issue(d, RS, xbuf(0), wg);
    r_pair_push(d, q0, rank * KL + 2 * wg, GS, g, t);
  }
  proxy_fence_cluster();
  cluster_sync();

#pragma unroll 1
  for (int i = 0; i < n; ++i) {
    // G[i % 2] holds tile i's U; x tile i + 1 is in flight into xbuf(i + 1); xbuf(i - 1) holds tile i - 1's outputs.
    const bool next = i + 1 < n;
    if (next) {
      asm volatile("cp.async.wait_group 0;\n" ::: "memory");
      proxy_fence();
      __syncthreads();
    }
    proxy_fence();
    float dl[KL][16], dr[2][32];
    wg_fence();
    l_stage_issue(dl, GS + static_cast<u32>(i & 1) * G_BYTES, LS, s0);
    if (next) r_pair_issue(dr, RS, xbuf(i + 1), wg);
    if (i > 0) {  // tile i - 1's outputs go out while the products run; then its buffer takes x tile i + 2
      write_out(smem + (xbuf(i - 1) - RS), P_SLAB, z, tile_of(i - 1), nrows, rank);
      __syncthreads();
    }
    if (i + 2 < n) load_x(xbuf(i + 2), x, tile_of(i + 2), nrows, rank);
    cp_async_commit();
    if (next) wg_wait<2>(); else wg_wait<0>();
    push_z_any(dl, b0, s0, xbuf(i), P_SLAB, rank, g, t);  // tile i's outputs into xbuf(i) of their owners
    if (next) r_pair_push(dr, q0, rank * KL + 2 * wg, GS + static_cast<u32>((i + 1) & 1) * G_BYTES, g, t);
    proxy_fence_cluster();
    cluster_sync();
  }
  write_out(smem + (xbuf(n - 1) - RS), P_SLAB, z, tile_of(n - 1), nrows, rank);
}
#endif
