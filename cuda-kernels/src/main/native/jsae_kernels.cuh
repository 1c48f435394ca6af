// The kernels of one SAE step (docs/design.md, section 4, is the math they implement). Included by jsae_sae.cu,
// which launches them in this order for a training step:
//   [F16/BF16 input: k_widen_input] → k_step_reset → k_center → encoder GEMM (cuBLAS, outside) → selection
//   → k_decode → k_mid_scalars
//   → [AuxK: k_topk_rows over dead latents → k_decode of the residual]
//   → k_lat_count / k_lat_scan / k_lat_fill (codes grouped by latent) → k_sort_lists → k_latent_partials
//   (heavy latents, by chunks) → k_backward_adam → k_bdec
//   → k_counters → k_col_variance → k_final_scalars, then one copy of the scalars to the host.
// Rules every kernel keeps: a block's threads all reach every barrier (early exits are block-uniform); each
// output element has exactly one writer and a fixed order of floating-point operations, so a step is
// deterministic; float atomics are never used on results (integer atomics only, whose sums do not depend on
// order). pre holds xc·W_encᵀ without b_enc; every reader adds b_enc[j] as it reads.
#ifndef JSAE_KERNELS_CUH
#define JSAE_KERNELS_CUH

#include "jsae_device.h"

#define JSAE_THREADS 256
#define JSAE_UNROLL 4
#define JSAE_NO_BAD_ROW 0xffffffffffffffffull

// Device-side scalars of one step: written by the reset kernel, read and filled by the others, copied to the
// host once at the end.
struct jsae_step_state {
    unsigned long long bad_row;  // first non-finite row, JSAE_NO_BAD_ROW when none
    int32_t aux_on;
    float coef, l1, aux_coef;  // 2/B, λ/B, auxWeight·2/B
    double mse;
    // batchtopk radix select over the whole batch
    uint32_t prefix;
    long long remaining;
    unsigned long long hist[256];
    int32_t overflow;   // batchtopk: a row's candidates were all selected, so it may hold more (exact path)
    long long entries;  // kept entries of the batch (row_start[rows])
    // results
    double sse, aux_sse, l1_sum, variance;
    long long fired, dead;
    float min_positive;
};

struct jsae_adam_params {
    float b1, c1, b2, c2, step_size, bias2_sqrt, eps;
};

// ---------------------------------------------------------------------------------------------------------
// Block-wide helpers: every thread of the block calls them; blockDim.x is a multiple of 32 and at most 1024.

template <class T>
__device__ inline T warp_inclusive_scan(T x) {
    unsigned lane = threadIdx.x & 31u;
    for (int o = 1; o < 32; o <<= 1) {
        T y = __shfl_up_sync(0xffffffffu, x, o);
        if (lane >= (unsigned) o) x += y;
    }
    return x;
}

// Exclusive prefix sum of v over the block's threads in thread order; *total gets the block's sum.
template <class T>
__device__ inline T block_exclusive_scan(T v, T* total) {
    JSAE_SHARED(T, warp_sums, 32);
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    T x = warp_inclusive_scan(v);
    if (lane == 31) warp_sums[warp] = x;
    __syncthreads();
    if (warp == 0) {
        T w = lane < warps ? warp_sums[lane] : T(0);
        w = warp_inclusive_scan(w);
        warp_sums[lane] = w;
    }
    __syncthreads();
    T before = warp > 0 ? warp_sums[warp - 1] : T(0);
    *total = warp_sums[warps - 1];
    __syncthreads();
    return before + x - v;
}

// Sum over the block in a fixed tree (deterministic); every thread gets the result.
template <class T>
__device__ inline T block_sum(T v) {
    JSAE_SHARED(T, warp_sums, 32);
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T w = lane < warps ? warp_sums[lane] : T(0);
        for (int o = 16; o > 0; o >>= 1) w += __shfl_xor_sync(0xffffffffu, w, o);
        if (lane == 0) warp_sums[0] = w;
    }
    __syncthreads();
    T r = warp_sums[0];
    __syncthreads();
    return r;
}

__device__ inline float block_min(float v) {
    JSAE_SHARED(float, warp_mins, 32);
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) {
        float y = __shfl_xor_sync(0xffffffffu, v, o);
        v = y < v ? y : v;
    }
    if (lane == 0) warp_mins[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float w = lane < warps ? warp_mins[lane] : 3.402823466e38f;
        for (int o = 16; o > 0; o >>= 1) {
            float y = __shfl_xor_sync(0xffffffffu, w, o);
            w = y < w ? y : w;
        }
        if (lane == 0) warp_mins[0] = w;
    }
    __syncthreads();
    float r = warp_mins[0];
    __syncthreads();
    return r;
}

// Sorts positions [0, n) so that no later position is `less` than an earlier one, in place, with the whole
// block: a bitonic network whose first step of each stage compares mirrored pairs, so that every comparison
// puts the lesser first and positions past n (taken as greatest) never have to move: any n sorts, not only
// powers of two. less(i, j) compares positions; swap(i, j) exchanges them.
template <class Less, class Swap>
__device__ inline void block_sort(int64_t n, Less less, Swap swap) {
    if (n < 2) return;
    int64_t pow2 = 1;
    while (pow2 < n) pow2 <<= 1;
    for (int64_t size = 2; size <= pow2; size <<= 1) {
        int64_t half = size >> 1;
        for (int64_t i = threadIdx.x; i < pow2 / 2; i += blockDim.x) {
            int64_t lo = (i / half) * size + (i % half);
            int64_t hi = (i / half) * size + size - 1 - (i % half);
            if (hi < n && less(hi, lo)) swap(lo, hi);
        }
        __syncthreads();
        for (int64_t stride = half >> 1; stride > 0; stride >>= 1) {
            for (int64_t i = threadIdx.x; i < pow2 / 2; i += blockDim.x) {
                int64_t lo = (i / stride) * 2 * stride + (i % stride);
                int64_t hi = lo + stride;
                if (hi < n && less(hi, lo)) swap(lo, hi);
            }
            __syncthreads();
        }
    }
}

__device__ inline void block_sort_ints(dptr<int32_t> a, int64_t n) {
    block_sort(
        n, [&](int64_t i, int64_t j) { return a[i] < a[j]; },
        [&](int64_t i, int64_t j) {
            int32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
        });
}

// The float of a key (jsae_key's inverse).
__device__ inline float key_value(uint32_t key) {
    uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

__device__ inline bool step_rejected(dptr<const jsae_step_state> s) {
    return s->bad_row != JSAE_NO_BAD_ROW;
}

// ---------------------------------------------------------------------------------------------------------
// Step set-up and input.

__global__ void k_step_reset(dptr<jsae_step_state> s, long long keep) {
    if (threadIdx.x == 0) {
        s->bad_row = JSAE_NO_BAD_ROW;
        s->aux_on = 0;
        s->coef = s->l1 = s->aux_coef = 0;
        s->mse = 0;
        s->prefix = 0;
        s->remaining = keep;
        s->overflow = 0;
        s->entries = 0;
        s->sse = s->aux_sse = s->l1_sum = s->variance = 0;
        s->fired = s->dead = 0;
        s->min_positive = 3.402823466e38f;
    }
    for (int t = threadIdx.x; t < 256; t += blockDim.x) s->hist[t] = 0;
}

// Half-precision input rows (F16 or BF16, as the host copied them) widened exactly into x: each thread converts 8
// values from one 16-byte load and writes them as two float4 (grid-stride); the last n % 8 values one by one.
__global__ void k_widen_input(dptr<const uint16_t> src, dptr<float> x, int64_t n, int32_t bf16) {
    const int64_t groups = n / 8, stride = (int64_t) gridDim.x * blockDim.x;
    const int64_t t = (int64_t) blockIdx.x * blockDim.x + threadIdx.x;
    dptr<const uint4> src8 = dptr_cast<const uint4>(src);
    dptr<float4> x4 = dptr_cast<float4>(x);
    for (int64_t g = t; g < groups; g += stride) {
        uint4 v = src8[g];
        const uint32_t w[4] = {v.x, v.y, v.z, v.w};  // little-endian: value 2i in the low half of w[i]
        float f[8];
        for (int i = 0; i < 4; i++) {
            uint16_t lo = (uint16_t) (w[i] & 0xffffu), hi = (uint16_t) (w[i] >> 16);
            f[2 * i] = bf16 ? jsae_from_bf16(lo) : jsae_from_f16(lo);
            f[2 * i + 1] = bf16 ? jsae_from_bf16(hi) : jsae_from_f16(hi);
        }
        x4[2 * g] = make_float4(f[0], f[1], f[2], f[3]);
        x4[2 * g + 1] = make_float4(f[4], f[5], f[6], f[7]);
    }
    for (int64_t i = groups * 8 + t; i < n; i += stride) x[i] = bf16 ? jsae_from_bf16(src[i]) : jsae_from_f16(src[i]);
}

// One block per row: x *= scale in place, xc = x − b_dec (and its bf16 copy for BF16 operands); the first row
// holding NaN or Inf after scaling goes to bad_row.
__global__ void k_center(dptr<float> x, float scale, dptr<const float> b_dec, dptr<float> xc, dptr<jsae_bf16> xc16,
                         int64_t d_in, dptr<jsae_step_state> s) {
    int64_t b = blockIdx.x;
    int bad = 0;
    for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
        float v = x[b * d_in + d];
        if (scale != 1.0f) {
            v *= scale;
            x[b * d_in + d] = v;
        }
        if (!(v * 0.0f == 0.0f)) bad = 1;  // NaN or ±Inf
        float c = v - b_dec[d];
        xc[b * d_in + d] = c;
        if (xc16) xc16[b * d_in + d] = jsae_to_bf16(c);
    }
    if (bad) atomicMin(&s->bad_row, (unsigned long long) b);
}

// Column sums for the column reductions below: a block of 256 threads covers 32 columns, each column summed by
// 8 threads over interleaved rows (so a warp reads 32 adjacent columns of one row) and the 8 partial sums
// added in a fixed order; every thread of the column gets the sum. f maps (row, column) to the value summed.
template <class T, class F>
__device__ inline T column_sum(int64_t rows, int64_t d, int64_t d_in, F f) {
    JSAE_SHARED(T, part, JSAE_THREADS);
    unsigned col = threadIdx.x & 31u, lane = threadIdx.x >> 5;
    T acc = 0;
    if (d < d_in)
        for (int64_t b = lane; b < rows; b += JSAE_THREADS / 32) acc += f(b, d);
    part[threadIdx.x] = acc;
    __syncthreads();
    T sum = 0;
    for (unsigned r = 0; r < JSAE_THREADS / 32; r++) sum += part[r * 32 + col];
    __syncthreads();
    return sum;
}

// Column variance: var_part[d] = Σ_b (x[b,d] − mean_d)² in double, 32 columns per block.
__global__ void k_col_variance(dptr<const float> x, int64_t rows, int64_t d_in, dptr<double> var_part,
                               dptr<const jsae_step_state> s) {
    if (step_rejected(s)) return;
    int64_t d = (int64_t) blockIdx.x * 32 + (threadIdx.x & 31u);
    double mean = column_sum<double>(rows, d, d_in, [&](int64_t b, int64_t c) { return (double) x[b * d_in + c]; });
    mean /= (double) rows;
    double v = column_sum<double>(rows, d, d_in, [&](int64_t b, int64_t c) {
        double e = x[b * d_in + c] - mean;
        return e * e;
    });
    if (threadIdx.x < 32 && d < d_in) var_part[d] = v;
}

// ---------------------------------------------------------------------------------------------------------
// Selection. A row's kept entries are written in ascending latent order from position `out`: those whose key
// is above tau, plus the first `ties` (lowest index) whose key equals tau; or, with theta, those above their
// latent's threshold. Tiles of blockDim columns are scanned in order; one block scan per tile places them.
struct jsae_codes {
    dptr<int32_t> idx, entry_row;
    dptr<float> kept, val;
};

// The ordered compaction over n entries given by entry(t, &v, &j) (false: no entry at t): keeps those above tau
// (or, with theta, above their latent's threshold) and the first `ties` equal to tau, written from `out` in t
// order.
template <class Entry>
__device__ inline void compact_entries(int64_t n, Entry entry, uint32_t tau, int64_t ties, dptr<const float> theta,
                                       int64_t out, int32_t b, jsae_codes codes) {
    int64_t written = 0, ties_seen = 0;
    for (int64_t base = 0; base < n; base += blockDim.x) {
        int64_t t = base + threadIdx.x;
        uint32_t gt = 0, eq = 0;
        float v = 0;
        int32_t j = 0;
        if (t < n && entry(t, v, j)) {
            if (theta) {
                gt = v > theta[j];
            } else {
                uint32_t key = jsae_key(v);
                gt = key > tau;
                eq = key == tau;
            }
        }
        uint32_t total;
        uint32_t before = block_exclusive_scan<uint32_t>(gt | (eq << 16), &total);
        int64_t ties_left = ties - ties_seen > 0 ? ties - ties_seen : 0;
        int64_t eq_before = before >> 16;
        int64_t eq_taken_before = eq_before < ties_left ? eq_before : ties_left;
        if (gt || (eq && eq_before < ties_left)) {
            int64_t e = out + written + (before & 0xffffu) + eq_taken_before;
            codes.idx[e] = j;
            codes.kept[e] = v;
            codes.val[e] = v > 0 ? v : 0.0f;
            codes.entry_row[e] = b;
        }
        int64_t eq_total = total >> 16;
        written += (total & 0xffffu) + (eq_total < ties_left ? eq_total : ties_left);
        ties_seen += eq_total;
    }
}

// A dense row of pre + b_enc, restricted to allowed latents when given.
__device__ inline void compact_row(dptr<const float> pre_row, dptr<const float> b_enc, int64_t d_sae, uint32_t tau,
                                   int64_t ties, dptr<const uint8_t> allowed, dptr<const float> theta, int64_t out,
                                   int32_t b, jsae_codes codes) {
    compact_entries(
        d_sae,
        [&](int64_t t, float& v, int32_t& j) {
            if (allowed && !allowed[t]) return false;
            v = pre_row[t] + b_enc[t];
            j = (int32_t) t;
            return true;
        },
        tau, ties, theta, out, b, codes);
}

// Per row (one block of 256 threads): the k best entries of pre + b_enc among allowed latents (all when null).
// A radix select on the float keys in three passes of 11, 11 and 10 bits. The first digit is the sign, the
// exponent and two mantissa bits (a quarter of a binade), so after the first pass the entries whose digit reaches
// the k-th's are usually few: when at most `cap` (the dynamic shared memory holds cap keys and indices), the
// second pass gathers them into shared memory, where they are sorted (value descending, lower index first), the
// first k kept and re-sorted by index: two reads of the row. Otherwise two more passes find the exact k-th key
// and an ordered compaction writes the row: four reads. For AuxK (aux != 0) the kernel does nothing unless the
// step turned AuxK on.
__global__ void k_topk_rows(dptr<const float> pre, dptr<const float> b_enc, int64_t d_sae, int32_t k,
                            dptr<const uint8_t> allowed, int32_t aux, int32_t cap, jsae_codes codes,
                            dptr<const jsae_step_state> s) {
    if (step_rejected(s) || (aux && !s->aux_on)) return;
    const int shifts[3] = {21, 10, 0};
    const int widths[3] = {11, 11, 10};
    JSAE_SHARED(uint32_t, hist, 2048);
    JSAE_SHARED(uint32_t, pick, 3);
    JSAE_DYNAMIC_SHARED(uint32_t, cand_key);
    dptr<int32_t> cand_idx = dptr_cast<int32_t>(cand_key + cap);
    int32_t b = blockIdx.x;
    dptr<const float> row = pre + (int64_t) b * d_sae;
    uint32_t prefix = 0, mask = 0, remaining = (uint32_t) k;
    for (int pass = 0; pass < 3; pass++) {
        const int shift = shifts[pass];
        const uint32_t bins = 1u << widths[pass], digit_mask = bins - 1;
        for (uint32_t t = threadIdx.x; t < bins; t += blockDim.x) hist[t] = 0;
        __syncthreads();
        for (int64_t j = threadIdx.x; j < d_sae; j += blockDim.x) {
            if (allowed && !allowed[j]) continue;
            uint32_t key = jsae_key(row[j] + b_enc[j]);
            if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & digit_mask], 1u);
        }
        __syncthreads();
        // Thread t owns `per` consecutive digits from the top (digit bins−1−t·per downwards): the scan of the
        // threads' sums gives the count above its first digit.
        const uint32_t per = bins / blockDim.x;
        uint32_t mine = 0;
        for (uint32_t i = 0; i < per; i++) mine += hist[bins - 1 - (threadIdx.x * per + i)];
        uint32_t total;
        uint32_t above = block_exclusive_scan<uint32_t>(mine, &total);
        for (uint32_t i = 0; i < per; i++) {
            uint32_t digit = bins - 1 - (threadIdx.x * per + i);
            uint32_t h = hist[digit];
            if (above < remaining && above + h >= remaining) {
                pick[0] = digit;
                pick[1] = remaining - above;
                pick[2] = above + h;  // entries whose digit reaches the picked one
            }
            above += h;
        }
        __syncthreads();
        uint32_t digit = pick[0], reach = pick[2];
        remaining = pick[1];
        __syncthreads();
        if (pass == 0 && reach <= (uint32_t) cap) {
            // Gather every entry whose first digit is at least the k-th's, then sort and keep k.
            uint32_t floor_key = digit << shift;
            if (threadIdx.x == 0) pick[0] = 0;
            __syncthreads();
            for (int64_t j = threadIdx.x; j < d_sae; j += blockDim.x) {
                if (allowed && !allowed[j]) continue;
                uint32_t key = jsae_key(row[j] + b_enc[j]);
                if (key >= floor_key) {
                    uint32_t slot = atomicAdd(&pick[0], 1u);
                    cand_key[slot] = key;
                    cand_idx[slot] = (int32_t) j;
                }
            }
            __syncthreads();
            auto swap = [&](int64_t x, int64_t y) {
                uint32_t tk = cand_key[x];
                cand_key[x] = cand_key[y];
                cand_key[y] = tk;
                int32_t ti = cand_idx[x];
                cand_idx[x] = cand_idx[y];
                cand_idx[y] = ti;
            };
            block_sort(
                reach,
                [&](int64_t x, int64_t y) {
                    return cand_key[x] > cand_key[y] || (cand_key[x] == cand_key[y] && cand_idx[x] < cand_idx[y]);
                },
                swap);
            block_sort(k, [&](int64_t x, int64_t y) { return cand_idx[x] < cand_idx[y]; }, swap);
            for (int64_t i = threadIdx.x; i < k; i += blockDim.x) {
                int64_t e = (int64_t) b * k + i;
                float v = key_value(cand_key[i]);
                codes.idx[e] = cand_idx[i];
                codes.kept[e] = v;
                codes.val[e] = v > 0 ? v : 0.0f;
                codes.entry_row[e] = b;
            }
            return;
        }
        prefix |= digit << shift;
        mask |= digit_mask << shift;
    }
    compact_row(row, b_enc, d_sae, prefix, remaining, allowed, dptr<const float>(nullptr), (int64_t) b * k, b, codes);
}

// Batchtopk: one radix pass over the whole batch. Each block histograms the digit at `shift` of one row's keys
// that match the prefix found so far and adds it to the batch histogram (integer atomics: order-free). A row is
// n values of pre + b_enc, or, with b_enc null, of a row's candidates (their kept values, b_enc added).
__global__ void k_batch_hist(dptr<const float> pre, dptr<const float> b_enc, int64_t d_sae, int shift,
                             dptr<jsae_step_state> s) {
    if (step_rejected(s)) return;
    JSAE_SHARED(uint32_t, hist, 256);
    for (int t = threadIdx.x; t < 256; t += blockDim.x) hist[t] = 0;
    __syncthreads();
    uint32_t mask = shift >= 24 ? 0u : ~0u << (shift + 8);
    uint32_t prefix = s->prefix;
    dptr<const float> row = pre + (int64_t) blockIdx.x * d_sae;
    for (int64_t j = threadIdx.x; j < d_sae; j += blockDim.x) {
        uint32_t key = jsae_key(b_enc ? row[j] + b_enc[j] : row[j]);
        if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
    }
    __syncthreads();
    for (int t = threadIdx.x; t < 256; t += blockDim.x)
        if (hist[t]) atomicAdd(&s->hist[t], (unsigned long long) hist[t]);
}

// Batchtopk: picks the digit holding the remaining-th largest key, one block of 256 threads.
__global__ void k_batch_pick(int shift, dptr<jsae_step_state> s) {
    if (step_rejected(s)) return;
    JSAE_SHARED(unsigned long long, pick, 2);
    unsigned long long c = s->hist[255 - threadIdx.x];
    unsigned long long total;
    unsigned long long above = block_exclusive_scan<unsigned long long>(c, &total);
    unsigned long long remaining = (unsigned long long) s->remaining;
    if (above < remaining && above + c >= remaining) {
        pick[0] = 255 - threadIdx.x;
        pick[1] = remaining - above;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        s->prefix |= (uint32_t) pick[0] << shift;
        s->remaining = (long long) pick[1];
    }
    s->hist[threadIdx.x] = 0;
}

// Batchtopk from per-row candidates: each row's c best entries (k_topk_rows, sorted by latent) stand for the
// row; k_batch_hist over their values finds the batch threshold among them.
// Per row: candidates above the batch threshold (gt) and equal to it (eq); a row whose worst candidate still
// reaches the threshold may hold more entries above it than it has candidates: overflow, and the exact path runs.
__global__ void k_cand_counts(dptr<const float> cand_kept, int64_t c, dptr<int64_t> gt, dptr<int64_t> eq,
                              dptr<jsae_step_state> s) {
    if (step_rejected(s)) return;
    JSAE_SHARED(uint32_t, worst_key, 1);
    if (threadIdx.x == 0) worst_key[0] = 0xffffffffu;
    __syncthreads();
    uint32_t tau = s->prefix;
    dptr<const float> row = cand_kept + (int64_t) blockIdx.x * c;
    int64_t g = 0, e = 0;
    uint32_t worst = 0xffffffffu;
    for (int64_t i = threadIdx.x; i < c; i += blockDim.x) {
        uint32_t key = jsae_key(row[i]);
        g += key > tau;
        e += key == tau;
        worst = key < worst ? key : worst;
    }
    atomicMin(&worst_key[0], worst);
    g = block_sum<int64_t>(g);
    e = block_sum<int64_t>(e);
    if (threadIdx.x == 0) {
        gt[blockIdx.x] = g;
        eq[blockIdx.x] = e;
        if (worst_key[0] >= tau) s->overflow = 1;
    }
}

// Per row: the ordered compaction of its candidates against the batch threshold and the row's share of ties.
__global__ void k_cand_compact(jsae_codes cand, int64_t c, dptr<const int64_t> ties, dptr<const int32_t> row_start,
                               jsae_codes codes, dptr<const jsae_step_state> s) {
    if (step_rejected(s)) return;
    int32_t b = blockIdx.x;
    int64_t base = (int64_t) b * c;
    compact_entries(
        c,
        [&](int64_t t, float& v, int32_t& j) {
            v = cand.kept[base + t];
            j = cand.idx[base + t];
            return true;
        },
        s->prefix, ties[b], dptr<const float>(nullptr), row_start[b], b, codes);
}

// Starts the batch radix select again (after the candidates overflowed).
__global__ void k_radix_restart(dptr<jsae_step_state> s, long long keep) {
    s->prefix = 0;
    s->remaining = keep;
}

// Per row: entries above the threshold (gt) and equal to it (eq). The threshold is tau, or the batch's radix
// result when from_state, or per latent theta when given.
__global__ void k_row_counts(dptr<const float> pre, dptr<const float> b_enc, int64_t d_sae, uint32_t tau,
                             int32_t from_state, dptr<const float> theta, dptr<int64_t> gt, dptr<int64_t> eq,
                             dptr<const jsae_step_state> s) {
    if (step_rejected(s)) return;
    if (from_state) tau = s->prefix;
    dptr<const float> row = pre + (int64_t) blockIdx.x * d_sae;
    int64_t g = 0, e = 0;
    for (int64_t j = threadIdx.x; j < d_sae; j += blockDim.x) {
        float v = row[j] + b_enc[j];
        if (theta) {
            g += v > theta[j];
        } else {
            uint32_t key = jsae_key(v);
            g += key > tau;
            e += key == tau;
        }
    }
    g = block_sum<int64_t>(g);
    e = block_sum<int64_t>(e);
    if (threadIdx.x == 0) {
        gt[blockIdx.x] = g;
        eq[blockIdx.x] = e;
    }
}

// One block: row_start (exclusive scan of the kept counts) and ties per row, the batch's ties handed out in row
// order (lowest flat index first). need is the batch radix's remaining count when from_state, else 0.
__global__ void k_row_starts(int64_t rows, int32_t from_state, dptr<const int64_t> gt, dptr<const int64_t> eq,
                             dptr<int64_t> ties, dptr<int32_t> row_start, dptr<jsae_step_state> s) {
    if (step_rejected(s)) return;
    long long need = from_state ? s->remaining : 0;
    long long eq_seen = 0, kept_seen = 0;
    for (int64_t base = 0; base < rows; base += blockDim.x) {
        int64_t b = base + threadIdx.x;
        long long e = b < rows ? eq[b] : 0;
        long long e_total;
        long long e_before = eq_seen + block_exclusive_scan<long long>(e, &e_total);
        long long t = need - e_before;
        t = t < 0 ? 0 : (t > e ? e : t);
        long long kept = b < rows ? gt[b] + t : 0;
        long long k_total;
        long long k_before = kept_seen + block_exclusive_scan<long long>(kept, &k_total);
        if (b < rows) {
            ties[b] = t;
            row_start[b] = (int32_t) k_before;
        }
        eq_seen += e_total;
        kept_seen += k_total;
    }
    if (threadIdx.x == 0) {
        row_start[rows] = (int32_t) kept_seen;
        s->entries = kept_seen;
    }
}

// Per row: the ordered compaction with the row's start and ties from k_row_starts.
__global__ void k_compact_rows(dptr<const float> pre, dptr<const float> b_enc, int64_t d_sae, uint32_t tau,
                               int32_t from_state, dptr<const float> theta, dptr<const int64_t> ties,
                               dptr<const int32_t> row_start, jsae_codes codes, dptr<const jsae_step_state> s) {
    if (step_rejected(s)) return;
    if (from_state) tau = s->prefix;
    int32_t b = blockIdx.x;
    compact_row(pre + (int64_t) b * d_sae, b_enc, d_sae, tau, ties[b], dptr<const uint8_t>(nullptr), theta,
                row_start[b], b, codes);
}

// ---------------------------------------------------------------------------------------------------------
// Decode, per row (one block): out_b = (b_dec or 0) + Σ_{val > 0} val · decoder_rows[idx], then out_b −= sign ·
// target_b; sse[b] = ‖out_b‖² (double). Also per row: entries fired, smallest positive val, and (dec_norm given)
// Σ val·‖decoder row‖ for L1; per latent: fired_flag[j] = 1 (training) or fires[j] += 1 (evaluation).
struct jsae_decode_args {
    dptr<const int32_t> row_start, idx;
    dptr<const float> val, w_dec, b_dec, target;
    float sign;
    dptr<float> out;
    int64_t d_in;
    dptr<double> sse;
    dptr<int64_t> fired_rows;
    dptr<float> min_pos;
    dptr<const float> dec_norm;
    dptr<double> l1_rows;
    dptr<uint8_t> fired_flag;
    dptr<unsigned long long> fires;
    int32_t aux;
};

__global__ void k_decode(jsae_decode_args a, dptr<const jsae_step_state> s) {
    if (step_rejected(s) || (a.aux && !s->aux_on)) return;
    JSAE_SHARED(int32_t, chunk_idx, JSAE_THREADS);
    JSAE_SHARED(float, chunk_val, JSAE_THREADS);
    int64_t b = blockIdx.x;
    int64_t e0 = a.row_start[b], e1 = a.row_start[b + 1];
    int64_t fired = 0;
    float min_pos = 3.402823466e38f;
    double l1 = 0;
    for (int64_t e = e0 + threadIdx.x; e < e1; e += blockDim.x) {
        float v = a.val[e];
        if (v > 0) {
            int32_t j = a.idx[e];
            fired++;
            min_pos = v < min_pos ? v : min_pos;
            if (a.dec_norm) l1 += (double) (v * a.dec_norm[j]);
            if (a.fired_flag) a.fired_flag[j] = 1;
            if (a.fires) atomicAdd(&a.fires[j], 1ull);
        }
    }
    fired = block_sum<int64_t>(fired);
    min_pos = block_min(min_pos);
    if (a.dec_norm) l1 = block_sum<double>(l1);
    dptr<float> o = a.out + b * a.d_in;
    for (int64_t d = threadIdx.x; d < a.d_in; d += blockDim.x) o[d] = a.b_dec ? a.b_dec[d] : 0.0f;
    for (int64_t c0 = e0; c0 < e1; c0 += JSAE_THREADS) {
        int64_t n = e1 - c0 < JSAE_THREADS ? e1 - c0 : JSAE_THREADS;
        __syncthreads();
        if ((int64_t) threadIdx.x < n) {
            chunk_idx[threadIdx.x] = a.idx[c0 + threadIdx.x];
            chunk_val[threadIdx.x] = a.val[c0 + threadIdx.x];
        }
        __syncthreads();
        for (int64_t d = threadIdx.x; d < a.d_in; d += blockDim.x) {
            float acc = o[d];
            for (int64_t i = 0; i < n; i++) {
                float v = chunk_val[i];
                if (v > 0) acc += v * a.w_dec[(int64_t) chunk_idx[i] * a.d_in + d];
            }
            o[d] = acc;
        }
    }
    double ss = 0;
    dptr<const float> t = a.target + b * a.d_in;
    for (int64_t d = threadIdx.x; d < a.d_in; d += blockDim.x) {
        float v = o[d] - a.sign * t[d];
        o[d] = v;
        ss += (double) v * v;
    }
    ss = block_sum<double>(ss);
    if (threadIdx.x == 0) {
        a.sse[b] = ss;
        a.fired_rows[b] = fired;
        a.min_pos[b] = min_pos;
        if (a.dec_norm) a.l1_rows[b] = l1;
    }
}

// One block: the batch's sse, mse, fired count and smallest kept value, and the backward's coefficients,
// which depend on the mse (AuxK is skipped when it is 0).
__global__ void k_mid_scalars(int64_t rows, dptr<const double> sse, dptr<const int64_t> fired_rows,
                              dptr<const float> min_pos, int32_t aux_latents, double aux_scale, double l1,
                              dptr<jsae_step_state> s) {
    if (step_rejected(s)) return;
    double ss = 0;
    int64_t f = 0;
    float mp = 3.402823466e38f;
    for (int64_t b = threadIdx.x; b < rows; b += blockDim.x) {
        ss += sse[b];
        f += fired_rows[b];
        mp = min_pos[b] < mp ? min_pos[b] : mp;
    }
    ss = block_sum<double>(ss);
    f = block_sum<int64_t>(f);
    mp = block_min(mp);
    if (threadIdx.x == 0) {
        double mse = ss / (double) rows;
        s->sse = ss;
        s->mse = mse;
        s->fired = f;
        s->min_positive = mp;
        s->coef = (float) (2.0 / (double) rows);
        s->l1 = (float) (l1 / (double) rows);
        s->aux_on = aux_latents > 0 && mse > 0;
        s->aux_coef = s->aux_on ? (float) (aux_scale / mse * 2.0 / (double) rows) : 0.0f;
    }
}

// One block: the step's remaining sums (AuxK sse, L1, total variance).
__global__ void k_final_scalars(int64_t rows, int64_t d_in, dptr<const double> aux_sse, dptr<const double> l1_rows,
                                dptr<const double> var_part, dptr<jsae_step_state> s) {
    if (step_rejected(s)) return;
    double a = 0, l = 0, v = 0;
    for (int64_t b = threadIdx.x; b < rows; b += blockDim.x) {
        if (aux_sse && s->aux_on) a += aux_sse[b];
        if (l1_rows) l += l1_rows[b];
    }
    for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) v += var_part[d];
    a = block_sum<double>(a);
    l = block_sum<double>(l);
    v = block_sum<double>(v);
    if (threadIdx.x == 0) {
        s->aux_sse = a;
        s->l1_sum = l;
        s->variance = v;
    }
}

// Row norms of the decoder, one block per latent.
__global__ void k_row_norms(dptr<const float> w, int64_t d_in, dptr<float> norms) {
    dptr<const float> r = w + (int64_t) blockIdx.x * d_in;
    float acc = 0;
    for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) acc += r[d] * r[d];
    acc = block_sum<float>(acc);
    if (threadIdx.x == 0) norms[blockIdx.x] = sqrtf(acc);
}

// ---------------------------------------------------------------------------------------------------------
// Backward.

// Codes grouped by latent: counts, an exclusive scan, a fill (order within a latent is fixed later by sorting).
__global__ void k_lat_count(dptr<const int32_t> idx, dptr<const int32_t> entries_at, dptr<int32_t> lat_count,
                            dptr<const jsae_step_state> s, int32_t aux) {
    if (step_rejected(s) || (aux && !s->aux_on)) return;
    int64_t n = entries_at[0];
    for (int64_t e = (int64_t) blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (int64_t) gridDim.x * blockDim.x)
        atomicAdd(&lat_count[idx[e]], 1);
}

// Latent starts (exclusive scan of the counts), the fill cursors, and the chunk starts of heavy latents: a latent
// with more than `chunk` entries is split into chunks of `chunk` entries that k_latent_partials sums on blocks
// of their own (one block alone would be a straggler); chunk_start[j] numbers its chunks, chunk_start[d_sae]
// counts them all.
__global__ void k_lat_scan(dptr<const int32_t> lat_count, int64_t d_sae, int64_t chunk, dptr<int32_t> lat_start,
                           dptr<int32_t> lat_cursor, dptr<int32_t> chunk_start, dptr<const jsae_step_state> s,
                           int32_t aux) {
    if (step_rejected(s) || (aux && !s->aux_on)) return;
    int64_t seen = 0, chunks_seen = 0;
    for (int64_t base = 0; base < d_sae; base += blockDim.x) {
        int64_t j = base + threadIdx.x;
        int64_t c = j < d_sae ? lat_count[j] : 0;
        int64_t chunks = c > chunk ? (c + chunk - 1) / chunk : 0;
        int64_t total, chunks_total;
        int64_t before = seen + block_exclusive_scan<int64_t>(c, &total);
        int64_t chunks_before = chunks_seen + block_exclusive_scan<int64_t>(chunks, &chunks_total);
        if (j < d_sae) {
            lat_start[j] = (int32_t) before;
            lat_cursor[j] = (int32_t) before;
            chunk_start[j] = (int32_t) chunks_before;
        }
        seen += total;
        chunks_seen += chunks_total;
    }
    if (threadIdx.x == 0) {
        lat_start[d_sae] = (int32_t) seen;
        chunk_start[d_sae] = (int32_t) chunks_seen;
    }
}

__global__ void k_lat_fill(dptr<const int32_t> idx, dptr<const int32_t> entries_at, dptr<int32_t> lat_cursor,
                           dptr<int32_t> lat_entry, dptr<const jsae_step_state> s, int32_t aux) {
    if (step_rejected(s) || (aux && !s->aux_on)) return;
    int64_t n = entries_at[0];
    for (int64_t e = (int64_t) blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (int64_t) gridDim.x * blockDim.x)
        lat_entry[atomicAdd(&lat_cursor[idx[e]], 1)] = (int32_t) e;
}

struct jsae_latent_codes {
    dptr<int32_t> lat_start, lat_entry;
    dptr<const int32_t> entry_row;
    dptr<const float> kept, val, err;
    dptr<float> dp;  // per entry: dz where pre > 0, else 0 (written by latent_entry_dz)
    dptr<const int32_t> chunk_start;  // heavy latents' chunks (k_lat_scan)
    dptr<float> partials;             // per chunk: gd [d_in], ge [d_in], gb, Σ val
    int64_t chunk;                    // entries per chunk; a latent with more is heavy
};

struct jsae_backward_args {
    jsae_latent_codes main, aux;
    dptr<const float> xc, dec_norm;
    dptr<float> w_enc, b_enc, w_dec;
    dptr<float> m_enc, v_enc, m_benc, v_benc, m_dec, v_dec;
    dptr<jsae_bf16> w_enc16;  // bf16 copy of the encoder (BF16 operands), else null
    dptr<float> g_wenc, g_benc, g_wdec;  // gradients mode: written instead of the Adam step
    dptr<float> bdec_parts;              // [gridDim.x, d_in]
    int64_t d_in, d_sae, latents_per_block;
    int32_t gradients_only;
    jsae_adam_params adam;
};

// dz for the entries [q0, q1) of latent j's list (a warp per entry, reading the entry's error row once while the
// latent's decoder row stays in cache): dp = [pre > 0] · (coef · ⟨err_b, decoder_rows[j]⟩ + l1 · ‖row j‖).
// The caller synchronizes before reading dp.
__device__ inline void latent_entry_dz(const jsae_latent_codes& c, int64_t j, int64_t q0, int64_t q1, float coef,
                                       float l1, dptr<const float> dec_norm, dptr<const float> wd, int64_t d_in) {
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int64_t q = q0 + warp; q < q1; q += warps) {
        int32_t e = c.lat_entry[q];
        dptr<const float> eb = c.err + (int64_t) c.entry_row[e] * d_in;
        float acc = 0;
        for (int64_t d = lane; d < d_in; d += 32) acc += eb[d] * wd[d];
        for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
        if (lane == 0) {
            float p = 0;
            if (c.kept[e] > 0) {
                p = coef * acc;
                if (l1 != 0) p += l1 * dec_norm[j];
            }
            c.dp[e] = p;
        }
    }
}

// The entries [q0, q1) of a latent's list, in order: adds coef·val·err_b into gd and dz·xc_b into ge (this
// thread's columns only), and their dz and values into gb and l1sum (the same in every thread).
__device__ inline void latent_range_grad(const jsae_latent_codes& c, int64_t q0, int64_t q1, float coef,
                                         dptr<const float> xc, dptr<float> gd, dptr<float> ge, int64_t d_in, float& gb,
                                         float& l1sum) {
    for (int64_t q = q0; q < q1; q++) {
        int32_t e = c.lat_entry[q];
        int64_t b = c.entry_row[e];
        float v = c.val[e];
        if (v != 0) {
            float cv = coef * v;
            for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) gd[d] += cv * c.err[b * d_in + d];
            l1sum += v;
        }
        if (!(c.kept[e] > 0)) continue;
        float p = c.dp[e];
        for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) ge[d] += p * xc[b * d_in + d];
        gb += p;
    }
}

__device__ inline bool latent_is_heavy(const jsae_latent_codes& c, int64_t j) {
    return c.lat_start[j + 1] - c.lat_start[j] > c.chunk;
}

// One latent's share of one set of codes: adds its decoder-row gradient into gd and encoder-row gradient into
// ge (this thread's columns only) and returns its b_enc gradient (the same in every thread). A heavy latent's
// sums come from its chunks' partial sums (k_latent_partials), added in chunk order.
__device__ inline float latent_codes_grad(const jsae_latent_codes& c, int64_t j, float coef, float l1,
                                          dptr<const float> dec_norm, dptr<const float> wd, dptr<const float> xc,
                                          dptr<float> gd, dptr<float> ge, int64_t d_in) {
    float gb = 0, l1sum = 0;
    if (latent_is_heavy(c, j)) {
        for (int64_t q = c.chunk_start[j]; q < c.chunk_start[j + 1]; q++) {
            dptr<const float> part = c.partials + q * (2 * d_in + 2);
            for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
                gd[d] += part[d];
                ge[d] += part[d_in + d];
            }
            gb += part[2 * d_in];
            l1sum += part[2 * d_in + 1];
        }
    } else {
        latent_range_grad(c, c.lat_start[j], c.lat_start[j + 1], coef, xc, gd, ge, d_in, gb, l1sum);
    }
    if (l1 != 0 && l1sum != 0 && dec_norm[j] > 0) {
        float f = l1 * l1sum / dec_norm[j];
        for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) gd[d] += f * wd[d];
    }
    return gb;
}

// Sorts each latent's token list (block q owns latents [q·L, (q+1)·L)), so that every sum over a latent's
// entries runs in row order whatever order the fill left: results are deterministic.
__global__ void k_sort_lists(jsae_latent_codes c, int64_t d_sae, int64_t latents_per_block,
                             dptr<const jsae_step_state> s, int32_t aux) {
    if (step_rejected(s) || (aux && !s->aux_on)) return;
    int64_t j0 = (int64_t) blockIdx.x * latents_per_block;
    int64_t j1 = j0 + latents_per_block < d_sae ? j0 + latents_per_block : d_sae;
    for (int64_t j = j0; j < j1; j++) block_sort_ints(c.lat_entry + c.lat_start[j], c.lat_start[j + 1] - c.lat_start[j]);
}

// One chunk of a heavy latent per block (blocks past the last chunk do nothing): the chunk's entries' dz, then
// their sums into the chunk's partials (gd, ge, gb, Σ val). Dynamic shared memory: 2·d_in floats.
__global__ void k_latent_partials(jsae_latent_codes c, int64_t d_sae, int64_t d_in, dptr<const float> w_dec,
                                  dptr<const float> xc, dptr<const float> dec_norm, dptr<const jsae_step_state> s,
                                  int32_t aux) {
    if (step_rejected(s) || (aux && !s->aux_on)) return;
    int64_t q = blockIdx.x;
    if (q >= c.chunk_start[d_sae]) return;
    // The latent whose chunks hold q: the last j with chunk_start[j] <= q.
    int64_t lo = 0, hi = d_sae;
    while (hi - lo > 1) {
        int64_t mid = (lo + hi) / 2;
        if (c.chunk_start[mid] <= q) lo = mid; else hi = mid;
    }
    int64_t j = lo;
    int64_t q0 = c.lat_start[j] + (q - c.chunk_start[j]) * c.chunk;
    int64_t q1 = q0 + c.chunk < c.lat_start[j + 1] ? q0 + c.chunk : c.lat_start[j + 1];
    float coef = aux ? s->aux_coef : s->coef;
    float l1 = aux ? 0.0f : s->l1;
    dptr<const float> wd = w_dec + j * d_in;
    latent_entry_dz(c, j, q0, q1, coef, l1, dec_norm, wd, d_in);
    __syncthreads();
    JSAE_DYNAMIC_SHARED(float, smem);
    dptr<float> gd = smem;
    dptr<float> ge = smem + d_in;
    for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
        gd[d] = 0;
        ge[d] = 0;
    }
    float gb = 0, l1sum = 0;
    latent_range_grad(c, q0, q1, coef, xc, gd, ge, d_in, gb, l1sum);
    dptr<float> part = c.partials + q * (2 * d_in + 2);
    for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
        part[d] = gd[d];
        part[d_in + d] = ge[d];
    }
    if (threadIdx.x == 0) {
        part[2 * d_in] = gb;
        part[2 * d_in + 1] = l1sum;
    }
}

// Adam (PyTorch's form) on one element held in registers: m and v are updated in place, the new weight returned.
__device__ inline float adam_step(float p, float g, float& m, float& v, const jsae_adam_params& a) {
    m = a.b1 * m + a.c1 * g;
    v = a.b2 * v + a.c2 * g * g;
    return p - a.step_size * m / (sqrtf(v) / a.bias2_sqrt + a.eps);
}

// Adam on element i of a parameter whose moments are in memory.
__device__ inline float adam_update(float p, float g, dptr<float> m, dptr<float> v, int64_t i,
                                    const jsae_adam_params& a) {
    float mi = m[i], vi = v[i];
    float np = adam_step(p, g, mi, vi, a);
    m[i] = mi;
    v[i] = vi;
    return np;
}

// Adam over one row of d_in weights, this thread's columns (d ≡ threadIdx.x mod blockDim.x, in increasing order,
// like every other per-column loop of the backward): grad(d, w) gives the gradient of column d with weight w,
// sink(d, new_w) takes the new weight; the moments are written back. JSAE_UNROLL columns are loaded before any
// is updated, so that each thread keeps several loads in flight (one at a time leaves HBM about half idle).
template <class Grad, class Sink>
__device__ inline void adam_row(dptr<const float> w_row, dptr<float> m_row, dptr<float> v_row, int64_t d_in,
                                const jsae_adam_params& adam, Grad grad, Sink sink) {
    for (int64_t d0 = threadIdx.x; d0 < d_in; d0 += JSAE_UNROLL * blockDim.x) {
        float w[JSAE_UNROLL], m[JSAE_UNROLL], v[JSAE_UNROLL];
        for (int u = 0; u < JSAE_UNROLL; u++) {
            int64_t d = d0 + u * blockDim.x;
            if (d < d_in) {
                w[u] = w_row[d];
                m[u] = m_row[d];
                v[u] = v_row[d];
            }
        }
        for (int u = 0; u < JSAE_UNROLL; u++) {
            int64_t d = d0 + u * blockDim.x;
            if (d < d_in) {
                float nw = adam_step(w[u], grad(d, w[u]), m[u], v[u], adam);
                m_row[d] = m[u];
                v_row[d] = v[u];
                sink(d, nw);
            }
        }
    }
}

// The backward pass fused with Adam, latent-major: block q owns latents [q·L, (q+1)·L), whose token lists
// k_sort_lists sorted and whose heavy ones k_latent_partials summed by chunks. For each it computes each entry's
// dz (latent_entry_dz; heavy latents' are done), builds the latent's
// gradient rows in shared memory (never in global memory), adds its encoder term of the b_dec gradient to the
// block's share, and applies Adam to its encoder row and b_enc entry, then to its decoder row: the gradient's
// component along the row removed, Adam, the row renormalized. Each parameter and moment is read and written
// once. Dynamic shared memory: 3·d_in floats (gd, ge, the block's b_dec share).
__global__ void k_backward_adam(jsae_backward_args a, dptr<const jsae_step_state> s) {
    if (step_rejected(s)) return;
    JSAE_DYNAMIC_SHARED(float, smem);
    const int64_t d_in = a.d_in;
    dptr<float> gd = smem;
    dptr<float> ge = smem + d_in;
    dptr<float> part = smem + 2 * d_in;
    const int32_t aux_on = s->aux_on;
    const float coef = s->coef, l1 = s->l1, aux_coef = s->aux_coef;
    for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) part[d] = 0;
    int64_t j0 = (int64_t) blockIdx.x * a.latents_per_block;
    int64_t j1 = j0 + a.latents_per_block < a.d_sae ? j0 + a.latents_per_block : a.d_sae;
    for (int64_t j = j0; j < j1; j++) {
        dptr<float> wd = a.w_dec + j * d_in;
        dptr<float> we = a.w_enc + j * d_in;
        if (!latent_is_heavy(a.main, j))
            latent_entry_dz(a.main, j, a.main.lat_start[j], a.main.lat_start[j + 1], coef, l1, a.dec_norm, wd, d_in);
        if (aux_on && !latent_is_heavy(a.aux, j))
            latent_entry_dz(a.aux, j, a.aux.lat_start[j], a.aux.lat_start[j + 1], aux_coef, 0.0f, a.dec_norm, wd, d_in);
        __syncthreads();
        // Each thread owns the columns d ≡ threadIdx.x (mod blockDim.x) of gd, ge and part: no barrier needed
        // between these loops.
        for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
            gd[d] = 0;
            ge[d] = 0;
        }
        float gb_main = latent_codes_grad(a.main, j, coef, l1, a.dec_norm, wd, a.xc, gd, ge, d_in);
        float gb_aux = aux_on ? latent_codes_grad(a.aux, j, aux_coef, 0.0f, a.dec_norm, wd, a.xc, gd, ge, d_in) : 0.0f;
        for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
            if (gb_main != 0) part[d] += gb_main * we[d];
            if (gb_aux != 0) part[d] += gb_aux * we[d];
        }
        float gb = gb_main + gb_aux;
        if (a.gradients_only) {
            for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
                a.g_wdec[j * d_in + d] = gd[d];
                a.g_wenc[j * d_in + d] = ge[d];
            }
            if (threadIdx.x == 0) a.g_benc[j] = gb;
            continue;
        }
        adam_row(we, a.m_enc + j * d_in, a.v_enc + j * d_in, d_in, a.adam, [&](int64_t d, float) { return ge[d]; },
                 [&](int64_t d, float nw) {
                     we[d] = nw;
                     if (a.w_enc16) a.w_enc16[j * d_in + d] = jsae_to_bf16(nw);
                 });
        if (threadIdx.x == 0) a.b_enc[j] = adam_update(a.b_enc[j], gb, a.m_benc, a.v_benc, j, a.adam);
        float ww = 0, gw = 0;
        for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) {
            ww += wd[d] * wd[d];
            gw += gd[d] * wd[d];
        }
        ww = block_sum<float>(ww);
        gw = block_sum<float>(gw);
        float c = ww > 0 ? gw / ww : 0.0f;
        float nn = 0;
        adam_row(
            wd, a.m_dec + j * d_in, a.v_dec + j * d_in, d_in, a.adam,
            [&](int64_t d, float w) { return ww > 0 ? gd[d] - c * w : gd[d]; },
            [&](int64_t d, float nw) {
                ge[d] = nw;  // the encoder gradient is spent: its space holds the new decoder row
                nn += nw * nw;
            });
        nn = block_sum<float>(nn);
        float norm = sqrtf(nn);
        float inv = norm > 0 ? 1.0f / norm : 1.0f;
        for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) wd[d] = norm > 0 ? ge[d] * inv : ge[d];
        __syncthreads();
    }
    for (int64_t d = threadIdx.x; d < d_in; d += blockDim.x) a.bdec_parts[(int64_t) blockIdx.x * d_in + d] = part[d];
}

// b_dec: g[d] = coef·Σ_b err[b,d] − Σ_q parts[q,d]; Adam, or the gradient kept (gradients mode). 32 columns
// per block.
__global__ void k_bdec(dptr<const float> err, int64_t rows, int64_t d_in, dptr<const float> parts, int64_t n_parts,
                       int32_t gradients_only, dptr<float> g_bdec, dptr<float> b_dec, dptr<float> m, dptr<float> v,
                       jsae_adam_params adam, dptr<const jsae_step_state> s) {
    if (step_rejected(s)) return;
    int64_t d = (int64_t) blockIdx.x * 32 + (threadIdx.x & 31u);
    float acc = column_sum<float>(rows, d, d_in, [&](int64_t b, int64_t c) { return err[b * d_in + c]; });
    if (threadIdx.x >= 32 || d >= d_in) return;
    acc *= s->coef;
    for (int64_t q = 0; q < n_parts; q++) acc -= parts[q * d_in + d];
    if (gradients_only) {
        g_bdec[d] = acc;
    } else {
        b_dec[d] = adam_update(b_dec[d], acc, m, v, d, adam);
    }
}

// Counters: grow by rows, reset where the latent fired this step; dead mask and count (add_rows 0 only
// recomputes the mask, e.g. after the counters were replaced).
__global__ void k_counters(dptr<uint8_t> fired_flag, dptr<long long> tokens_since_fired, int64_t rows,
                           int64_t dead_tokens, int64_t d_sae, dptr<uint8_t> dead, dptr<jsae_step_state> s,
                           int32_t add_rows) {
    if (add_rows && step_rejected(s)) return;
    int64_t j = (int64_t) blockIdx.x * blockDim.x + threadIdx.x;
    long long is_dead = 0;
    if (j < d_sae) {
        long long t = tokens_since_fired[j];
        if (add_rows) {
            t = fired_flag[j] ? 0 : t + rows;
            tokens_since_fired[j] = t;
            fired_flag[j] = 0;
        }
        is_dead = t >= dead_tokens;
        dead[j] = (uint8_t) is_dead;
    }
    is_dead = block_sum<long long>(is_dead);
    if (threadIdx.x == 0 && is_dead) atomicAdd((unsigned long long*) &s->dead, (unsigned long long) is_dead);
}

// float → bf16 copy (grid-stride).
__global__ void k_to_bf16(dptr<const float> src, dptr<jsae_bf16> dst, int64_t n) {
    for (int64_t i = (int64_t) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x)
        dst[i] = jsae_to_bf16(src[i]);
}

// row_start[b] = b·width for b in [0, rows]: the layout of per-row selections of a fixed width (topk, AuxK).
__global__ void k_fixed_row_starts(dptr<int32_t> row_start, int64_t rows, int32_t width) {
    for (int64_t b = (int64_t) blockIdx.x * blockDim.x + threadIdx.x; b <= rows; b += (int64_t) gridDim.x * blockDim.x)
        row_start[b] = (int32_t) (b * width);
}

#endif
