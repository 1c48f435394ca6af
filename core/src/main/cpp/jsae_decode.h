// jsae activation decoding: little-endian float16 / bfloat16 shard bytes to float32, finding NaN and Inf in the
// same pass (the loader refuses or skips such rows), so the converted values are never read back to be checked.
// Each decode and check function returns 1 when any of the n values is NaN or infinite, else 0. Below them, the
// loader's copy of rows out of a memory-mapped shard (jsae_copy_rows), its read-ahead advice, and memory for
// batches on 2 MiB pages (jsae_batch_alloc, behind DirectBuffers.allocateBatch).
#ifndef JSAE_DECODE_H
#define JSAE_DECODE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#elif defined(_WIN32)
#include <malloc.h>
#endif

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>
#define JSAE_DECODE_X86 1
#define JSAE_DECODE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define JSAE_DECODE_CLONES
#endif

// Branch-free float16 -> float32 that compilers vectorize: the exponent is rebiased; infinities and NaNs get the
// float32 all-ones exponent; subnormals are renormalized by one float subtraction. Bit-exact for every input but
// NaN payloads (a NaN stays a NaN).
JSAE_DECODE_CLONES static int jsae_decode_f16_portable(const uint16_t* src, float* dst, int64_t n) {
    const uint32_t shifted_exp = 0x7c00u << 13;
    float magic;
    const uint32_t magic_bits = 113u << 23;
    memcpy(&magic, &magic_bits, 4);
    uint32_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t h = src[i];
        acc |= (h & 0x7c00u) + 0x0400u; // bit 15 set only for an all-ones exponent
        uint32_t u = (h & 0x7fffu) << 13;
        uint32_t exp = u & shifted_exp;
        u += (127u - 15u) << 23;
        uint32_t special = u + ((128u - 16u) << 23);
        uint32_t sub_bits = u + (1u << 23);
        float sub;
        memcpy(&sub, &sub_bits, 4);
        sub -= magic;
        memcpy(&sub_bits, &sub, 4);
        u = exp == shifted_exp ? special : (exp == 0 ? sub_bits : u);
        u |= (h & 0x8000u) << 16;
        memcpy(dst + i, &u, 4);
    }
    return (acc & 0x8000u) != 0;
}

#ifdef JSAE_DECODE_X86
// F16C: the hardware conversion, 16 values per iteration.
__attribute__((target("avx2,f16c"))) static int jsae_decode_f16_f16c(const uint16_t* src, float* dst, int64_t n) {
    const __m256i exp_mask = _mm256_set1_epi16(0x7c00);
    const __m256i carry = _mm256_set1_epi16(0x0400);
    __m256i acc = _mm256_setzero_si256();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i h = _mm256_loadu_si256((const __m256i*)(src + i));
        acc = _mm256_or_si256(acc, _mm256_add_epi16(_mm256_and_si256(h, exp_mask), carry));
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm256_castsi256_si128(h)));
        _mm256_storeu_ps(dst + i + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
    }
    // bit 15 of a 16-bit lane is the top bit of its odd byte
    int bad = (_mm256_movemask_epi8(acc) & (int)0xAAAAAAAAu) != 0;
    return bad | jsae_decode_f16_portable(src + i, dst + i, n - i);
}
#endif

// float16 -> float32 with the best conversion this CPU has (checked once).
static int jsae_decode_f16(const uint16_t* src, float* dst, int64_t n) {
#ifdef JSAE_DECODE_X86
    static const int f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    if (f16c) return jsae_decode_f16_f16c(src, dst, n);
#endif
    return jsae_decode_f16_portable(src, dst, n);
}

// bfloat16 -> float32: the upper half of a float32.
JSAE_DECODE_CLONES static int jsae_decode_bf16(const uint16_t* src, float* dst, int64_t n) {
    uint32_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t h = src[i];
        acc |= (h & 0x7f80u) + 0x0080u;
        uint32_t u = h << 16;
        memcpy(dst + i, &u, 4);
    }
    return (acc & 0x8000u) != 0;
}

// float32: only the check (the bytes are read straight into place).
JSAE_DECODE_CLONES static int jsae_check_f32(const float* src, int64_t n) {
    uint32_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, src + i, 4);
        acc |= (u & 0x7f800000u) + 0x00800000u;
    }
    return (acc & 0x80000000u) != 0;
}

// float16 and bfloat16 rows passed on undecoded: only the check. All-ones exponent (F16 0x7c00, BF16 0x7f80)
// plus its lowest bit carries into bit 15, and only it.
JSAE_DECODE_CLONES static int jsae_check_half(const uint16_t* src, int64_t n, uint32_t exp_mask, uint32_t exp_low) {
    uint32_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        acc |= (src[i] & exp_mask) + exp_low;
    }
    return (acc & 0x8000u) != 0;
}

static int jsae_check_f16(const uint16_t* src, int64_t n) {
    return jsae_check_half(src, n, 0x7c00u, 0x0400u);
}

static int jsae_check_bf16(const uint16_t* src, int64_t n) {
    return jsae_check_half(src, n, 0x7f80u, 0x0080u);
}

// The rows of a shuffle span land in scattered places: checks `rows` rows of `n` values each, row r starting
// `offsets[r]` bytes past `base`, in one call. type: 0 float32, 1 float16, 2 bfloat16. Returns the index of the
// first row holding NaN or infinity, or -1.
static int32_t jsae_first_bad_row(const char* base, const int64_t* offsets, int32_t rows, int64_t n, int32_t type) {
    for (int32_t r = 0; r < rows; r++) {
        const char* row = base + offsets[r];
        int bad = type == 0 ? jsae_check_f32((const float*) row, n)
                : type == 1 ? jsae_check_f16((const uint16_t*) row, n) : jsae_check_bf16((const uint16_t*) row, n);
        if (bad) return r;
    }
    return -1;
}

// ---- Copying rows out of a memory-mapped shard ----
// A piece is `rows` consecutive rows of a shard (at src + src_offset, `n` values of `type` each: 0 float32,
// 1 float16, 2 bfloat16) going to rows of the caller's buffer: row j to dst + dst_offsets[j], or to
// dst + dst_first + j * (its row bytes) when dst_offsets is NULL. Rows go as stored, or widened to float32
// (widen 1, half types only). Each value is checked for NaN and infinity while it is in a register, so the
// destination is never read back. With `streaming`, stores are non-temporal: a batch larger than the caches is
// written without first reading its lines into the cache (which a plain copy, and the kernel's copy in
// read(2), must do): a third less memory traffic. The batch is read later by another step, so caching it
// would only evict other data.

static int64_t jsae_type_bytes(int32_t type) {
    return type == 0 ? 4 : 2;
}

// One row without vector instructions: head and tail of the vector path, and the path on other CPUs.
static int jsae_row_portable(const char* s, char* d, int64_t n, int32_t type, int32_t widen) {
    if (n <= 0) return 0;
    if (widen && type == 1) return jsae_decode_f16((const uint16_t*) s, (float*) d, n);
    if (widen && type == 2) return jsae_decode_bf16((const uint16_t*) s, (float*) d, n);
    memcpy(d, s, (size_t) (n * jsae_type_bytes(type)));
    return type == 0 ? jsae_check_f32((const float*) d, n) : type == 1 ? jsae_check_f16((const uint16_t*) d, n)
            : jsae_check_bf16((const uint16_t*) d, n);
}

#ifdef JSAE_DECODE_X86
#define JSAE_PREFETCH 512
// Computed as an integer: the address may lie past the end of the source, where pointer arithmetic is undefined.
#define JSAE_PREFETCH_AHEAD(p) _mm_prefetch((const char*) ((uintptr_t) (p) + JSAE_PREFETCH), _MM_HINT_NTA)
#define JSAE_STORE256(stream, p, v) \
    ((stream) ? _mm256_stream_si256((__m256i*) (p), (v)) : _mm256_storeu_si256((__m256i*) (p), (v)))

// The vector body of one row; `stream` is a constant at each call, so each loop is compiled without the test.
// Sets *done to the values handled; returns 1 if any of them is NaN or infinite. Each iteration asks for the
// source line JSAE_PREFETCH bytes ahead (a prefetch never faults, past the row's end included): with the
// stores going around the caches the loop waits on its loads, and the hardware prefetcher alone keeps fewer
// of them in flight. It made the copy 2-5% faster on the project's 2-vCPU AMD host (docs/performance.md).
__attribute__((target("avx2,f16c"), always_inline)) static inline int jsae_row_avx2_body(
        const char* s, char* d, int64_t n, int32_t type, int32_t widen, int stream, int64_t* done) {
    __m256i acc = _mm256_setzero_si256();
    int64_t i = 0;
    int bits; // the bits of acc's bytes that flag a non-finite value
    if (type == 0) { // float32, as stored
        const __m256i mask = _mm256_set1_epi32(0x7f800000), low = _mm256_set1_epi32(0x00800000);
        for (; i + 16 <= n; i += 16) {
            JSAE_PREFETCH_AHEAD(s + 4 * i);
            __m256i a = _mm256_loadu_si256((const __m256i*) (s + 4 * i));
            __m256i b = _mm256_loadu_si256((const __m256i*) (s + 4 * i + 32));
            acc = _mm256_or_si256(acc, _mm256_add_epi32(_mm256_and_si256(a, mask), low));
            acc = _mm256_or_si256(acc, _mm256_add_epi32(_mm256_and_si256(b, mask), low));
            JSAE_STORE256(stream, d + 4 * i, a);
            JSAE_STORE256(stream, d + 4 * i + 32, b);
        }
        bits = (int) 0x88888888u; // bit 31 of each 32-bit lane
    } else {
        const __m256i mask = _mm256_set1_epi16(type == 1 ? 0x7c00 : 0x7f80);
        const __m256i low = _mm256_set1_epi16(type == 1 ? 0x0400 : 0x0080);
        if (!widen) {
            for (; i + 32 <= n; i += 32) {
                JSAE_PREFETCH_AHEAD(s + 2 * i);
                __m256i a = _mm256_loadu_si256((const __m256i*) (s + 2 * i));
                __m256i b = _mm256_loadu_si256((const __m256i*) (s + 2 * i + 32));
                acc = _mm256_or_si256(acc, _mm256_add_epi16(_mm256_and_si256(a, mask), low));
                acc = _mm256_or_si256(acc, _mm256_add_epi16(_mm256_and_si256(b, mask), low));
                JSAE_STORE256(stream, d + 2 * i, a);
                JSAE_STORE256(stream, d + 2 * i + 32, b);
            }
        } else {
            for (; i + 16 <= n; i += 16) {
                JSAE_PREFETCH_AHEAD(s + 2 * i); // the same line on two iterations in a row
                __m256i h = _mm256_loadu_si256((const __m256i*) (s + 2 * i));
                acc = _mm256_or_si256(acc, _mm256_add_epi16(_mm256_and_si256(h, mask), low));
                __m256i lo, hi;
                if (type == 1) {
                    lo = _mm256_castps_si256(_mm256_cvtph_ps(_mm256_castsi256_si128(h)));
                    hi = _mm256_castps_si256(_mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
                } else { // bfloat16: the upper half of a float32
                    lo = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(h)), 16);
                    hi = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1)), 16);
                }
                JSAE_STORE256(stream, d + 4 * i, lo);
                JSAE_STORE256(stream, d + 4 * i + 32, hi);
            }
        }
        bits = (int) 0xAAAAAAAAu; // bit 15 of each 16-bit lane
    }
    *done = i;
    return (_mm256_movemask_epi8(acc) & bits) != 0;
}

__attribute__((target("avx2,f16c"))) static int jsae_row_avx2(const char* s, char* d, int64_t n, int32_t type,
                                                              int32_t widen, int32_t stream) {
    int64_t in_bytes = jsae_type_bytes(type), out_bytes = widen ? 4 : in_bytes;
    int64_t head = 0;
    if (stream) { // non-temporal stores need 32-byte aligned destinations: the values before that go plainly
        uintptr_t off = (uintptr_t) d & 31;
        if (off % (uintptr_t) out_bytes != 0) {
            stream = 0;
        } else if (off != 0) {
            head = (int64_t) (32 - off) / out_bytes;
            if (head > n) head = n;
        }
    }
    int bad = jsae_row_portable(s, d, head, type, widen);
    s += head * in_bytes;
    d += head * out_bytes;
    n -= head;
    int64_t done = 0;
    bad |= stream ? jsae_row_avx2_body(s, d, n, type, widen, 1, &done)
                  : jsae_row_avx2_body(s, d, n, type, widen, 0, &done);
    return bad | jsae_row_portable(s + done * in_bytes, d + done * out_bytes, n - done, type, widen);
}
#endif

// Asks the kernel to start reading bytes [offset, offset + length) of a file mapping into the page cache, in
// large reads, and returns at once: the rows of a batch are then read from the device together (many reads in
// flight), instead of page by page as the copy faults on them.
static void jsae_advise_will_need(const char* base, int64_t offset, int64_t length) {
#if defined(__unix__) || defined(__APPLE__)
    static long page = 0;
    if (page == 0) page = sysconf(_SC_PAGESIZE);
    const char* p = base + offset;
    uintptr_t from = (uintptr_t) p & ~(uintptr_t) (page - 1);
    madvise((void*) from, (size_t) ((uintptr_t) p + (uintptr_t) length - from), MADV_WILLNEED);
#else
    (void) base;
    (void) offset;
    (void) length;
#endif
}

// Copies the rows of a piece out of a mapping (see above); writes the indexes of the rows holding NaN or
// infinity, ascending, to bad_rows (room for `rows`) and returns how many there are.
static int32_t jsae_copy_rows(const char* src, int64_t src_offset, char* dst, int64_t dst_first,
                              const int64_t* dst_offsets, int32_t rows, int64_t n, int32_t type, int32_t widen,
                              int32_t streaming, int32_t* bad_rows) {
    const char* s = src + src_offset;
    int64_t in_row = n * jsae_type_bytes(type);
    int64_t out_row = widen ? 4 * n : in_row;
#ifdef JSAE_DECODE_X86
    static const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
#endif
    int32_t bad = 0;
    for (int32_t j = 0; j < rows; j++) {
        char* d = dst + (dst_offsets != NULL ? dst_offsets[j] : dst_first + j * out_row);
        const char* r = s + j * in_row;
        int b;
#ifdef JSAE_DECODE_X86
        b = avx2 ? jsae_row_avx2(r, d, n, type, widen, streaming) : jsae_row_portable(r, d, n, type, widen);
#else
        b = jsae_row_portable(r, d, n, type, widen);
#endif
        if (b) bad_rows[bad++] = j;
    }
#ifdef JSAE_DECODE_X86
    if (streaming && avx2) _mm_sfence(); // the rows are in memory before the piece is counted as finished
#endif
    return bad;
}

// ---- Memory for batches ----
// A batch is written once per step, with non-temporal stores, and is larger than the TLB covers in 4 KiB pages
// (a 64 MiB batch spans 16384 of them): every 4 KiB written then costs a page walk. On 2 MiB pages the same batch
// takes 32 entries; the loader ran 0-14% faster into it on the project's AMD host (docs/performance.md).
// Transparent huge pages in "madvise" mode, a common default, back only memory that asked for them before it
// was first touched.

#define JSAE_HUGE_PAGE ((int64_t) 2 << 20)

// Asks for 2 MiB pages for the whole 2 MiB pages inside [p, p + bytes); call before the memory is first touched.
// Returns 0, or the error of the refusal (EINVAL: no transparent huge pages in this kernel; ENOSYS: not Linux).
// An accepted request is no promise: the kernel's settings and free memory decide what backs each page.
static int32_t jsae_advise_huge_pages(void* p, int64_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    uintptr_t from = ((uintptr_t) p + JSAE_HUGE_PAGE - 1) & ~(uintptr_t) (JSAE_HUGE_PAGE - 1);
    uintptr_t to = ((uintptr_t) p + (uintptr_t) bytes) & ~(uintptr_t) (JSAE_HUGE_PAGE - 1);
    if (to <= from) return 0; // no whole 2 MiB page inside
    return madvise((void*) from, to - from, MADV_HUGEPAGE) == 0 ? 0 : errno;
#else
    (void) p;
    (void) bytes;
    return ENOSYS;
#endif
}

// `bytes` of fresh, untouched memory starting on a 2 MiB boundary, asked for 2 MiB pages (an mmap of its own:
// memory from malloc may be reused and already touched); NULL if it cannot be had. *status receives 0, or the error
// of the allocation or of the request for 2 MiB pages. The size is rounded up to 2 MiB. Free with jsae_batch_free
// and the same `bytes`.
static void* jsae_batch_alloc(int64_t bytes, int32_t* status) {
    if (bytes < 1) bytes = 1;
    if (bytes > INT64_MAX / 2) {
        *status = ENOMEM;
        return NULL;
    }
    size_t size = (size_t) ((bytes + JSAE_HUGE_PAGE - 1) & ~(JSAE_HUGE_PAGE - 1));
#if defined(__unix__) || defined(__APPLE__)
    size_t span = size + (size_t) JSAE_HUGE_PAGE; // room to start on a 2 MiB boundary; the rest is unmapped
    char* raw = (char*) mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == (char*) MAP_FAILED) {
        *status = errno;
        return NULL;
    }
    char* p = (char*) (((uintptr_t) raw + JSAE_HUGE_PAGE - 1) & ~(uintptr_t) (JSAE_HUGE_PAGE - 1));
    if (p > raw) munmap(raw, (size_t) (p - raw));
    if (raw + span > p + size) munmap(p + size, (size_t) (raw + span - (p + size)));
    *status = jsae_advise_huge_pages(p, (int64_t) size);
    return p;
#elif defined(_WIN32)
    void* p = _aligned_malloc(size, (size_t) JSAE_HUGE_PAGE);
    *status = p == NULL ? ENOMEM : ENOSYS;
    return p;
#else
    void* p = malloc(size);
    *status = p == NULL ? ENOMEM : ENOSYS;
    return p;
#endif
}

// Frees memory of jsae_batch_alloc; `bytes` as allocated.
static void jsae_batch_free(void* p, int64_t bytes) {
    if (p == NULL) return;
#if defined(__unix__) || defined(__APPLE__)
    if (bytes < 1) bytes = 1;
    munmap(p, (size_t) ((bytes + JSAE_HUGE_PAGE - 1) & ~(JSAE_HUGE_PAGE - 1)));
#elif defined(_WIN32)
    (void) bytes;
    _aligned_free(p);
#else
    (void) bytes;
    free(p);
#endif
}

#endif
