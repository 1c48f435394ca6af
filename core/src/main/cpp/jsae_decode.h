// jsae activation decoding: little-endian float16 / bfloat16 shard bytes to float32, finding NaN and Inf in the
// same pass (the loader refuses or skips such rows), so the converted values are never read back to be checked.
// Each function returns 1 when any of the n values is NaN or infinite, else 0.
#ifndef JSAE_DECODE_H
#define JSAE_DECODE_H

#include <stdint.h>
#include <string.h>

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

#endif
