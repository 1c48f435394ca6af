// jsae CPU kernels: the fused sparse passes of one SAE training step (everything but the encoder GEMM,
// which libtorch does). Each kernel takes the half-open range of rows (or latents, or elements) it owns,
// so that the Java side can split work across threads: every output element is written by exactly one
// call, in a fixed order, which keeps results bitwise identical whatever the thread count.
// Layout: W_enc and W_dec are row-major [d_sae, d_in] (one row per latent). Codes are CSR:
// row b owns entries [row_start[b], row_start[b+1]) of idx (latent), pre (pre-activation), val (relu(pre)).
#ifndef JSAE_CPU_H
#define JSAE_CPU_H

#include <stdint.h>
#include <math.h>
#include <string.h>
#include <float.h>

#include <algorithm>
#include <functional>

// The half-precision conversion of the loader's library (jsae_widen_rows); its other functions are not used here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "jsae_decode.h"
#pragma GCC diagnostic pop

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define JSAE_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define JSAE_HOT
#endif

// Orderable key of a float: larger float, larger key (NaN excluded by the input check).
static inline uint32_t jsae_key(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float jsae_dot(const float* a, const float* b, int64_t n) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

// Widens rows [b0, b1) of float16 (bf16 == 0) or bfloat16 values, row-major from `halves`, to float32 in `out`
// (exact), with the loader's vectorized conversion. Non-finite values pass through: jsae_center finds them.
static void jsae_widen_rows(const uint16_t* halves, int32_t bf16, float* out, int64_t d_in, int64_t b0, int64_t b1) {
    const uint16_t* src = halves + b0 * d_in;
    float* dst = out + b0 * d_in;
    int64_t n = (b1 - b0) * d_in;
    if (bf16) {
        jsae_decode_bf16(src, dst, n);
    } else {
        jsae_decode_f16(src, dst, n);
    }
}

// x *= scale (in place, when scale != 1), xc = x - b_dec for rows [b0, b1); returns the first row holding NaN
// or Inf after scaling, or -1.
JSAE_HOT static int64_t jsae_center(float* x, float scale, const float* b_dec, float* xc, int64_t d_in, int64_t b0,
                                    int64_t b1) {
    int64_t bad = -1;
    for (int64_t b = b0; b < b1; b++) {
        float* xr = x + b * d_in;
        float* out = xc + b * d_in;
        float check = 0;
        if (scale != 1.0f) {
            for (int64_t d = 0; d < d_in; d++) {
                float v = xr[d] * scale;
                xr[d] = v;  // the batch buffer is the backend's own: later passes read the scaled rows
                check += v * 0.0f;  // stays 0 unless some element is NaN or Inf
                out[d] = v - b_dec[d];
            }
        } else {
            for (int64_t d = 0; d < d_in; d++) {
                check += xr[d] * 0.0f;
                out[d] = xr[d] - b_dec[d];
            }
        }
        if (check != 0 || check != check) {
            if (bad < 0) bad = b;
        }
    }
    return bad;
}

// Sum over columns [d0, d1) of the squared deviation from the column mean over rows [0, rows).
static double jsae_column_variance(const float* x, int64_t rows, int64_t d_in, int64_t d0, int64_t d1) {
    double total = 0;
    for (int64_t d = d0; d < d1; d++) {
        double mean = 0;
        for (int64_t b = 0; b < rows; b++) mean += x[b * d_in + d];
        mean /= (double) rows;
        double s = 0;
        for (int64_t b = 0; b < rows; b++) {
            double e = x[b * d_in + d] - mean;
            s += e * e;
        }
        total += s;
    }
    return total;
}

// Bounded min-heap of the k best (key, index) pairs seen so far; the root is the worst kept entry. Offers
// must come in increasing index order: an equal key with a later index never displaces a kept one.
struct JsaeTopK {
    uint32_t* keys;
    int32_t* ids;
    int32_t k;
    int32_t n;

    inline void offer(uint32_t key, int32_t j) {
        if (n < k) {
            int32_t c = n++;
            while (c > 0) {
                int32_t p = (c - 1) >> 1;
                if (keys[p] < key || (keys[p] == key && ids[p] > j)) break;
                keys[c] = keys[p];
                ids[c] = ids[p];
                c = p;
            }
            keys[c] = key;
            ids[c] = j;
            return;
        }
        if (key <= keys[0]) return;
        int32_t c = 0;
        for (;;) {
            int32_t l = 2 * c + 1;
            if (l >= k) break;
            int32_t r = l + 1;
            int32_t m = (r < k && (keys[r] < keys[l] || (keys[r] == keys[l] && ids[r] > ids[l]))) ? r : l;
            if (keys[m] < key || (keys[m] == key && ids[m] > j)) {
                keys[c] = keys[m];
                ids[c] = ids[m];
                c = m;
            } else {
                break;
            }
        }
        keys[c] = key;
        ids[c] = j;
    }
};

static inline float jsae_block_max(const float* v) {
    float m = v[0];
#pragma omp simd reduction(max : m)
    for (int t = 0; t < 64; t++) m = v[t] > m ? v[t] : m;
    return m;
}

// Per row, the k best entries of pre (value desc, lower index first) among latents with allowed[j] != 0
// (allowed may be null: all). Writes k ascending indices at idx + b*k. Requires k <= allowed count.
// Without a mask a first pass takes the maximum of each 64-value block: the k-th largest block maximum is a
// lower bound of the k-th largest value (k distinct entries reach it), so only the blocks whose maximum
// reaches it are scanned, in index order; with a mask, blocks are skipped against the running k-th value.
static void jsae_topk_rows(const float* pre, int64_t d_sae, int32_t k, const uint8_t* allowed, int32_t* idx,
                           int64_t b0, int64_t b1) {
    const int64_t blocks = d_sae / 64;
    const bool bound_first = allowed == 0 && 2 * (int64_t) k <= blocks;
    uint32_t* keys = new uint32_t[k];
    int32_t* ids = new int32_t[k];
    float* block_max = new float[blocks > 0 ? blocks : 1];
    float* scratch = new float[blocks > 0 ? blocks : 1];
    for (int64_t b = b0; b < b1; b++) {
        const float* row = pre + b * d_sae;
        JsaeTopK heap = {keys, ids, k, 0};
        float bound = -FLT_MAX;
        if (bound_first) {
            for (int64_t q = 0; q < blocks; q++) block_max[q] = jsae_block_max(row + q * 64);
            memcpy(scratch, block_max, sizeof(float) * blocks);
            std::nth_element(scratch, scratch + (k - 1), scratch + blocks, std::greater<float>());
            bound = scratch[k - 1];
        }
        for (int64_t q = 0; q < blocks; q++) {
            const float* blk = row + q * 64;
            if (bound_first) {
                if (block_max[q] < bound) continue;
            } else if (heap.n == k && jsae_block_max(blk) < row[heap.ids[0]]) {
                continue;
            }
            for (int32_t t = 0; t < 64; t++) {
                int32_t j = (int32_t) (q * 64 + t);
                if (blk[t] < bound || (allowed && !allowed[j])) continue;
                heap.offer(jsae_key(blk[t]), j);
            }
        }
        for (int64_t j = blocks * 64; j < d_sae; j++) {
            if (allowed && !allowed[j]) continue;
            heap.offer(jsae_key(row[j]), (int32_t) j);
        }
        // Emit in ascending index order (insertion sort: k is small next to d_sae).
        int32_t* out = idx + b * k;
        for (int32_t i = 0; i < k; i++) {
            int32_t v = ids[i];
            int32_t t = i;
            while (t > 0 && out[t - 1] > v) {
                out[t] = out[t - 1];
                t--;
            }
            out[t] = v;
        }
    }
    delete[] keys;
    delete[] ids;
    delete[] block_max;
    delete[] scratch;
}

// Histogram of the high 16 bits of the keys of pre[i0, i1) (hi_bin < 0), or of the low 16 bits of the
// keys whose high bits equal hi_bin. hist has 65536 slots and is added to.
static void jsae_key_histogram(const float* pre, int64_t i0, int64_t i1, int32_t hi_bin, int64_t* hist) {
    if (hi_bin < 0) {
        for (int64_t i = i0; i < i1; i++) hist[jsae_key(pre[i]) >> 16]++;
    } else {
        for (int64_t i = i0; i < i1; i++) {
            uint32_t key = jsae_key(pre[i]);
            if ((int32_t) (key >> 16) == hi_bin) hist[key & 0xFFFFu]++;
        }
    }
}

// Per row b in [b0, b1): count entries with key > tau (gt[b]) and key == tau (eq[b]).
static void jsae_count_threshold(const float* pre, int64_t d_sae, uint32_t tau, int32_t* gt, int32_t* eq,
                                 int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
        const float* row = pre + b * d_sae;
        int32_t g = 0, e = 0;
        for (int64_t j = 0; j < d_sae; j++) {
            uint32_t key = jsae_key(row[j]);
            g += key > tau;
            e += key == tau;
        }
        gt[b] = g;
        eq[b] = e;
    }
}

// Per row: ascending indices with key > tau, plus the first ties[b] entries with key == tau, written from
// idx + row_start[b].
static void jsae_select_threshold(const float* pre, int64_t d_sae, uint32_t tau, const int32_t* ties,
                                  const int32_t* row_start, int32_t* idx, int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
        const float* row = pre + b * d_sae;
        int32_t n = row_start[b];
        int32_t t = ties[b];
        for (int64_t j = 0; j < d_sae; j++) {
            uint32_t key = jsae_key(row[j]);
            if (key > tau || (key == tau && t-- > 0)) idx[n++] = (int32_t) j;
        }
    }
}

// JumpReLU with per-latent thresholds theta: per row, gt[b] = entries with pre > theta[j] (as floats).
static void jsae_count_jump(const float* pre, int64_t d_sae, const float* theta, int32_t* gt, int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
        const float* row = pre + b * d_sae;
        int32_t g = 0;
        for (int64_t j = 0; j < d_sae; j++) g += row[j] > theta[j];
        gt[b] = g;
    }
}

// JumpReLU: per row, the ascending indices with pre > theta[j], written from idx + row_start[b].
static void jsae_select_jump(const float* pre, int64_t d_sae, const float* theta, const int32_t* row_start,
                             int32_t* idx, int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
        const float* row = pre + b * d_sae;
        int32_t n = row_start[b];
        for (int64_t j = 0; j < d_sae; j++)
            if (row[j] > theta[j]) idx[n++] = (int32_t) j;
    }
}

// For rows [b0, b1): kept pre and val = relu(pre) per entry; out_b = (b_dec or 0) + sum val * W_dec[idx];
// then out_b := out_b - sign * target_b (the reconstruction error); sse[b] = |out_b|^2, fired[b] = entries
// with val > 0, min_pos[b] = smallest positive val (FLT_MAX if none).
JSAE_HOT static void jsae_decode(const float* pre, int64_t d_sae, const int32_t* row_start, const int32_t* idx,
                                 float* kept_pre, float* val, const float* w_dec, const float* b_dec,
                                 const float* target, float sign, float* out, int64_t d_in, double* sse,
                                 int32_t* fired, float* min_pos, int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
        float* o = out + b * d_in;
        if (b_dec) {
            memcpy(o, b_dec, sizeof(float) * d_in);
        } else {
            memset(o, 0, sizeof(float) * d_in);
        }
        int32_t f = 0;
        float mp = FLT_MAX;
        for (int32_t e = row_start[b]; e < row_start[b + 1]; e++) {
            float p = pre[b * d_sae + idx[e]];
            float v = p > 0 ? p : 0.0f;
            kept_pre[e] = p;
            val[e] = v;
            if (v > 0) {
                f++;
                if (v < mp) mp = v;
                const float* w = w_dec + (int64_t) idx[e] * d_in;
#pragma omp simd
                for (int64_t d = 0; d < d_in; d++) o[d] += v * w[d];
            }
        }
        const float* t = target + b * d_in;
        double s = 0;
        for (int64_t d = 0; d < d_in; d++) {
            o[d] -= sign * t[d];
            s += (double) o[d] * o[d];
        }
        sse[b] = s;
        fired[b] = f;
        min_pos[b] = mp;
    }
}

// Counting sort of entries by latent: lat_start[d_sae + 1], lat_entry (entry ids in row order per latent),
// entry_row (row of each entry). Single-threaded: O(entries + d_sae).
static void jsae_group_by_latent(const int32_t* row_start, const int32_t* idx, int64_t rows, int64_t d_sae,
                                 int32_t* lat_start, int32_t* lat_entry, int32_t* entry_row) {
    memset(lat_start, 0, sizeof(int32_t) * (d_sae + 1));
    int32_t n = row_start[rows];
    for (int64_t b = 0; b < rows; b++)
        for (int32_t e = row_start[b]; e < row_start[b + 1]; e++) {
            entry_row[e] = (int32_t) b;
            lat_start[idx[e] + 1]++;
        }
    for (int64_t j = 0; j < d_sae; j++) lat_start[j + 1] += lat_start[j];
    // fill, using lat_entry positions advanced through a cursor copy kept in entry slots' order
    int32_t* cursor = new int32_t[d_sae];
    memcpy(cursor, lat_start, sizeof(int32_t) * d_sae);
    for (int32_t e = 0; e < n; e++) lat_entry[cursor[idx[e]]++] = e;
    delete[] cursor;
}

// One latent's share of one set of codes (main or AuxK), added into the gradient rows gd (decoder) and ge
// (encoder) and returned as its b_enc gradient; shared by the
// backward pass that keeps gradients and the one fused with Adam.
JSAE_HOT static inline float jsae_latent_grad(int64_t j, const int32_t* lat_start, const int32_t* lat_entry,
                                              const int32_t* entry_row, const float* kept_pre, const float* val,
                                              const float* err, float coef, float l1, const float* dec_norm,
                                              const float* xc, const float* wd, float* gd, float* ge, int64_t d_in) {
    float gb = 0, l1sum = 0;
    for (int32_t s = lat_start[j]; s < lat_start[j + 1]; s++) {
        int32_t e = lat_entry[s];
        int64_t b = entry_row[e];
        const float* eb = err + b * d_in;
        float v = val[e];
        if (v != 0) {
            float cv = coef * v;
#pragma omp simd
            for (int64_t d = 0; d < d_in; d++) gd[d] += cv * eb[d];
            l1sum += v;
        }
        if (!(kept_pre[e] > 0)) continue;
        float dp = coef * jsae_dot(eb, wd, d_in);
        if (l1 != 0) dp += l1 * dec_norm[j];
        const float* xb = xc + b * d_in;
#pragma omp simd
        for (int64_t d = 0; d < d_in; d++) ge[d] += dp * xb[d];
        gb += dp;
    }
    if (l1 != 0 && l1sum != 0 && dec_norm[j] > 0) {
        float c = l1 * l1sum / dec_norm[j];
#pragma omp simd
        for (int64_t d = 0; d < d_in; d++) gd[d] += c * wd[d];
    }
    return gb;
}

// Backward of one set of codes (main or AuxK) for the latents [j0, j1), grouped by latent so that each
// latent's decoder and encoder rows are read once and its gradient rows written by one thread:
//   dz = coef * <err_b, W_dec[j]> + l1 * |W_dec[j]|,  dpre = [pre > 0] * dz
//   g_wdec[j] += coef * val * err_b  (+ l1 * sum(val) * W_dec[j] / |W_dec[j]|)
//   g_wenc[j] += dpre * xc_b,  g_benc[j] += dpre
// overwrite != 0 sets the gradient rows instead of adding (the first pass of a step). bdec_part (d_in floats)
// gets sum_j (sum_b dpre) * W_enc[j]: the encoder's share of the b_dec gradient, since
// d/d b_dec of xc = x - b_dec summed over the batch is -sum_j g_benc[j] * W_enc[j].
// Training steps use jsae_backward_adam_latents; this pass keeps the gradients (conformance probe).
JSAE_HOT static void jsae_backward_latents(const int32_t* lat_start, const int32_t* lat_entry, const int32_t* entry_row,
                                           const float* kept_pre, const float* val, const float* err, float coef,
                                           float l1, const float* dec_norm, const float* xc, const float* w_dec,
                                           const float* w_enc, float* g_wdec, float* g_wenc, float* g_benc,
                                           float* bdec_part, int32_t overwrite, int64_t d_in, int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) {
        float* gd = g_wdec + j * d_in;
        float* ge = g_wenc + j * d_in;
        if (overwrite) {
            memset(gd, 0, sizeof(float) * d_in);
            memset(ge, 0, sizeof(float) * d_in);
        }
        float gb = jsae_latent_grad(j, lat_start, lat_entry, entry_row, kept_pre, val, err, coef, l1, dec_norm, xc,
                                    w_dec + j * d_in, gd, ge, d_in);
        g_benc[j] = overwrite ? gb : g_benc[j] + gb;
        if (gb != 0) {
            const float* we = w_enc + j * d_in;
#pragma omp simd
            for (int64_t d = 0; d < d_in; d++) bdec_part[d] += gb * we[d];
        }
    }
}

// g_bdec[d] = coef * sum_b err[b, d] - sum_p parts[p * d_in + d] for columns [d0, d1).
static void jsae_bdec_grad(const float* err, float coef, int64_t rows, const float* parts, int32_t n_parts,
                           int64_t d_in, float* g_bdec, int64_t d0, int64_t d1) {
    for (int64_t d = d0; d < d1; d++) {
        float s = 0;
        for (int64_t b = 0; b < rows; b++) s += err[b * d_in + d];
        s *= coef;
        for (int32_t p = 0; p < n_parts; p++) s -= parts[p * d_in + d];
        g_bdec[d] = s;
    }
}

// Row norms of W [rows, d_in] for rows [j0, j1).
static void jsae_row_norms(const float* w, int64_t d_in, float* norms, int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) norms[j] = sqrtf(jsae_dot(w + j * d_in, w + j * d_in, d_in));
}

// Adam (PyTorch form) on elements [i0, i1).
// c1 = 1 - b1 and c2 = 1 - b2 come from the caller, computed in double: 1 - 0.999f in float is off by 1e-5.
JSAE_HOT static void jsae_adam(float* p, const float* g, float* m, float* v, float b1, float c1, float b2, float c2,
                               float step_size, float bc2_sqrt, float eps, int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
    }
}

// Decoder rows [j0, j1): remove the gradient's component along the row, Adam, renormalize the row.
JSAE_HOT static void jsae_adam_decoder_rows(float* w, float* g, float* m, float* v, int64_t d_in, float b1, float c1,
                                            float b2, float c2, float step_size, float bc2_sqrt, float eps,
                                            int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) {
        float* wr = w + j * d_in;
        float* gr = g + j * d_in;
        float ww = jsae_dot(wr, wr, d_in);
        if (ww > 0) {
            float c = jsae_dot(gr, wr, d_in) / ww;
#pragma omp simd
            for (int64_t d = 0; d < d_in; d++) gr[d] -= c * wr[d];
        }
        jsae_adam(wr, gr, m + j * d_in, v + j * d_in, b1, c1, b2, c2, step_size, bc2_sqrt, eps, 0, d_in);
        float norm = sqrtf(jsae_dot(wr, wr, d_in));
        if (norm > 0) {
            float inv = 1.0f / norm;
            for (int64_t d = 0; d < d_in; d++) wr[d] *= inv;
        }
    }
}

// The backward pass and the optimizer step fused per latent, for latents [j0, j1): each latent's gradient rows
// are built in the caller's scratch (2 * d_in floats, one per thread), never written to memory, and applied at
// once: Adam on its encoder row and b_enc entry; on its decoder row the gradient's component along the row is
// removed, then Adam, then the row is renormalized. Reads each parameter and moment row once and writes it
// once: 24 bytes per parameter, against 32 when gradients go through memory. aux_coef == 0 skips the AuxK set.
// bdec_part gets the encoder's share of the b_dec gradient, as in jsae_backward_latents (old W_enc rows).
JSAE_HOT static void jsae_backward_adam_latents(
        const int32_t* lat_start, const int32_t* lat_entry, const int32_t* entry_row, const float* kept_pre,
        const float* val, const float* err, float coef, float l1, const float* dec_norm,
        const int32_t* aux_lat_start, const int32_t* aux_lat_entry, const int32_t* aux_entry_row,
        const float* aux_kept_pre, const float* aux_val, const float* aux_err, float aux_coef,
        const float* xc, float* w_dec, float* w_enc, float* b_enc, float* m_dec, float* v_dec, float* m_enc,
        float* v_enc, float* m_benc, float* v_benc, float* scratch, float* bdec_part, float b1, float c1, float b2,
        float c2, float step_size, float bc2_sqrt, float eps, int64_t d_in, int64_t j0, int64_t j1) {
    float* gd = scratch;
    float* ge = scratch + d_in;
    for (int64_t j = j0; j < j1; j++) {
        float* wd = w_dec + j * d_in;
        float* we = w_enc + j * d_in;
        memset(gd, 0, sizeof(float) * d_in);
        memset(ge, 0, sizeof(float) * d_in);
        float gb = jsae_latent_grad(j, lat_start, lat_entry, entry_row, kept_pre, val, err, coef, l1, dec_norm, xc,
                                    wd, gd, ge, d_in);
        if (gb != 0) {
#pragma omp simd
            for (int64_t d = 0; d < d_in; d++) bdec_part[d] += gb * we[d];
        }
        if (aux_coef != 0) {
            float ga = jsae_latent_grad(j, aux_lat_start, aux_lat_entry, aux_entry_row, aux_kept_pre, aux_val, aux_err,
                                        aux_coef, 0.0f, nullptr, xc, wd, gd, ge, d_in);
            if (ga != 0) {
#pragma omp simd
                for (int64_t d = 0; d < d_in; d++) bdec_part[d] += ga * we[d];
            }
            gb += ga;
        }
        jsae_adam(we, ge, m_enc + j * d_in, v_enc + j * d_in, b1, c1, b2, c2, step_size, bc2_sqrt, eps, 0, d_in);
        jsae_adam(b_enc + j, &gb, m_benc + j, v_benc + j, b1, c1, b2, c2, step_size, bc2_sqrt, eps, 0, 1);
        jsae_adam_decoder_rows(wd, gd, m_dec + j * d_in, v_dec + j * d_in, d_in, b1, c1, b2, c2, step_size, bc2_sqrt,
                               eps, 0, 1);
    }
}

// Latents [j0, j1): counters grow by rows, reset where a kept entry fired (val > 0); dead[j] marks
// counters >= dead_tokens afterwards. Returns the dead count in the range.
static int64_t jsae_update_counters(const int32_t* lat_start, const int32_t* lat_entry, const float* val,
                                    int64_t* tokens_since_fired, int64_t rows, int64_t dead_tokens, uint8_t* dead,
                                    int64_t j0, int64_t j1) {
    int64_t count = 0;
    for (int64_t j = j0; j < j1; j++) {
        int fired = 0;
        for (int32_t s = lat_start[j]; s < lat_start[j + 1]; s++) fired |= val[lat_entry[s]] > 0;
        tokens_since_fired[j] = fired ? 0 : tokens_since_fired[j] + rows;
        dead[j] = tokens_since_fired[j] >= dead_tokens;
        count += dead[j];
    }
    return count;
}

// Latents [j0, j1): fires[j] += entries with val > 0 (for feature-density statistics).
static void jsae_count_fires(const int32_t* lat_start, const int32_t* lat_entry, const float* val, int64_t* fires,
                             int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++)
        for (int32_t s = lat_start[j]; s < lat_start[j + 1]; s++) fires[j] += val[lat_entry[s]] > 0;
}

#endif
