// The portability layer between the kernels and the two places they run: a real GPU (nvcc, CUDA runtime) or
// the host emulation (g++, emulation/jsae_emulation.h, defined by JSAE_EMULATION). Kernels use only what is
// named here: dptr<T> for global pointers (a checked pointer under emulation), JSAE_SHARED and
// JSAE_DYNAMIC_SHARED for shared memory, JSAE_LAUNCH to start a kernel, and the CUDA built-ins the emulation
// provides. bf16 is a 16-bit storage type with explicit conversions, identical on both sides.
#ifndef JSAE_DEVICE_H
#define JSAE_DEVICE_H

#include <stdint.h>
#include <string.h>

#ifdef JSAE_EMULATION
#include "emulation/jsae_emulation.h"
#define JSAE_HD inline
// Launches through the emulation's launch helper; the kernel's arguments are captured by value.
#define JSAE_LAUNCH(ctx, kernel, grid, block, smem, ...) \
    (ctx)->launched(#kernel, jsae_emu::launch(#kernel, dim3(grid), dim3(block), (smem), [=]() { kernel(__VA_ARGS__); }))
#else
#include <cuda_runtime.h>
template <class T>
using dptr = T*;
template <class U, class T>
__host__ __device__ inline U* dptr_cast(T* p) {
    return reinterpret_cast<U*>(p);
}
#define JSAE_HD __host__ __device__ inline
#define JSAE_SHARED(type, name, count) __shared__ type name[count]
#define JSAE_DYNAMIC_SHARED(type, name)                        \
    extern __shared__ __align__(16) unsigned char jsae_smem_[]; \
    type* name = reinterpret_cast<type*>(jsae_smem_)
#define JSAE_LAUNCH(ctx, kernel, grid, block, smem, ...)                      \
    do {                                                                      \
        kernel<<<dim3(grid), dim3(block), (smem), (ctx)->stream>>>(__VA_ARGS__); \
        (ctx)->launched(#kernel, (int) cudaGetLastError());                   \
    } while (0)
#endif

// bfloat16 as raw bits: round to nearest even from float, widen exactly.
typedef uint16_t jsae_bf16;
JSAE_HD jsae_bf16 jsae_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (jsae_bf16) ((u >> 16) | 0x40u);  // NaN stays NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (jsae_bf16) (u >> 16);
}
JSAE_HD float jsae_from_bf16(jsae_bf16 h) {
    uint32_t u = ((uint32_t) h) << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
// IEEE binary16 widened to float exactly, in integer arithmetic (no half type needed, the same bits on both
// sides): normals rebiased, subnormals normalized, infinities kept, NaN stays NaN with its payload, -0 kept.
JSAE_HD float jsae_from_f16(uint16_t h) {
    uint32_t sign = (uint32_t) (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, u;
    if (e == 0x1fu) {
        u = sign | 0x7f800000u | (m << 13);
    } else if (e != 0) {
        u = sign | ((e + 112u) << 23) | (m << 13);
    } else if (m == 0) {
        u = sign;
    } else {  // m·2^-24: shift the leading one to bit 10, lowering the exponent once per shift
        e = 113;
        while (!(m & 0x400u)) {
            m <<= 1;
            e--;
        }
        u = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}
// TF32 as cuBLAS's emulation-free reference: float rounded to nearest even at 10 mantissa bits.
JSAE_HD float jsae_round_tf32(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) >= 0x7f800000u) return f;
    u += 0xfffu + ((u >> 13) & 1u);
    u &= 0xffffe000u;
    memcpy(&f, &u, 4);
    return f;
}

// Orderable key of a float: larger float, larger key (the same total order as Double.compare on floats).
JSAE_HD uint32_t jsae_key(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

#endif
