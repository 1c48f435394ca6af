// The thinnest layer between the host code of jsae_sae.cu and what runs the kernels: the CUDA runtime and
// cuBLAS on a GPU, or host memory and a host GEMM under the emulation. Nothing else in the host code knows
// which of the two it is built for.
#ifndef JSAE_RUNTIME_H
#define JSAE_RUNTIME_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <sys/mman.h>
#include <vector>

#include "jsae_device.h"

#ifdef JSAE_EMULATION
#include <chrono>
#include <thread>
#include <unistd.h>
typedef void* jsae_stream;
#else
#include <dlfcn.h>
typedef cudaStream_t jsae_stream;
#endif

// Result of a runtime call: 0, or a code whose text rt_error_string gives.
typedef int rt_status;

// Host memory for the input buffers, on 2 MiB pages: the loader writes a whole batch into one every step, and on
// 4 KiB pages each 4 KiB it writes costs a page walk (a 64 MiB batch spans more pages than the TLB holds); the
// loader ran a few percent faster into 2 MiB pages (jsae-core's DirectBuffers.allocateBatch; docs/performance.md).
// Fresh memory (an mmap of its own: malloc's may be reused, already touched) starting on a 2 MiB boundary, asked
// for 2 MiB pages, then zeroed (the first touch, which takes them); nullptr if it cannot be had. Freed by
// jsae_huge_page_free with the same `bytes`.
static inline size_t jsae_huge_page_size(size_t bytes) {
    const size_t huge = (size_t) 2 << 20;
    return bytes < 1 ? huge : (bytes + huge - 1) / huge * huge;
}
static inline void* jsae_huge_page_alloc(size_t bytes) {
    const size_t huge = (size_t) 2 << 20;
    if (bytes > SIZE_MAX / 2) return nullptr;
    size_t size = jsae_huge_page_size(bytes), span = size + huge;
    char* raw = (char*) mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == (char*) MAP_FAILED) return nullptr;
    char* p = (char*) (((uintptr_t) raw + huge - 1) & ~(uintptr_t) (huge - 1));
    if (p > raw) munmap(raw, (size_t) (p - raw));
    if (raw + span > p + size) munmap(p + size, (size_t) (raw + span - (p + size)));
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE); // a refusal leaves small pages, which work as well
#endif
    memset(p, 0, size); // pages exist before they are registered: what the device reads is what the host wrote
    return p;
}
static inline void jsae_huge_page_free(void* p, size_t bytes) {
    if (p != nullptr) munmap(p, jsae_huge_page_size(bytes));
}

#ifdef JSAE_EMULATION

static inline const char* rt_error_string(rt_status) { return "host emulation failure"; }
static inline rt_status rt_device_count(int* n) {
    *n = 1;
    return 0;
}
static inline std::string rt_describe(int) {
    char line[160];
    snprintf(line, sizeof line, "host emulation of the CUDA kernels on %u threads",
             std::thread::hardware_concurrency());
    return line;
}
static inline rt_status rt_set_device(int) { return 0; }
static inline rt_status rt_stream_create(jsae_stream* s) {
    *s = nullptr;
    return 0;
}
static inline void rt_stream_destroy(jsae_stream) {}
static inline rt_status rt_malloc(void** p, size_t bytes) {
    *p = jsae_emu::device_malloc(bytes);
    return *p ? 0 : 2;
}
static inline void rt_free(void* p) { jsae_emu::device_free(p); }
static inline rt_status rt_host_alloc(void** p, size_t bytes) {
    *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    return *p ? 0 : 2;
}
static inline void rt_host_free(void* p) { free(p); }
static inline rt_status rt_host_alloc_batch(void** p, size_t bytes, int* registered) {
    *registered = 0;
    *p = jsae_huge_page_alloc(bytes);
    return *p ? 0 : 2;
}
static inline void rt_host_free_batch(void* p, size_t bytes, int) { jsae_huge_page_free(p, bytes); }
static inline rt_status rt_copy(void* dst, const void* src, size_t bytes, jsae_stream) {
    memcpy(dst, src, bytes);
    return 0;
}
static inline rt_status rt_memset(void* p, int value, size_t bytes, jsae_stream) {
    memset(p, value, bytes);
    return 0;
}
static inline rt_status rt_sync(jsae_stream) { return 0; }
static inline void rt_mem_info(size_t* free_bytes, size_t* total_bytes) {
    long pages = sysconf(_SC_PHYS_PAGES), avail = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    *total_bytes = (size_t) pages * size;
    *free_bytes = (size_t) avail * size;
}
static inline rt_status rt_allow_dynamic_smem(const void*, size_t) { return 0; }

// Timing: host clock stands in for CUDA events.
typedef double jsae_event;
static inline rt_status rt_event_create(jsae_event* e) {
    *e = 0;
    return 0;
}
static inline void rt_event_destroy(jsae_event) {}
static inline rt_status rt_event_record(jsae_event* e, jsae_stream) {
    *e = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return 0;
}
static inline double rt_event_ms(jsae_event a, jsae_event b) { return b - a; }

static inline std::string& rt_cublas_library() {  // unused by the emulation
    static std::string path;
    return path;
}

// The GEMM stand-in: pre[b, j] = Σ_d xc[b, d] · w[j, d] in float, operands rounded as the precision says (bf16
// operands arrive as bf16 arrays).
struct rt_blas {
    std::string open(int) { return ""; }
    void close() {}
    std::string encoder_gemm(int precision, const float* xc, const jsae_bf16* xc16, const float* w,
                             const jsae_bf16* w16, float* pre, int64_t rows, int64_t d_in, int64_t d_sae,
                             jsae_stream) {
        // Operands as the precision rounds them, widened to float once; then plain float dot products.
        std::vector<float> xs((size_t) (rows * d_in)), ws((size_t) (d_sae * d_in));
        for (int64_t i = 0; i < rows * d_in; i++)
            xs[i] = precision == JSAE_BF16 ? jsae_from_bf16(xc16[i]) : precision == JSAE_TF32 ? jsae_round_tf32(xc[i]) : xc[i];
        for (int64_t i = 0; i < d_sae * d_in; i++)
            ws[i] = precision == JSAE_BF16 ? jsae_from_bf16(w16[i]) : precision == JSAE_TF32 ? jsae_round_tf32(w[i]) : w[i];
        jsae_emu::parallel_for(rows, [&](long long begin, long long end) {
            for (long long b = begin; b < end; b++) {
                const float* x = xs.data() + b * d_in;
                for (int64_t j = 0; j < d_sae; j++) {
                    const float* y = ws.data() + j * d_in;
                    float acc = 0;
                    for (int64_t d = 0; d < d_in; d++) acc += x[d] * y[d];
                    pre[b * d_sae + j] = acc;
                }
            }
        });
        return "";
    }
};

#else  // a real GPU

static inline const char* rt_error_string(rt_status s) { return cudaGetErrorString((cudaError_t) s); }
static inline rt_status rt_device_count(int* n) { return cudaGetDeviceCount(n); }
static inline std::string rt_describe(int device) {
    cudaDeviceProp p;
    cudaError_t e = cudaGetDeviceProperties(&p, device);
    if (e != cudaSuccess) return std::string("device ") + std::to_string(device) + ": " + cudaGetErrorString(e);
    int driver = 0;
    cudaDriverGetVersion(&driver);
    char line[400];
    snprintf(line, sizeof line, "%s, compute capability %d.%d, %.1f GiB, %d SMs, driver CUDA %d.%d", p.name, p.major,
             p.minor, p.totalGlobalMem / 1073741824.0, p.multiProcessorCount, driver / 1000, (driver % 1000) / 10);
    return line;
}
static inline rt_status rt_set_device(int d) { return cudaSetDevice(d); }
static inline rt_status rt_stream_create(jsae_stream* s) { return cudaStreamCreateWithFlags(s, cudaStreamNonBlocking); }
static inline void rt_stream_destroy(jsae_stream s) {
    if (s) cudaStreamDestroy(s);
}
static inline rt_status rt_malloc(void** p, size_t bytes) { return cudaMalloc(p, bytes); }
static inline void rt_free(void* p) { cudaFree(p); }
static inline rt_status rt_host_alloc(void** p, size_t bytes) { return cudaMallocHost(p, bytes); }
static inline void rt_host_free(void* p) { cudaFreeHost(p); }
// An input buffer: memory on 2 MiB pages, page-locked by cudaHostRegister (*registered 1); where the driver
// refuses to register it, the driver's own pinned memory (cudaMallocHost, *registered 0), which works as well.
static inline rt_status rt_host_alloc_batch(void** p, size_t bytes, int* registered) {
    void* m = jsae_huge_page_alloc(bytes);
    if (m != nullptr) {
        if (cudaHostRegister(m, bytes, cudaHostRegisterDefault) == cudaSuccess) {
            *p = m;
            *registered = 1;
            return 0;
        }
        cudaGetLastError(); // the refusal is answered by the fallback, not reported by a later call
        jsae_huge_page_free(m, bytes);
    }
    *registered = 0;
    return cudaMallocHost(p, bytes);
}
static inline void rt_host_free_batch(void* p, size_t bytes, int registered) {
    if (registered) {
        cudaHostUnregister(p);
        jsae_huge_page_free(p, bytes);
    } else {
        cudaFreeHost(p);
    }
}
static inline rt_status rt_copy(void* dst, const void* src, size_t bytes, jsae_stream s) {
    return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, s);
}
static inline rt_status rt_memset(void* p, int value, size_t bytes, jsae_stream s) {
    return cudaMemsetAsync(p, value, bytes, s);
}
static inline rt_status rt_sync(jsae_stream s) { return cudaStreamSynchronize(s); }
static inline void rt_mem_info(size_t* free_bytes, size_t* total_bytes) {
    if (cudaMemGetInfo(free_bytes, total_bytes) != cudaSuccess) *free_bytes = *total_bytes = 0;
}
// Lets a kernel use `bytes` of dynamic shared memory. The attribute belongs to the kernel in the whole process
// (per device), not to one SAE, so it is always raised to the device's opt-in maximum (less the kernel's static
// shared memory): SAEs of different shapes never lower it under each other.
static inline rt_status rt_allow_dynamic_smem(const void* kernel, size_t bytes) {
    int device = 0, optin = 0;
    cudaError_t e = cudaGetDevice(&device);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
    cudaFuncAttributes fa;
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&fa, kernel);
    if (e != cudaSuccess) return e;
    size_t room = (size_t) optin > fa.sharedSizeBytes ? (size_t) optin - fa.sharedSizeBytes : 0;
    if (bytes > room) return cudaErrorInvalidValue;
    return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int) room);
}

typedef cudaEvent_t jsae_event;
static inline rt_status rt_event_create(jsae_event* e) { return cudaEventCreate(e); }
static inline void rt_event_destroy(jsae_event e) {
    if (e) cudaEventDestroy(e);
}
static inline rt_status rt_event_record(jsae_event* e, jsae_stream s) { return cudaEventRecord(*e, s); }
static inline double rt_event_ms(jsae_event a, jsae_event b) {
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    return ms;
}

static inline std::string& rt_cublas_library() {
    static std::string path;
    return path;
}

// cuBLAS, opened at run time: a file set through the API (the redist jar's), JSAE_CUBLAS's file, then the
// toolkit's, the Python nvidia-cublas package's or any on the loader path. Only the handful of entry points the encoder GEMM needs.
struct rt_blas {
    typedef int (*create_fn)(void**);
    typedef int (*destroy_fn)(void*);
    typedef int (*set_stream_fn)(void*, cudaStream_t);
    typedef int (*gemm_ex_fn)(void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int,
                              int, const void*, void*, int, int, int, int);
    typedef const char* (*status_fn)(int);
    void* lib = nullptr;
    void* handle = nullptr;
    create_fn create = nullptr;
    destroy_fn destroy = nullptr;
    set_stream_fn set_stream = nullptr;
    gemm_ex_fn gemm_ex = nullptr;
    status_fn status_string = nullptr;

    std::string open(int) {
        const char* forced = getenv("JSAE_CUBLAS");
        const std::string& set = rt_cublas_library();
        if (!set.empty()) {
            // libcublas needs its sibling libcublasLt: load it from the same folder first.
            std::string lt = set.substr(0, set.rfind('/') + 1) + "libcublasLt" + set.substr(set.rfind("/libcublas") + 10);
            dlopen(lt.c_str(), RTLD_NOW | RTLD_GLOBAL);
        }
        const char* names[] = {set.empty() ? nullptr : set.c_str(), forced, "libcublas.so.13", "libcublas.so.12",
                               "libcublas.so.11", "libcublas.so"};
        std::string tried;
        for (const char* n : names) {
            if (!n) continue;
            lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
            if (lib) break;
            tried += std::string(tried.empty() ? "" : "; ") + dlerror();
        }
        if (!lib)
            return "cuBLAS could not be loaded (" + tried +
                   "); install the CUDA toolkit's libcublas, or the Python package nvidia-cublas and put its lib folder "
                   "on LD_LIBRARY_PATH, or name the library file in JSAE_CUBLAS";
        create = (create_fn) dlsym(lib, "cublasCreate_v2");
        destroy = (destroy_fn) dlsym(lib, "cublasDestroy_v2");
        set_stream = (set_stream_fn) dlsym(lib, "cublasSetStream_v2");
        gemm_ex = (gemm_ex_fn) dlsym(lib, "cublasGemmEx");
        status_string = (status_fn) dlsym(lib, "cublasGetStatusString");
        if (!create || !destroy || !set_stream || !gemm_ex) return "the loaded cuBLAS lacks cublasGemmEx or cublasCreate_v2";
        int st = create(&handle);
        if (st != 0) return "cublasCreate failed: " + status(st);
        return "";
    }
    std::string status(int st) {
        return status_string ? std::string(status_string(st)) : "cuBLAS status " + std::to_string(st);
    }
    void close() {
        if (handle) destroy(handle);
        handle = nullptr;
    }
    // pre (row-major [rows, d_sae]) = xc (row-major [rows, d_in]) · wᵀ (w row-major [d_sae, d_in]); in cuBLAS's
    // column-major terms C[d_sae, rows] = op_T(W[d_in, d_sae]) · X[d_in, rows].
    std::string encoder_gemm(int precision, const float* xc, const jsae_bf16* xc16, const float* w,
                             const jsae_bf16* w16, float* pre, int64_t rows, int64_t d_in, int64_t d_sae,
                             cudaStream_t stream) {
        const int OP_N = 0, OP_T = 1, R_32F = 0, R_16BF = 14, COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77,
                  GEMM_DEFAULT = -1;
        int st = set_stream(handle, stream);
        if (st != 0) return "cublasSetStream: " + status(st);
        float one = 1.0f, zero = 0.0f;
        bool bf16 = precision == JSAE_BF16;
        int compute = precision == JSAE_TF32 ? COMPUTE_32F_FAST_TF32 : COMPUTE_32F;
        st = gemm_ex(handle, OP_T, OP_N, (int) d_sae, (int) rows, (int) d_in, &one, bf16 ? (const void*) w16 : w,
                     bf16 ? R_16BF : R_32F, (int) d_in, bf16 ? (const void*) xc16 : xc, bf16 ? R_16BF : R_32F,
                     (int) d_in, &zero, pre, R_32F, (int) d_sae, compute, GEMM_DEFAULT);
        if (st != 0) return "cublasGemmEx (encoder): " + status(st);
        return "";
    }
};

#endif

#endif
