// Definitions shared by the CUDA kernels of this folder; _nvrtc.compile_kernel puts this file before each source.
// The 16-bit data are bfloat16, or float16 where the source is compiled with -DHALF.

typedef unsigned int u32;
typedef unsigned short bf16;  // the 16-bit data, bfloat16 or (HALF) float16
#ifdef HALF
#define TYPE "f16"
#else
#define TYPE "bf16"
#endif

// 16 bytes global -> shared, asynchronously; src_bytes < 16 fills the rest with zeros.
__device__ __forceinline__ void cp_async16(u32 dst, const void* src, u32 src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int PENDING>  // waits until at most PENDING of this thread's committed groups are still in flight
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(PENDING) : "memory"); }

// d += a b for a 16 x 16 A fragment (a0..a3) and a 16 x 8 B fragment (b0, b1), float32 accumulators.
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
