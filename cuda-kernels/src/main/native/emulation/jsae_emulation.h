// Host emulation of the CUDA built-ins used by the project's kernels.
//
// Kernel sources include this header instead of cuda_runtime.h when JSAE_EMULATION is defined. The same
// .cu text then compiles with g++ and runs on the CPU: a launch runs the grid's blocks on a pool of worker
// threads, one block at a time per worker, and each CUDA thread of a block is a fiber on that worker.
//
// What a kernel may use (see the report in the project docs for the full list and limits):
//   threadIdx, blockIdx, blockDim, gridDim, dim3, warpSize
//   __syncthreads(), __syncthreads_count/_and/_or, __syncwarp(mask)
//   __shfl_sync, __shfl_up_sync, __shfl_down_sync, __shfl_xor_sync, __ballot_sync, __any_sync, __all_sync,
//   __activemask, __reduce_{add,min,max,and,or,xor}_sync
//   JSAE_SHARED(type, name, count), JSAE_DYNAMIC_SHARED(type, name), dptr<T>, dptr_cast<U>(p)
//   atomicAdd/Sub/Max/Min/CAS/Or/And/Xor/Exch, __threadfence(), __threadfence_block(), bit and float intrinsics,
//   __ldg, min/max.
// Errors (out-of-bounds index, barrier divergence, deadlock, bad warp mask) never crash or hang: the launch
// returns non-zero and jsae_emu::last_error() says what happened, in which kernel, block and thread.
//
// Limits a kernel must respect here (all are bugs or undefined behaviour on a GPU too, or are noted):
// - Shared memory only through JSAE_SHARED / JSAE_DYNAMIC_SHARED (a bare __shared__ fails to compile); declare
//   JSAE_DYNAMIC_SHARED inside the kernel function. Pass shared arrays on as dptr (the array itself or s + n),
//   not as s.data() or &s[0] (raw pointers into shared memory are not registered).
// - Kernel pointer parameters as dptr<T>; raw pointers given to a launch must come from device_malloc (or
//   register_memory). A dptr made from any other pointer faults on first use.
// - Every thread of a block reaches every __syncthreads(), and no thread exits while others still have one
//   ahead (an early `return` before a barrier is reported). A warp operation's mask names only existing,
//   non-exited lanes, including the caller, and all of them make the same call with the same mask.
// - No spin-waiting on another thread or block (a flag loop without a barrier never yields: it hangs).
//   Blocks run in any order, some in parallel; nothing may depend on two blocks running at the same time.
// - Lanes are not in lockstep: the lane that completes a warp operation runs on alone until it blocks.
//   Code must not rely on implicit warp synchronicity; __activemask() is "existing lanes that have not exited".
// - 64 KiB stack per CUDA thread (JSAE_EMU_STACK_KB to change): no large local arrays. A stack overflow hits
//   a guard page and ends the process (there is no signal handler in a JVM).
// - Do not include cuda_runtime.h or other CUDA headers in the same translation unit.
#ifndef JSAE_EMULATION_H
#define JSAE_EMULATION_H

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <math.h>

// ---------------------------------------------------------------------------------------------------------
// Vector and index types
// ---------------------------------------------------------------------------------------------------------

struct uint3 {
    unsigned int x, y, z;
};

struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};

struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(8) uint2 { unsigned int x, y; };
struct alignas(16) uint4 { unsigned int x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct float3 { float x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) double2 { double x, y; };
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
inline uint2 make_uint2(unsigned int x, unsigned int y) { return uint2{x, y}; }
inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return uint4{x, y, z, w}; }
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline double2 make_double2(double x, double y) { return double2{x, y}; }

constexpr int warpSize = 32;

// The built-in index variables. They belong to the worker OS thread; the runtime rewrites threadIdx at
// every fiber switch and the other three once per block. Read them like CUDA's; never write them.
extern __thread uint3 threadIdx;
extern __thread uint3 blockIdx;
extern __thread uint3 blockDim;
extern __thread uint3 gridDim;

// ---------------------------------------------------------------------------------------------------------
// Runtime API
// ---------------------------------------------------------------------------------------------------------

namespace jsae_emu {

// Runs kernel_name's grid synchronously: every block of grid, blocks in parallel on the worker pool, each of
// block's threads a fiber calling body(). Returns 0 on success; 1 for an invalid launch configuration, 2 for an
// error detected while running (then other blocks may have been skipped). Never throws, never aborts.
int launch(const char* kernel_name, dim3 grid, dim3 block, std::size_t dynamic_smem_bytes,
           const std::function<void()>& body);

// The error of the calling thread's most recent launch ("" when it succeeded); a thread that never launched
// gets the most recent launch's of any thread. The pointer stays valid until this thread calls it again.
const char* last_error();

// Device-memory stand-ins: 64-byte aligned, registered so that dptr<T> knows their bounds, filled with 0xFF
// bytes (like uninitialized memory, NaN as floats). device_malloc returns nullptr when out of memory.
void* device_malloc(std::size_t bytes);
void device_free(void* p);  // nullptr and unknown pointers are ignored
std::size_t device_bytes_in_use();

// Registers memory the caller owns (a host buffer used as a kernel argument) so dptr accepts it; unregister
// before freeing it. device_bytes_in_use() does not count it.
void register_memory(const void* p, std::size_t bytes);
void unregister_memory(const void* p);

// Splits [0, n) into chunks run by the worker pool (host code only: no fibers, no built-ins). Returns when all
// chunks are done; rethrows the first exception a chunk threw. Called from a worker, runs inline.
void parallel_for(long long n, const std::function<void(long long begin, long long end)>& body);

// Worker threads of the pool (JSAE_EMU_THREADS, else std::thread::hardware_concurrency()).
int worker_count();

template <class T>
class dptr;

namespace detail {

struct bounded_tag {};
struct bounds {
    const char* lo;
    const char* hi;
};

template <class T>
struct type_identity {
    using type = T;
};

// Looks p up in the registry: the bounds of the allocation holding p (or ending at p); {nullptr, nullptr}
// when p is null or not registered.
bounds lookup(const void* p);

// "T = float" style description of T, for messages.
template <class T>
inline const char* type_label() {
    return __PRETTY_FUNCTION__;
}

[[noreturn]] void global_fault(const void* p, long long index, std::size_t elem_size, const char* lo,
                               const char* hi, const char* type_pretty);
[[noreturn]] void shared_fault(long long index, std::size_t count, std::size_t elem_size, const char* type_pretty);
// Records msg as the launch's error and switches the current fiber out for good; outside a launch it throws
// std::runtime_error(msg).
[[noreturn]] void fail(const char* msg);

extern __thread unsigned long long block_epoch;

void syncthreads();
int syncthreads_reduce(int kind, int pred);  // kind: 0 count, 1 and, 2 or

enum warp_kind : int {
    WARP_SYNC = 0,
    WARP_SHFL_IDX,
    WARP_SHFL_UP,
    WARP_SHFL_DOWN,
    WARP_SHFL_XOR,
    WARP_VOTE,
    WARP_REDUCE_ADD,
    WARP_REDUCE_MIN_U,
    WARP_REDUCE_MAX_U,
    WARP_REDUCE_MIN_I,
    WARP_REDUCE_MAX_I,
    WARP_REDUCE_AND,
    WARP_REDUCE_OR,
    WARP_REDUCE_XOR,
    WARP_KIND_COUNT
};
unsigned long long warp_op(int kind, unsigned mask, unsigned long long value, int arg, int width);
unsigned active_mask();

void* dynamic_smem_base(std::size_t* bytes);

// Nanoseconds per raw fiber context switch, measured with round_trips ping-pongs on the calling thread.
double measure_switch_ns(long long round_trips);

template <class T>
inline unsigned long long to_bits(T v) {
    static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8,
                  "warp shuffles take trivially copyable values of at most 8 bytes");
    unsigned long long b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}
template <class T>
inline T from_bits(unsigned long long b) {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}

template <class To, class From>
inline To bit_cast(From v) {
    static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
    To r;
    std::memcpy(&r, &v, sizeof(To));
    return r;
}

// Same-type helpers for min/max.
template <class T>
inline T min_same(T a, T b) {
    return b < a ? b : a;
}
template <class T>
inline T max_same(T a, T b) {
    return a < b ? b : a;
}
template <>
inline float min_same<float>(float a, float b) {
    return fminf(a, b);
}
template <>
inline float max_same<float>(float a, float b) {
    return fmaxf(a, b);
}
template <>
inline double min_same<double>(double a, double b) {
    return fmin(a, b);
}
template <>
inline double max_same<double>(double a, double b) {
    return fmax(a, b);
}
template <>
inline long double min_same<long double>(long double a, long double b) {
    return fminl(a, b);
}
template <>
inline long double max_same<long double>(long double a, long double b) {
    return fmaxl(a, b);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------------------
// dptr<T>: a bounds-checked device pointer. In CUDA builds kernels see dptr<T> as T*.
// ---------------------------------------------------------------------------------------------------------
template <class T>
class dptr {
    static_assert(!std::is_void<T>::value, "dptr<void> is not supported; use dptr<unsigned char>");

public:
    using element_type = T;

    dptr() noexcept : p_(nullptr), lo_(nullptr), hi_(nullptr) {}
    dptr(std::nullptr_t) noexcept : p_(nullptr), lo_(nullptr), hi_(nullptr) {}
    dptr(T* p) : p_(p), lo_(nullptr), hi_(nullptr) {  // NOLINT: implicit like a raw pointer
        if (p != nullptr) {
            detail::bounds b = detail::lookup(static_cast<const void*>(p));
            lo_ = b.lo;
            hi_ = b.hi;
        }
    }
    template <class U, typename std::enable_if<std::is_same<const U, T>::value && !std::is_same<U, T>::value,
                                               int>::type = 0>
    dptr(const dptr<U>& o) noexcept : p_(o.get()), lo_(o.lower_bound()), hi_(o.upper_bound()) {}
    dptr(T* p, const char* lo, const char* hi, detail::bounded_tag) noexcept : p_(p), lo_(lo), hi_(hi) {}

    T& operator[](long long i) const { return *checked(i); }
    T& operator*() const { return *checked(0); }
    T* operator->() const { return checked(0); }
    T* get() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }

    dptr operator+(long long n) const noexcept { return dptr(moved(n), lo_, hi_, detail::bounded_tag{}); }
    dptr operator-(long long n) const noexcept { return dptr(moved(-n), lo_, hi_, detail::bounded_tag{}); }
    friend dptr operator+(long long n, const dptr& p) noexcept { return p + n; }
    dptr& operator+=(long long n) noexcept {
        p_ = moved(n);
        return *this;
    }
    dptr& operator-=(long long n) noexcept {
        p_ = moved(-n);
        return *this;
    }
    dptr& operator++() noexcept { return *this += 1; }
    dptr& operator--() noexcept { return *this -= 1; }
    dptr operator++(int) noexcept {
        dptr r(*this);
        *this += 1;
        return r;
    }
    dptr operator--(int) noexcept {
        dptr r(*this);
        *this -= 1;
        return r;
    }
    friend std::ptrdiff_t operator-(const dptr& a, const dptr& b) noexcept {
        return (reinterpret_cast<std::intptr_t>(a.p_) - reinterpret_cast<std::intptr_t>(b.p_)) /
               static_cast<std::ptrdiff_t>(sizeof(T));
    }
    friend bool operator==(const dptr& a, const dptr& b) noexcept { return a.p_ == b.p_; }
    friend bool operator!=(const dptr& a, const dptr& b) noexcept { return a.p_ != b.p_; }
    friend bool operator<(const dptr& a, const dptr& b) noexcept { return a.p_ < b.p_; }
    friend bool operator<=(const dptr& a, const dptr& b) noexcept { return a.p_ <= b.p_; }
    friend bool operator>(const dptr& a, const dptr& b) noexcept { return a.p_ > b.p_; }
    friend bool operator>=(const dptr& a, const dptr& b) noexcept { return a.p_ >= b.p_; }

    // The byte bounds [lower_bound(), upper_bound()) this pointer may touch.
    const char* lower_bound() const noexcept { return lo_; }
    const char* upper_bound() const noexcept { return hi_; }

private:
    T* moved(long long n) const noexcept {
        return reinterpret_cast<T*>(reinterpret_cast<std::uintptr_t>(p_) +
                                    static_cast<std::uintptr_t>(n) * sizeof(T));
    }
    T* checked(long long i) const {
        std::uintptr_t a = reinterpret_cast<std::uintptr_t>(moved(i));
        if (__builtin_expect(a < reinterpret_cast<std::uintptr_t>(lo_) ||
                                 a + sizeof(T) > reinterpret_cast<std::uintptr_t>(hi_) ||
                                 a + sizeof(T) < a,
                             0)) {
            detail::global_fault(p_, i, sizeof(T), lo_, hi_, detail::type_label<T>());
        }
        return reinterpret_cast<T*>(a);
    }

    T* p_;
    const char* lo_;
    const char* hi_;
};

// Reinterprets p as a pointer to U with the same byte bounds.
template <class U, class T>
inline dptr<U> dptr_cast(dptr<T> p) noexcept {
    return dptr<U>(reinterpret_cast<U*>(const_cast<typename std::remove_cv<T>::type*>(p.get())), p.lower_bound(),
                   p.upper_bound(), detail::bounded_tag{});
}

// ---------------------------------------------------------------------------------------------------------
// Shared memory
// ---------------------------------------------------------------------------------------------------------

// A block's shared array. Declared only through JSAE_SHARED, as a static thread_local: a worker runs one block
// at a time, so each running block has its own copy. The first access in each block fills it with 0xFF bytes.
template <class T, std::size_t N>
struct shared_array {
    static_assert(N > 0, "JSAE_SHARED needs a positive count");
    static_assert(std::is_trivially_copyable<T>::value, "shared arrays hold trivially copyable types");

    T elems_[N];
    unsigned long long epoch_;

    void touch() {
        if (__builtin_expect(epoch_ != detail::block_epoch, 0)) {
            std::memset(static_cast<void*>(elems_), 0xFF, sizeof(elems_));
            epoch_ = detail::block_epoch;
        }
    }
    T& operator[](long long i) {
        touch();
        if (__builtin_expect(static_cast<unsigned long long>(i) >= N, 0)) {
            detail::shared_fault(i, N, sizeof(T), detail::type_label<T>());
        }
        return elems_[i];
    }
    template <class U, typename std::enable_if<std::is_same<U, T>::value || std::is_same<U, const T>::value,
                                               int>::type = 0>
    operator dptr<U>() {
        touch();
        return dptr<U>(elems_, reinterpret_cast<const char*>(elems_), reinterpret_cast<const char*>(elems_ + N),
                       detail::bounded_tag{});
    }
    dptr<T> ptr() { return *this; }
    dptr<T> operator+(long long n) { return ptr() + n; }
    T* data() {
        touch();
        return elems_;
    }
    static constexpr std::size_t size() { return N; }
};

namespace detail {
template <class T>
inline dptr<T> dynamic_shared() {
    std::size_t bytes = 0;
    char* base = static_cast<char*>(dynamic_smem_base(&bytes));
    return dptr<T>(reinterpret_cast<T*>(base), base, base + bytes, bounded_tag{});
}
}  // namespace detail

}  // namespace jsae_emu

using jsae_emu::dptr;
using jsae_emu::dptr_cast;

// JSAE_SHARED(float, partial, 256);   ~   __shared__ float partial[256];
// (no trailing semicolon in the macro; index with [], convert to dptr<T> to pass it on)
#define JSAE_SHARED(type, name, count) static thread_local ::jsae_emu::shared_array<type, (count)> name
// JSAE_DYNAMIC_SHARED(float, buf);    ~   extern __shared__ float buf[];   (inside the kernel function)
#define JSAE_DYNAMIC_SHARED(type, name) ::jsae_emu::dptr<type> name = ::jsae_emu::detail::dynamic_shared<type>()

// Convenience: JSAE_EMU_LAUNCH(kernel, grid, block, smem, args...) runs kernel(args...) on every thread.
#define JSAE_EMU_LAUNCH(kernel, grid, block, smem, ...) \
    ::jsae_emu::launch(#kernel, (grid), (block), (smem), [&]() { kernel(__VA_ARGS__); })

// ---------------------------------------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
// dptr parameters are class objects, which restrict cannot qualify.
#define __restrict__
#define __shared__ static_assert(false, "use JSAE_SHARED(type, name, count) instead of __shared__");

// ---------------------------------------------------------------------------------------------------------
// Barriers and warp operations
// ---------------------------------------------------------------------------------------------------------
inline void __syncthreads() { jsae_emu::detail::syncthreads(); }
inline int __syncthreads_count(int pred) { return jsae_emu::detail::syncthreads_reduce(0, pred); }
inline int __syncthreads_and(int pred) { return jsae_emu::detail::syncthreads_reduce(1, pred); }
inline int __syncthreads_or(int pred) { return jsae_emu::detail::syncthreads_reduce(2, pred); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    jsae_emu::detail::warp_op(jsae_emu::detail::WARP_SYNC, mask, 0, 0, 32);
}
inline unsigned __activemask() { return jsae_emu::detail::active_mask(); }

template <class T>
inline T __shfl_sync(unsigned mask, T var, int srcLane, int width = warpSize) {
    return jsae_emu::detail::from_bits<T>(jsae_emu::detail::warp_op(
        jsae_emu::detail::WARP_SHFL_IDX, mask, jsae_emu::detail::to_bits(var), srcLane, width));
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {
    return jsae_emu::detail::from_bits<T>(jsae_emu::detail::warp_op(
        jsae_emu::detail::WARP_SHFL_UP, mask, jsae_emu::detail::to_bits(var), static_cast<int>(delta), width));
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {
    return jsae_emu::detail::from_bits<T>(jsae_emu::detail::warp_op(
        jsae_emu::detail::WARP_SHFL_DOWN, mask, jsae_emu::detail::to_bits(var), static_cast<int>(delta), width));
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = warpSize) {
    return jsae_emu::detail::from_bits<T>(jsae_emu::detail::warp_op(
        jsae_emu::detail::WARP_SHFL_XOR, mask, jsae_emu::detail::to_bits(var), laneMask, width));
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
    return static_cast<unsigned>(jsae_emu::detail::warp_op(jsae_emu::detail::WARP_VOTE, mask, pred != 0, 0, 32));
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == mask; }

inline unsigned __reduce_add_sync(unsigned mask, unsigned value) {
    return static_cast<unsigned>(jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_ADD, mask, value, 0, 32));
}
inline int __reduce_add_sync(unsigned mask, int value) {
    return static_cast<int>(__reduce_add_sync(mask, static_cast<unsigned>(value)));
}
inline unsigned __reduce_min_sync(unsigned mask, unsigned value) {
    return static_cast<unsigned>(
        jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_MIN_U, mask, value, 0, 32));
}
inline unsigned __reduce_max_sync(unsigned mask, unsigned value) {
    return static_cast<unsigned>(
        jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_MAX_U, mask, value, 0, 32));
}
inline int __reduce_min_sync(unsigned mask, int value) {
    return static_cast<int>(jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_MIN_I, mask,
                                                      static_cast<unsigned>(value), 0, 32));
}
inline int __reduce_max_sync(unsigned mask, int value) {
    return static_cast<int>(jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_MAX_I, mask,
                                                      static_cast<unsigned>(value), 0, 32));
}
inline unsigned __reduce_and_sync(unsigned mask, unsigned value) {
    return static_cast<unsigned>(jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_AND, mask, value, 0, 32));
}
inline unsigned __reduce_or_sync(unsigned mask, unsigned value) {
    return static_cast<unsigned>(jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_OR, mask, value, 0, 32));
}
inline unsigned __reduce_xor_sync(unsigned mask, unsigned value) {
    return static_cast<unsigned>(jsae_emu::detail::warp_op(jsae_emu::detail::WARP_REDUCE_XOR, mask, value, 0, 32));
}

// ---------------------------------------------------------------------------------------------------------
// Fences
// ---------------------------------------------------------------------------------------------------------
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---------------------------------------------------------------------------------------------------------
// Atomics (return the old value, like CUDA's)
// ---------------------------------------------------------------------------------------------------------
namespace jsae_emu {
namespace detail {
template <class T>
inline T atomic_fetch_max(T* a, T v) {
    T old = __atomic_load_n(a, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <class T>
inline T atomic_fetch_min(T* a, T v) {
    T old = __atomic_load_n(a, __ATOMIC_RELAXED);
    while (v < old && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <class T>
inline T atomic_fetch_add_fp(T* a, T v) {
    T old;
    __atomic_load(a, &old, __ATOMIC_RELAXED);
    for (;;) {
        T next = old + v;
        if (__atomic_compare_exchange(a, &old, &next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return old;
    }
}
template <class T>
inline T atomic_cas(T* a, T compare, T val) {
    __atomic_compare_exchange_n(a, &compare, val, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return compare;
}
}  // namespace detail
}  // namespace jsae_emu

inline int atomicAdd(int* a, int v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicAdd(unsigned* a, unsigned v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* a, unsigned long long v) {
    return __atomic_fetch_add(a, v, __ATOMIC_RELAXED);
}
inline long long atomicAdd(long long* a, long long v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline float atomicAdd(float* a, float v) { return jsae_emu::detail::atomic_fetch_add_fp(a, v); }
inline double atomicAdd(double* a, double v) { return jsae_emu::detail::atomic_fetch_add_fp(a, v); }

inline int atomicSub(int* a, int v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicSub(unsigned* a, unsigned v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }

inline int atomicMax(int* a, int v) { return jsae_emu::detail::atomic_fetch_max(a, v); }
inline unsigned atomicMax(unsigned* a, unsigned v) { return jsae_emu::detail::atomic_fetch_max(a, v); }
inline unsigned long long atomicMax(unsigned long long* a, unsigned long long v) {
    return jsae_emu::detail::atomic_fetch_max(a, v);
}
inline long long atomicMax(long long* a, long long v) { return jsae_emu::detail::atomic_fetch_max(a, v); }
inline int atomicMin(int* a, int v) { return jsae_emu::detail::atomic_fetch_min(a, v); }
inline unsigned atomicMin(unsigned* a, unsigned v) { return jsae_emu::detail::atomic_fetch_min(a, v); }
inline unsigned long long atomicMin(unsigned long long* a, unsigned long long v) {
    return jsae_emu::detail::atomic_fetch_min(a, v);
}
inline long long atomicMin(long long* a, long long v) { return jsae_emu::detail::atomic_fetch_min(a, v); }

inline int atomicCAS(int* a, int compare, int val) { return jsae_emu::detail::atomic_cas(a, compare, val); }
inline unsigned atomicCAS(unsigned* a, unsigned compare, unsigned val) {
    return jsae_emu::detail::atomic_cas(a, compare, val);
}
inline unsigned long long atomicCAS(unsigned long long* a, unsigned long long compare, unsigned long long val) {
    return jsae_emu::detail::atomic_cas(a, compare, val);
}

inline int atomicOr(int* a, int v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicOr(unsigned* a, unsigned v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicOr(unsigned long long* a, unsigned long long v) {
    return __atomic_fetch_or(a, v, __ATOMIC_RELAXED);
}
inline int atomicAnd(int* a, int v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicAnd(unsigned* a, unsigned v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAnd(unsigned long long* a, unsigned long long v) {
    return __atomic_fetch_and(a, v, __ATOMIC_RELAXED);
}
inline int atomicXor(int* a, int v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicXor(unsigned* a, unsigned v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicXor(unsigned long long* a, unsigned long long v) {
    return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED);
}

inline int atomicExch(int* a, int v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicExch(unsigned* a, unsigned v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicExch(unsigned long long* a, unsigned long long v) {
    return __atomic_exchange_n(a, v, __ATOMIC_RELAXED);
}
inline float atomicExch(float* a, float v) {
    float old;
    __atomic_exchange(a, &v, &old, __ATOMIC_RELAXED);
    return old;
}

// The same on a dptr (bounds-checked): atomicAdd(counts + i, 1) as well as atomicAdd(&counts[i], 1).
#define JSAE_EMU_DPTR_ATOMIC2(name)                                                              \
    template <class T>                                                                           \
    inline T name(dptr<T> p, typename jsae_emu::detail::type_identity<T>::type v) {              \
        return name(&*p, v);                                                                     \
    }
JSAE_EMU_DPTR_ATOMIC2(atomicAdd)
JSAE_EMU_DPTR_ATOMIC2(atomicSub)
JSAE_EMU_DPTR_ATOMIC2(atomicMax)
JSAE_EMU_DPTR_ATOMIC2(atomicMin)
JSAE_EMU_DPTR_ATOMIC2(atomicOr)
JSAE_EMU_DPTR_ATOMIC2(atomicAnd)
JSAE_EMU_DPTR_ATOMIC2(atomicXor)
JSAE_EMU_DPTR_ATOMIC2(atomicExch)
#undef JSAE_EMU_DPTR_ATOMIC2
template <class T>
inline T atomicCAS(dptr<T> p, typename jsae_emu::detail::type_identity<T>::type compare,
                   typename jsae_emu::detail::type_identity<T>::type val) {
    return atomicCAS(&*p, compare, val);
}

// ---------------------------------------------------------------------------------------------------------
// Intrinsics
// ---------------------------------------------------------------------------------------------------------
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(x)); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned int __brev(unsigned int x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    return __builtin_bswap32(x);
}
inline unsigned long long __brevll(unsigned long long x) {
    return (static_cast<unsigned long long>(__brev(static_cast<unsigned int>(x))) << 32) |
           __brev(static_cast<unsigned int>(x >> 32));
}
inline unsigned int __float_as_uint(float f) { return jsae_emu::detail::bit_cast<unsigned int>(f); }
inline float __uint_as_float(unsigned int u) { return jsae_emu::detail::bit_cast<float>(u); }
inline int __float_as_int(float f) { return jsae_emu::detail::bit_cast<int>(f); }
inline float __int_as_float(int i) { return jsae_emu::detail::bit_cast<float>(i); }
inline long long __double_as_longlong(double d) { return jsae_emu::detail::bit_cast<long long>(d); }
inline double __longlong_as_double(long long l) { return jsae_emu::detail::bit_cast<double>(l); }

template <class T>
inline T __ldg(const T* p) {
    return *p;
}
template <class T>
inline typename std::remove_cv<T>::type __ldg(dptr<T> p) {
    return *p;
}

// Fast-math spellings, computed with the ordinary functions. rsqrtf/rsqrt are templates so that a C library
// that declares them (C23) wins overload resolution instead of clashing.
template <int = 0>
inline float rsqrtf(float x) {
    return 1.0f / sqrtf(x);
}
template <int = 0>
inline double rsqrt(double x) {
    return 1.0 / sqrt(x);
}
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanhf(float x) { return tanhf(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __saturatef(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }
inline float __fmaf_rn(float x, float y, float z) { return fmaf(x, y, z); }
inline float __fadd_rn(float x, float y) { return x + y; }
inline float __fmul_rn(float x, float y) { return x * y; }
inline float __fdiv_rn(float x, float y) { return x / y; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline double __fma_rn(double x, double y, double z) { return fma(x, y, z); }
inline int __float2int_rn(float x) { return static_cast<int>(nearbyintf(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(x); }
inline float __int2float_rn(int x) { return static_cast<float>(x); }
inline float __uint2float_rn(unsigned int x) { return static_cast<float>(x); }

// min/max usable unqualified, like CUDA's. Same-type calls pick the non-template overloads (which also beat
// std::min/std::max under `using namespace std`); mixed-type calls use the common type (min(int, unsigned) is
// unsigned, as in CUDA). Floating point follows fminf/fmaxf (a NaN operand loses).
#define JSAE_EMU_MINMAX(T)                                                               \
    inline T min(T a, T b) { return jsae_emu::detail::min_same<T>(a, b); }                \
    inline T max(T a, T b) { return jsae_emu::detail::max_same<T>(a, b); }
JSAE_EMU_MINMAX(int)
JSAE_EMU_MINMAX(unsigned int)
JSAE_EMU_MINMAX(long)
JSAE_EMU_MINMAX(unsigned long)
JSAE_EMU_MINMAX(long long)
JSAE_EMU_MINMAX(unsigned long long)
JSAE_EMU_MINMAX(float)
JSAE_EMU_MINMAX(double)
#undef JSAE_EMU_MINMAX
template <class A, class B,
          typename std::enable_if<std::is_arithmetic<A>::value && std::is_arithmetic<B>::value &&
                                      !std::is_same<A, B>::value,
                                  int>::type = 0>
inline typename std::common_type<A, B>::type min(A a, B b) {
    using C = typename std::common_type<A, B>::type;
    return jsae_emu::detail::min_same<C>(static_cast<C>(a), static_cast<C>(b));
}
template <class A, class B,
          typename std::enable_if<std::is_arithmetic<A>::value && std::is_arithmetic<B>::value &&
                                      !std::is_same<A, B>::value,
                                  int>::type = 0>
inline typename std::common_type<A, B>::type max(A a, B b) {
    using C = typename std::common_type<A, B>::type;
    return jsae_emu::detail::max_same<C>(static_cast<C>(a), static_cast<C>(b));
}

#endif  // JSAE_EMULATION_H
