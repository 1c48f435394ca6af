// Host side of the CUDA core: one SAE's device memory and the order of the kernels of a step (see the top of
// jsae_kernels.cuh). Compiled by nvcc for a GPU and by g++ for the host emulation (JSAE_EMULATION); the
// difference lives in jsae_runtime.h. One stream; one host synchronization per step, at the end (relu, jumprelu
// and thresholded evaluation add one after the selection, to size the codes; batchtopk one after its candidates,
// to learn whether a row overflowed them).
#include "jsae_cuda.h"
#include "jsae_kernels.cuh"
#include "jsae_runtime.h"

#include <math.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

template <class T>
T* as(void* p) {
    return static_cast<T*>(p);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct codes_buffers {
    int32_t *row_start = nullptr, *idx = nullptr, *entry_row = nullptr;
    float *kept = nullptr, *val = nullptr, *dp = nullptr;
    int32_t *lat_start = nullptr, *lat_count = nullptr, *lat_cursor = nullptr, *lat_entry = nullptr;
    int64_t capacity = 0;
    // Heavy latents' chunks: at most max_chunks of `chunk` entries, their partial sums in partials.
    int32_t* chunk_start = nullptr;
    float* partials = nullptr;
    int64_t chunk = 0, max_chunks = 0;
    bool grouped = true;  // false for codes never grouped by latent (batchtopk's candidates): no chunks
};

}  // namespace

struct jsae_cuda_sae {
    jsae_cuda_config cfg;
    int device = 0;
    jsae_stream stream = nullptr;
    rt_blas blas;
    std::string error;
    bool sync_each_launch = false;
    std::vector<void*> device_memory;
    std::vector<void*> host_memory;
    struct batch_buffer {
        void* p;
        size_t bytes;
        int registered; // rt_host_alloc_batch's answer
    };
    std::vector<batch_buffer> batch_memory; // the input buffers

    float* tensors[JSAE_T_COUNT] = {};
    int64_t tensor_size[JSAE_T_COUNT] = {};
    jsae_bf16 *w_enc16 = nullptr, *xc16 = nullptr;
    bool w_enc16_stale = false;
    float* host_input[2] = {};
    uint16_t* x_half = nullptr;  // F16/BF16 rows as copied from the host, before k_widen_input

    float *x = nullptr, *xc = nullptr, *pre = nullptr, *err = nullptr, *aux_err = nullptr, *dec_norm = nullptr;
    float *min_pos = nullptr, *bdec_parts = nullptr;
    double *sse = nullptr, *aux_sse = nullptr, *l1_rows = nullptr, *var_part = nullptr;
    int64_t *fired_rows = nullptr, *gt = nullptr, *eq = nullptr, *ties = nullptr;
    codes_buffers main, aux;
    codes_buffers cand;          // batchtopk: each row's best candidates
    int64_t batch_candidates = 0;  // per row; 0: no candidate path (exact radix select over the whole batch)
    long long* tokens_since_fired = nullptr;
    uint8_t *dead = nullptr, *fired_flag = nullptr;
    unsigned long long* fires = nullptr;
    jsae_step_state* state = nullptr;
    jsae_step_state* host_state = nullptr;
    int64_t backward_blocks = 0, latents_per_block = 0;
    size_t backward_smem = 0;
    int32_t topk_candidates = 0;  // capacity of the per-row top-k's shared candidates
    bool rejected_at_selection = false;
    jsae_event step_start = jsae_event(), step_end = jsae_event();  // the selection's synchronization already found a non-finite row

    bool ok() const { return error.empty(); }

    // Every entry point runs on the SAE's device, whatever the calling thread had current (cuBLAS and the runtime
    // both use the thread's current device).
    bool enter() {
        if (!ok()) return false;
        return check(rt_set_device(device), "cudaSetDevice");
    }

    size_t topk_smem() const { return (size_t) topk_candidates * (sizeof(uint32_t) + sizeof(int32_t)); }
    // Entries batchtopk keeps in a batch of `rows`: min(k·rows, rows·d_sae).
    long long batchtopk_keep(int rows) const {
        long long keep = (long long) cfg.k * rows;
        return keep < (long long) rows * cfg.d_sae ? keep : (long long) rows * cfg.d_sae;
    }
    size_t partial_smem() const { return sizeof(float) * 2 * (size_t) cfg.d_in; }

    // The kernels' view of a set of codes grouped by latent, with the error its gradients use.
    jsae_latent_codes latent_codes(const codes_buffers& c, const float* error) const {
        jsae_latent_codes l;
        l.lat_start = c.lat_start;
        l.lat_entry = c.lat_entry;
        l.entry_row = c.entry_row;
        l.kept = c.kept;
        l.val = c.val;
        l.err = error;
        l.dp = c.dp;
        l.chunk_start = c.chunk_start;
        l.partials = c.partials;
        l.chunk = c.chunk;
        return l;
    }

    bool fail(const std::string& what) {
        if (error.empty()) error = what;
        return false;
    }

    // Every launch reports here: a launch error becomes the sticky error, naming the kernel.
    void launched(const char* kernel, int code) {
        if (!error.empty()) return;
#ifdef JSAE_EMULATION
        if (code != 0) fail(std::string("kernel ") + kernel + " failed: " + jsae_emu::last_error());
#else
        if (code != 0) {
            fail(std::string("kernel ") + kernel + " could not start: " + cudaGetErrorString((cudaError_t) code));
            return;
        }
        if (sync_each_launch) {  // JSAE_CUDA_SYNC=1: find the kernel behind an asynchronous fault
            cudaError_t e = cudaStreamSynchronize(stream);
            if (e != cudaSuccess) fail(std::string("kernel ") + kernel + " failed: " + cudaGetErrorString(e));
        }
#endif
    }

    bool check(rt_status st, const char* what) {
        if (st != 0) return fail(std::string(what) + ": " + rt_error_string(st));
        return ok();
    }

    template <class T>
    T* alloc(int64_t count, const char* what) {
        if (!ok()) return nullptr;
        size_t bytes = (size_t) (count < 1 ? 1 : count) * sizeof(T);
        void* p = nullptr;
        rt_status st = rt_malloc(&p, bytes);
        if (st != 0 || !p) {
            size_t free_bytes = 0, total_bytes = 0;
            rt_mem_info(&free_bytes, &total_bytes);
            char line[300];
            snprintf(line, sizeof line,
                     "out of device memory: asked %zu bytes for %s, %zu bytes free of %zu on device %d", bytes, what,
                     free_bytes, total_bytes, device);
            fail(line);
            return nullptr;
        }
        device_memory.push_back(p);
        return as<T>(p);
    }

    void release(void* p) {
        for (size_t i = 0; i < device_memory.size(); i++)
            if (device_memory[i] == p) {
                rt_free(p);
                device_memory.erase(device_memory.begin() + (long) i);
                return;
            }
    }

    bool zero(void* p, size_t bytes) { return check(rt_memset(p, 0, bytes, stream), "cudaMemsetAsync"); }

    // Entry-indexed arrays of a set of codes, for `capacity` entries.
    bool reserve(codes_buffers& c, int64_t capacity) {
        if (capacity <= c.capacity) return ok();
        for (void* p : {(void*) c.idx, (void*) c.entry_row, (void*) c.kept, (void*) c.val, (void*) c.dp, (void*) c.lat_entry})
            if (p) release(p);
        c.capacity = capacity;
        c.idx = alloc<int32_t>(capacity, "code indices");
        c.entry_row = alloc<int32_t>(capacity, "code rows");
        c.kept = alloc<float>(capacity, "kept pre-activations");
        c.val = alloc<float>(capacity, "code values");
        c.dp = alloc<float>(capacity, "code gradients");
        c.lat_entry = alloc<int32_t>(capacity, "codes by latent");
        // Chunks of heavy latents: a latent with n > chunk entries has ceil(n / chunk) < 2n / chunk of them, so
        // 2·capacity / chunk + 1 bound them all; the chunk doubles until that bound is at most 16,384 chunks.
        if (!c.grouped) return ok();
        if (c.partials) release(c.partials);
        c.chunk = 256;
        while (2 * capacity / c.chunk + 1 > 16384) c.chunk *= 2;
        c.max_chunks = 2 * capacity / c.chunk + 1;
        c.partials = alloc<float>(c.max_chunks * (2 * cfg.d_in + 2), "heavy latents' partial sums");
        return ok();
    }

    bool make_codes(codes_buffers& c, int64_t capacity) {
        c.row_start = alloc<int32_t>(cfg.max_rows + 1, "row starts");
        c.lat_start = alloc<int32_t>(cfg.d_sae + 1, "latent starts");
        c.lat_count = alloc<int32_t>(cfg.d_sae, "latent counts");
        c.lat_cursor = alloc<int32_t>(cfg.d_sae, "latent cursors");
        c.chunk_start = alloc<int32_t>(cfg.d_sae + 1, "chunk starts");
        return reserve(c, capacity);
    }

    float* gradient(int id) {
        if (!tensors[id] && ok()) {
            tensors[id] = alloc<float>(tensor_size[id], "gradients");
            if (tensors[id]) zero(tensors[id], sizeof(float) * tensor_size[id]);
        }
        return tensors[id];
    }

    bool create();
    bool load_input(int which, int64_t n, int32_t input_type);
    bool step(int which, int rows, const jsae_cuda_step_params& p, jsae_cuda_step_result& r);
    bool select(int rows, const jsae_cuda_step_params& p);
    int select_from_candidates(int rows);
    bool select_by_counts(int rows, uint32_t tau, int from_state, const float* theta);
    void decode(codes_buffers& c, int rows, bool aux_codes, const float* target, float sign, float* out, double* sse_out,
                bool l1, uint8_t* flags, unsigned long long* fire_counts);
    void group_by_latent(codes_buffers& c, int rows, int aux_codes);
    void release_all();
};

bool jsae_cuda_sae::create() {
    const int64_t d_in = cfg.d_in, d_sae = cfg.d_sae, rows = cfg.max_rows;
    sync_each_launch = getenv("JSAE_CUDA_SYNC") && getenv("JSAE_CUDA_SYNC")[0] == '1';
    if (!check(rt_set_device(device), "cudaSetDevice")) return false;
    if (!check(rt_stream_create(&stream), "cudaStreamCreate")) return false;
    if (!check(rt_event_create(&step_start), "cudaEventCreate") || !check(rt_event_create(&step_end), "cudaEventCreate"))
        return false;
    std::string blas_error = blas.open(device);
    if (!blas_error.empty()) return fail(blas_error);
    const int64_t sizes[4] = {d_sae * d_in, d_sae, d_sae * d_in, d_in};
    for (int i = 0; i < 12; i++) tensor_size[i] = sizes[i % 4];
    tensor_size[JSAE_T_THRESHOLD] = d_sae;
    for (int i = 0; i < 4; i++) tensor_size[JSAE_T_GRAD0 + i] = sizes[i];
    for (int i = 0; i < 12; i++) tensors[i] = alloc<float>(tensor_size[i], i < 4 ? "parameters" : "Adam moments");
    if (cfg.activation == JSAE_JUMPRELU) tensors[JSAE_T_THRESHOLD] = alloc<float>(d_sae, "jumprelu thresholds");
    if (cfg.precision == JSAE_BF16) {
        w_enc16 = alloc<jsae_bf16>(d_sae * d_in, "bf16 encoder copy");
        xc16 = alloc<jsae_bf16>(rows * d_in, "bf16 input copy");
    }
    x = alloc<float>(rows * d_in, "input batch");
    x_half = alloc<uint16_t>(rows * d_in, "half-precision input staging");
    xc = alloc<float>(rows * d_in, "centered batch");
    pre = alloc<float>(rows * d_sae, "pre-activations");
    err = alloc<float>(rows * d_in, "reconstruction error");
    aux_err = alloc<float>(cfg.k_aux > 0 ? rows * d_in : 1, "AuxK error");
    dec_norm = alloc<float>(d_sae, "decoder norms");
    min_pos = alloc<float>(rows, "row minima");
    sse = alloc<double>(rows, "row errors");
    aux_sse = alloc<double>(rows, "AuxK row errors");
    l1_rows = alloc<double>(rows, "row L1");
    var_part = alloc<double>(d_in, "column variances");
    fired_rows = alloc<int64_t>(rows, "row fire counts");
    gt = alloc<int64_t>(rows, "row counts");
    eq = alloc<int64_t>(rows, "row ties");
    ties = alloc<int64_t>(rows, "row ties taken");
    tokens_since_fired = alloc<long long>(d_sae, "tokens since fired");
    dead = alloc<uint8_t>(d_sae, "dead mask");
    fired_flag = alloc<uint8_t>(d_sae, "fired flags");
    fires = alloc<unsigned long long>(d_sae, "fire counts");
    state = alloc<jsae_step_state>(1, "step scalars");
    int k = cfg.activation == JSAE_TOPK || cfg.activation == JSAE_BATCHTOPK ? cfg.k : 64;
    make_codes(main, rows * (int64_t) k);
    make_codes(aux, cfg.k_aux > 0 ? rows * (int64_t) cfg.k_aux : 1);
    // Batchtopk selects from each row's 2k best when no row needs more (the exact path runs when one does).
    if (cfg.activation == JSAE_BATCHTOPK && cfg.topk_candidates != 0 && 2 * (int64_t) cfg.k < d_sae) {
        batch_candidates = 2 * (int64_t) cfg.k;
        cand.grouped = false;
        make_codes(cand, rows * batch_candidates);
    }
    // Backward: at most 1024 blocks, each owning a run of latents and one d_in share of the b_dec gradient.
    backward_blocks = d_sae < 1024 ? d_sae : 1024;
    latents_per_block = ceil_div(d_sae, backward_blocks);
    backward_blocks = ceil_div(d_sae, latents_per_block);
    bdec_parts = alloc<float>(backward_blocks * d_in, "b_dec gradient shares");
    backward_smem = sizeof(float) * 3 * (size_t) d_in;
    topk_candidates = cfg.topk_candidates < 0 ? 2048 : cfg.topk_candidates;
    if (!ok()) return false;
    // Opt in for every size: above 48 KiB of static plus dynamic shared memory a launch fails without it (d_in 4096
    // needs exactly 48 KiB dynamic, plus the block reductions' static arrays).
    if (rt_allow_dynamic_smem((const void*) k_backward_adam, backward_smem) != 0 ||
        rt_allow_dynamic_smem((const void*) k_latent_partials, partial_smem()) != 0 ||
        rt_allow_dynamic_smem((const void*) k_topk_rows, topk_smem()) != 0)
        return fail("d_in " + std::to_string(d_in) + " needs " + std::to_string(backward_smem) +
                    " bytes of shared memory per block in the backward pass (and the top-k " +
                    std::to_string(topk_smem()) + "), more than this device allows");
    for (int i = 0; i < 2; i++) {
        void* h = nullptr;
        int registered = 0;
        size_t bytes = sizeof(float) * (size_t) (rows * d_in);
        if (!check(rt_host_alloc_batch(&h, bytes, &registered), "cudaHostRegister or cudaMallocHost (input buffer)"))
            return false;
        batch_memory.push_back({h, bytes, registered});
        host_input[i] = as<float>(h);
        memset(h, 0, sizeof(float) * (size_t) (rows * d_in));
    }
    void* hs = nullptr;
    if (!check(rt_host_alloc(&hs, sizeof(jsae_step_state)), "cudaMallocHost (step scalars)")) return false;
    host_memory.push_back(hs);
    host_state = as<jsae_step_state>(hs);
    for (int i = 0; i < 12; i++) zero(tensors[i], sizeof(float) * tensor_size[i]);
    if (tensors[JSAE_T_THRESHOLD]) zero(tensors[JSAE_T_THRESHOLD], sizeof(float) * d_sae);
    if (w_enc16) zero(w_enc16, sizeof(jsae_bf16) * d_sae * d_in);
    zero(tokens_since_fired, sizeof(long long) * d_sae);
    zero(dead, d_sae);
    zero(fired_flag, d_sae);
    zero(fires, sizeof(unsigned long long) * d_sae);
    if (cfg.activation == JSAE_TOPK)
        JSAE_LAUNCH(this, k_fixed_row_starts, ceil_div(rows + 1, JSAE_THREADS), JSAE_THREADS, 0, main.row_start, rows,
                    cfg.k);
    return check(rt_sync(stream), "initialization");
}

void jsae_cuda_sae::release_all() {
    rt_sync(stream);
    blas.close();
    for (void* p : device_memory) rt_free(p);
    device_memory.clear();
    for (void* p : host_memory) rt_host_free(p);
    host_memory.clear();
    for (const batch_buffer& b : batch_memory) rt_host_free_batch(b.p, b.bytes, b.registered);
    batch_memory.clear();
    rt_event_destroy(step_start);
    rt_event_destroy(step_end);
    rt_stream_destroy(stream);
    stream = nullptr;
}

// Codes of variable count (relu, jumprelu, thresholded evaluation, and batchtopk after its radix select): counts
// per row, row starts, one synchronization to size the buffers, then the compaction.
bool jsae_cuda_sae::select_by_counts(int rows, uint32_t tau, int from_state, const float* theta) {
    JSAE_LAUNCH(this, k_row_counts, rows, JSAE_THREADS, 0, pre, tensors[JSAE_T_BENC], cfg.d_sae, tau, from_state, theta,
                gt, eq, state);
    JSAE_LAUNCH(this, k_row_starts, 1, 1024, 0, (int64_t) rows, from_state, gt, eq, ties, main.row_start, state);
    if (!from_state) {
        if (!check(rt_copy(host_state, state, sizeof(jsae_step_state), stream), "copy of the entry count") ||
            !check(rt_sync(stream), "selection"))
            return false;
        if (host_state->bad_row != JSAE_NO_BAD_ROW) {
            rejected_at_selection = true;
            return true;
        }
        if (host_state->entries > 2147483647LL)
            return fail("a batch of " + std::to_string(rows) + " rows has more than 2^31 active latents; lower the batch size");
        if (!reserve(main, host_state->entries)) return false;
    }
    jsae_codes codes = {main.idx, main.entry_row, main.kept, main.val};
    JSAE_LAUNCH(this, k_compact_rows, rows, JSAE_THREADS, 0, pre, tensors[JSAE_T_BENC], cfg.d_sae, tau, from_state,
                theta, ties, main.row_start, codes, state);
    return ok();
}

// Batchtopk from per-row candidates: each row's 2k best (the per-row top-k kernel, two reads of the row), one radix
// select over the batch's candidates, then a check, with one synchronization, that no row had all its candidates
// selected (it could hold more above the threshold). Returns 1 when the codes are made, 0 when a row overflowed
// (the caller runs the exact path over the whole batch), -1 on failure.
int jsae_cuda_sae::select_from_candidates(int rows) {
    const int64_t c = batch_candidates;
    jsae_codes cc = {cand.idx, cand.entry_row, cand.kept, cand.val};
    JSAE_LAUNCH(this, k_topk_rows, rows, JSAE_THREADS, topk_smem(), pre, tensors[JSAE_T_BENC], cfg.d_sae, (int32_t) c,
                (const uint8_t*) nullptr, 0, topk_candidates, cc, state);
    for (int shift = 24; shift >= 0; shift -= 8) {
        JSAE_LAUNCH(this, k_batch_hist, rows, JSAE_THREADS, 0, cand.kept, (const float*) nullptr, c, shift, state);
        JSAE_LAUNCH(this, k_batch_pick, 1, 256, 0, shift, state);
    }
    JSAE_LAUNCH(this, k_cand_counts, rows, JSAE_THREADS, 0, cand.kept, c, gt, eq, state);
    if (!check(rt_copy(host_state, state, sizeof(jsae_step_state), stream), "copy of the candidates' check") ||
        !check(rt_sync(stream), "batchtopk selection"))
        return -1;
    if (host_state->bad_row != JSAE_NO_BAD_ROW) {
        rejected_at_selection = true;
        return 1;
    }
    if (host_state->overflow) {
        JSAE_LAUNCH(this, k_radix_restart, 1, 1, 0, state, batchtopk_keep(rows));
        return ok() ? 0 : -1;
    }
    JSAE_LAUNCH(this, k_row_starts, 1, 1024, 0, (int64_t) rows, 1, gt, eq, ties, main.row_start, state);
    jsae_codes codes = {main.idx, main.entry_row, main.kept, main.val};
    JSAE_LAUNCH(this, k_cand_compact, rows, JSAE_THREADS, 0, cc, c, ties, main.row_start, codes, state);
    return ok() ? 1 : -1;
}

bool jsae_cuda_sae::select(int rows, const jsae_cuda_step_params& p) {
    const float* b_enc = tensors[JSAE_T_BENC];
    switch (cfg.activation) {
        case JSAE_TOPK: {
            jsae_codes codes = {main.idx, main.entry_row, main.kept, main.val};
            JSAE_LAUNCH(this, k_topk_rows, rows, JSAE_THREADS, topk_smem(), pre, b_enc, cfg.d_sae, cfg.k,
                        (const uint8_t*) nullptr, 0, topk_candidates, codes, state);
            return ok();
        }
        case JSAE_BATCHTOPK:
            if (p.mode == JSAE_MODE_EVALUATE && !isnan(p.threshold))
                return select_by_counts(rows, jsae_key((float) p.threshold), 0, nullptr);
            if (batch_candidates > 0) {
                int selected = select_from_candidates(rows);
                if (selected != 0) return selected > 0;  // done (or failed); 0: a row overflowed, go exact
            }
            for (int shift = 24; shift >= 0; shift -= 8) {
                JSAE_LAUNCH(this, k_batch_hist, rows, JSAE_THREADS, 0, pre, b_enc, cfg.d_sae, shift, state);
                JSAE_LAUNCH(this, k_batch_pick, 1, 256, 0, shift, state);
            }
            return select_by_counts(rows, 0, 1, nullptr);
        case JSAE_RELU:
            return select_by_counts(rows, jsae_key(0.0f), 0, nullptr);
        default:
            return select_by_counts(rows, 0, 0, tensors[JSAE_T_THRESHOLD]);
    }
}

void jsae_cuda_sae::decode(codes_buffers& c, int rows, bool aux_codes, const float* target, float sign, float* out,
                           double* sse_out, bool l1, uint8_t* flags, unsigned long long* fire_counts) {
    jsae_decode_args a;
    a.row_start = c.row_start;
    a.idx = c.idx;
    a.val = c.val;
    a.w_dec = tensors[JSAE_T_DECODER];
    a.b_dec = aux_codes ? nullptr : tensors[JSAE_T_BDEC];
    a.target = target;
    a.sign = sign;
    a.out = out;
    a.d_in = cfg.d_in;
    a.sse = sse_out;
    a.fired_rows = fired_rows;
    a.min_pos = min_pos;
    a.dec_norm = l1 ? dec_norm : nullptr;
    a.l1_rows = l1_rows;
    a.fired_flag = flags;
    a.fires = fire_counts;
    a.aux = aux_codes;
    JSAE_LAUNCH(this, k_decode, rows, JSAE_THREADS, 0, a, state);
}

void jsae_cuda_sae::group_by_latent(codes_buffers& c, int rows, int aux_codes) {
    zero(c.lat_count, sizeof(int32_t) * cfg.d_sae);
    int64_t blocks = ceil_div(c.capacity, JSAE_THREADS);
    blocks = blocks < 1 ? 1 : (blocks > 4096 ? 4096 : blocks);
    const int32_t* entries_at = c.row_start + rows;
    JSAE_LAUNCH(this, k_lat_count, blocks, JSAE_THREADS, 0, c.idx, entries_at, c.lat_count, state, aux_codes);
    JSAE_LAUNCH(this, k_lat_scan, 1, 1024, 0, c.lat_count, cfg.d_sae, c.chunk, c.lat_start, c.lat_cursor,
                c.chunk_start, state, aux_codes);
    JSAE_LAUNCH(this, k_lat_fill, blocks, JSAE_THREADS, 0, c.idx, entries_at, c.lat_cursor, c.lat_entry, state,
                aux_codes);
}

// The first n values of input buffer `which` into x: float32 copied as it is; F16/BF16 copied at two bytes a value
// into x_half and widened into x on the device (exactly: the step then sees the same floats as from float32 rows).
bool jsae_cuda_sae::load_input(int which, int64_t n, int32_t input_type) {
    const void* host = host_input[which & 1];
    if (input_type == JSAE_INPUT_F32)
        return check(rt_copy(x, host, sizeof(float) * (size_t) n, stream), "copy of the batch");
    if (input_type != JSAE_INPUT_F16 && input_type != JSAE_INPUT_BF16)
        return fail("unknown input type " + std::to_string(input_type));
    if (!check(rt_copy(x_half, host, sizeof(uint16_t) * (size_t) n, stream), "copy of the batch")) return false;
    int64_t blocks = ceil_div(n / 8 > 0 ? n / 8 : 1, JSAE_THREADS);
    JSAE_LAUNCH(this, k_widen_input, blocks < 4096 ? blocks : 4096, JSAE_THREADS, 0, (const uint16_t*) x_half, x, n,
                (int32_t) (input_type == JSAE_INPUT_BF16));
    return ok();
}

bool jsae_cuda_sae::step(int which, int rows, const jsae_cuda_step_params& p, jsae_cuda_step_result& r) {
    const int64_t d_in = cfg.d_in, d_sae = cfg.d_sae;
    const bool train = p.mode == JSAE_MODE_TRAIN, evaluate = p.mode == JSAE_MODE_EVALUATE;
    if (rows < 1 || rows > cfg.max_rows) return fail("rows out of range");
    if (cfg.activation == JSAE_JUMPRELU && !evaluate) return fail("a jumprelu SAE runs inference only");
    if (!evaluate && p.aux_latents > cfg.k_aux) return fail("aux_latents above the configured kAux");
    if (p.input_type < JSAE_INPUT_F32 || p.input_type > JSAE_INPUT_BF16)
        return fail("unknown input type " + std::to_string(p.input_type));
    if (w_enc16_stale) {
        JSAE_LAUNCH(this, k_to_bf16, 1024, JSAE_THREADS, 0, tensors[JSAE_T_ENCODER], w_enc16, d_sae * d_in);
        w_enc16_stale = false;
    }
    if (!check(rt_event_record(&step_start, stream), "cudaEventRecord")) return false;
    if (!load_input(which, rows * d_in, p.input_type)) return false;
    long long keep = cfg.activation == JSAE_BATCHTOPK && (!evaluate || isnan(p.threshold)) ? batchtopk_keep(rows) : 0;
    JSAE_LAUNCH(this, k_step_reset, 1, 256, 0, state, keep);
    JSAE_LAUNCH(this, k_center, rows, JSAE_THREADS, 0, x, (float) p.input_scale, tensors[JSAE_T_BDEC], xc, xc16, d_in,
                state);
    if (!ok()) return false;
    std::string gemm_error = blas.encoder_gemm(cfg.precision, xc, xc16, tensors[JSAE_T_ENCODER], w_enc16, pre, rows,
                                               d_in, d_sae, stream);
    if (!gemm_error.empty()) return fail(gemm_error);
    rejected_at_selection = false;
    if (!select(rows, p)) return false;
    bool l1 = !evaluate && cfg.activation == JSAE_RELU && p.l1 != 0;
    if (!rejected_at_selection) {
        if (l1) JSAE_LAUNCH(this, k_row_norms, d_sae, JSAE_THREADS, 0, tensors[JSAE_T_DECODER], d_in, dec_norm);
        decode(main, rows, false, x, 1.0f, err, sse, l1, train ? fired_flag : nullptr, evaluate ? fires : nullptr);
        JSAE_LAUNCH(this, k_mid_scalars, 1, JSAE_THREADS, 0, (int64_t) rows, sse, fired_rows, min_pos,
                    evaluate ? 0 : p.aux_latents, p.aux_scale, evaluate ? 0.0 : p.l1, state);
        bool aux_used = !evaluate && p.aux_latents > 0;
        if (!evaluate) {
            if (aux_used) {
                JSAE_LAUNCH(this, k_fixed_row_starts, ceil_div(rows + 1, JSAE_THREADS), JSAE_THREADS, 0, aux.row_start,
                            (int64_t) rows, p.aux_latents);
                jsae_codes codes = {aux.idx, aux.entry_row, aux.kept, aux.val};
                JSAE_LAUNCH(this, k_topk_rows, rows, JSAE_THREADS, topk_smem(), pre, tensors[JSAE_T_BENC], d_sae,
                            p.aux_latents, dead, 1, topk_candidates, codes, state);
                decode(aux, rows, true, err, -1.0f, aux_err, aux_sse, false, nullptr, nullptr);
            }
            group_by_latent(main, rows, 0);
            if (aux_used) group_by_latent(aux, rows, 1);
            jsae_latent_codes lc_main = latent_codes(main, err);
            jsae_latent_codes lc_aux = latent_codes(aux_used ? aux : main, aux_used ? aux_err : err);
            JSAE_LAUNCH(this, k_sort_lists, backward_blocks, JSAE_THREADS, 0, lc_main, d_sae, latents_per_block, state, 0);
            JSAE_LAUNCH(this, k_latent_partials, main.max_chunks, JSAE_THREADS, partial_smem(), lc_main, d_sae, d_in,
                        tensors[JSAE_T_DECODER], xc, dec_norm, state, 0);
            if (aux_used) {
                JSAE_LAUNCH(this, k_sort_lists, backward_blocks, JSAE_THREADS, 0, lc_aux, d_sae, latents_per_block, state,
                            1);
                JSAE_LAUNCH(this, k_latent_partials, aux.max_chunks, JSAE_THREADS, partial_smem(), lc_aux, d_sae, d_in,
                            tensors[JSAE_T_DECODER], xc, dec_norm, state, 1);
            }
            jsae_adam_params adam = {(float) p.beta1, (float) (1 - p.beta1), (float) p.beta2, (float) (1 - p.beta2),
                                     (float) p.step_size, (float) p.bias2_sqrt, (float) p.eps};
            bool grads = p.mode == JSAE_MODE_GRADIENTS;
            jsae_backward_args a;
            a.main = lc_main;
            a.aux = lc_aux;  // read only when AuxK is on
            a.xc = xc;
            a.dec_norm = dec_norm;
            a.w_enc = tensors[JSAE_T_ENCODER];
            a.b_enc = tensors[JSAE_T_BENC];
            a.w_dec = tensors[JSAE_T_DECODER];
            a.m_enc = tensors[JSAE_T_M0 + 0];
            a.m_benc = tensors[JSAE_T_M0 + 1];
            a.m_dec = tensors[JSAE_T_M0 + 2];
            a.v_enc = tensors[JSAE_T_V0 + 0];
            a.v_benc = tensors[JSAE_T_V0 + 1];
            a.v_dec = tensors[JSAE_T_V0 + 2];
            a.w_enc16 = w_enc16;
            a.g_wenc = grads ? gradient(JSAE_T_GRAD0 + 0) : nullptr;
            a.g_benc = grads ? gradient(JSAE_T_GRAD0 + 1) : nullptr;
            a.g_wdec = grads ? gradient(JSAE_T_GRAD0 + 2) : nullptr;
            a.bdec_parts = bdec_parts;
            a.d_in = d_in;
            a.d_sae = d_sae;
            a.latents_per_block = latents_per_block;
            a.gradients_only = grads;
            a.adam = adam;
            JSAE_LAUNCH(this, k_backward_adam, backward_blocks, JSAE_THREADS, backward_smem, a, state);
            float* g_bdec = grads ? gradient(JSAE_T_GRAD0 + 3) : nullptr;
            JSAE_LAUNCH(this, k_bdec, ceil_div(d_in, 32), JSAE_THREADS, 0, err, (int64_t) rows, d_in,
                        bdec_parts, backward_blocks, (int32_t) grads, g_bdec, tensors[JSAE_T_BDEC],
                        tensors[JSAE_T_M0 + 3], tensors[JSAE_T_V0 + 3], adam, state);
            if (train)
                JSAE_LAUNCH(this, k_counters, ceil_div(d_sae, JSAE_THREADS), JSAE_THREADS, 0, fired_flag,
                            tokens_since_fired, (int64_t) rows, p.dead_tokens, d_sae, dead, state, 1);
        }
        JSAE_LAUNCH(this, k_col_variance, ceil_div(d_in, 32), JSAE_THREADS, 0, x, (int64_t) rows, d_in,
                    var_part, state);
        JSAE_LAUNCH(this, k_final_scalars, 1, JSAE_THREADS, 0, (int64_t) rows, d_in, aux_used ? aux_sse : nullptr,
                    l1 ? l1_rows : nullptr, var_part, state);
        if (!check(rt_copy(host_state, state, sizeof(jsae_step_state), stream), "copy of the step scalars")) return false;
    }
    if (!check(rt_event_record(&step_end, stream), "cudaEventRecord")) return false;
    if (!check(rt_sync(stream), "step")) return false;
    r.device_ms = rt_event_ms(step_start, step_end);
    const jsae_step_state& h = *host_state;
    r.bad_row = h.bad_row == JSAE_NO_BAD_ROW ? -1 : (int64_t) h.bad_row;
    r.fired = h.fired;
    r.dead = h.dead;
    r.aux_on = h.aux_on;
    r.sse = h.sse;
    r.aux_sse = h.aux_sse;
    r.l1_sum = h.l1_sum;
    r.variance = h.variance;
    r.min_positive = h.min_positive >= 3.402823466e38f ? INFINITY : (double) h.min_positive;
    return ok();
}

// ---------------------------------------------------------------------------------------------------------
// The exported table.

namespace {

void put_error(char* err, int64_t len, const std::string& text) {
    if (!err || len <= 0) return;
    snprintf(err, (size_t) len, "%s", text.c_str());
}

const char* api_build_info() {
#ifdef JSAE_EMULATION
    return "host emulation (g++), jsae ABI 2";
#else
    static char line[160];
    snprintf(line, sizeof line, "nvcc %d.%d, cudart %d  (static), jsae ABI 2", __CUDACC_VER_MAJOR__,
             __CUDACC_VER_MINOR__, CUDART_VERSION);
    return line;
#endif
}

int32_t api_device_count(int32_t* count, char* err, int64_t err_len) {
    int n = 0;
    rt_status st = rt_device_count(&n);
    if (st != 0) {
        put_error(err, err_len, std::string("cudaGetDeviceCount: ") + rt_error_string(st));
        *count = 0;
        return -1;
    }
    *count = n;
    return 0;
}

int32_t api_device_describe(int32_t device, char* out, int64_t len) {
    put_error(out, len, rt_describe(device));
    return 0;
}

jsae_cuda_sae* api_create(int32_t device, const jsae_cuda_config* config, char* err, int64_t err_len) {
    jsae_cuda_sae* s = new jsae_cuda_sae();
    s->cfg = *config;
    s->device = device;
    if (!s->create()) {
        put_error(err, err_len, s->error);
        s->release_all();
        delete s;
        return nullptr;
    }
    return s;
}

void api_destroy(jsae_cuda_sae* s) {
    if (!s) return;
    rt_set_device(s->device);
    s->release_all();
    delete s;
}

const char* api_error(jsae_cuda_sae* s) { return s->error.empty() ? nullptr : s->error.c_str(); }

float* api_input_buffer(jsae_cuda_sae* s, int32_t which) { return s->host_input[which & 1]; }

int32_t api_step(jsae_cuda_sae* s, int32_t which, int32_t rows, const jsae_cuda_step_params* p,
                 jsae_cuda_step_result* r) {
    if (!s->enter()) return -1;
    return s->step(which, rows, *p, *r) ? 0 : -1;
}

int32_t api_tensor_copy(jsae_cuda_sae* s, int32_t id, int64_t offset, int64_t count, float* host, int32_t to_device) {
    if (!s->enter()) return -1;
    if (id < 0 || id >= JSAE_T_COUNT) return s->fail("no tensor " + std::to_string(id)), -1;
    float* t = id >= JSAE_T_GRAD0 ? s->gradient(id) : s->tensors[id];
    if (!t) return s->fail("tensor " + std::to_string(id) + " does not exist in this SAE"), -1;
    if (offset < 0 || count < 0 || offset + count > s->tensor_size[id]) return s->fail("tensor range out of bounds"), -1;
    rt_status st = to_device ? rt_copy(t + offset, host, sizeof(float) * (size_t) count, s->stream)
                             : rt_copy(host, t + offset, sizeof(float) * (size_t) count, s->stream);
    if (!s->check(st, "tensor copy") || !s->check(rt_sync(s->stream), "tensor copy")) return -1;
    if (to_device && id == JSAE_T_ENCODER && s->w_enc16) s->w_enc16_stale = true;
    return 0;
}

int32_t api_counters_copy(jsae_cuda_sae* s, int64_t* host, int32_t to_device) {
    if (!s->enter()) return -1;
    size_t bytes = sizeof(long long) * (size_t) s->cfg.d_sae;
    rt_status st = to_device ? rt_copy(s->tokens_since_fired, host, bytes, s->stream)
                             : rt_copy(host, s->tokens_since_fired, bytes, s->stream);
    return s->check(st, "counter copy") && s->check(rt_sync(s->stream), "counter copy") ? 0 : -1;
}

int32_t api_fire_counts(jsae_cuda_sae* s, int64_t* host, int32_t reset) {
    if (!s->enter()) return -1;
    size_t bytes = sizeof(unsigned long long) * (size_t) s->cfg.d_sae;
    rt_status st = reset ? rt_memset(s->fires, 0, bytes, s->stream) : rt_copy(host, s->fires, bytes, s->stream);
    return s->check(st, "fire counts") && s->check(rt_sync(s->stream), "fire counts") ? 0 : -1;
}

int32_t api_refresh_dead(jsae_cuda_sae* s, int64_t dead_tokens, int64_t* dead_count) {
    if (!s->enter()) return -1;
    JSAE_LAUNCH(s, k_step_reset, 1, 256, 0, s->state, 0LL);
    JSAE_LAUNCH(s, k_counters, ceil_div(s->cfg.d_sae, JSAE_THREADS), JSAE_THREADS, 0, s->fired_flag,
                s->tokens_since_fired, (int64_t) 0, dead_tokens, s->cfg.d_sae, s->dead, s->state, 0);
    if (!s->check(rt_copy(s->host_state, s->state, sizeof(jsae_step_state), s->stream), "dead count") ||
        !s->check(rt_sync(s->stream), "dead count"))
        return -1;
    *dead_count = s->host_state->dead;
    return 0;
}

int32_t api_poison(jsae_cuda_sae* s) {
    if (!s->enter()) return -1;
    const int64_t rows = s->cfg.max_rows, d_in = s->cfg.d_in, d_sae = s->cfg.d_sae;
    struct {
        void* p;
        size_t bytes;
    } targets[] = {
        {s->xc, sizeof(float) * (size_t) (rows * d_in)},   {s->pre, sizeof(float) * (size_t) (rows * d_sae)},
        {s->err, sizeof(float) * (size_t) (rows * d_in)},  {s->dec_norm, sizeof(float) * (size_t) d_sae},
        {s->min_pos, sizeof(float) * (size_t) rows},       {s->bdec_parts, sizeof(float) * (size_t) (s->backward_blocks * d_in)},
        {s->sse, sizeof(double) * (size_t) rows},          {s->aux_sse, sizeof(double) * (size_t) rows},
        {s->var_part, sizeof(double) * (size_t) d_in},     {s->main.kept, sizeof(float) * (size_t) s->main.capacity},
        {s->main.val, sizeof(float) * (size_t) s->main.capacity}, {s->main.dp, sizeof(float) * (size_t) s->main.capacity},
        {s->aux.kept, sizeof(float) * (size_t) s->aux.capacity},  {s->aux.val, sizeof(float) * (size_t) s->aux.capacity},
        {s->aux.dp, sizeof(float) * (size_t) s->aux.capacity},
    };
    for (auto& t : targets)
        if (!s->check(rt_memset(t.p, 0xff, t.bytes, s->stream), "poison")) return -1;
    if (s->cfg.k_aux > 0 && !s->check(rt_memset(s->aux_err, 0xff, sizeof(float) * (size_t) (rows * d_in), s->stream), "poison"))
        return -1;
    for (int i = 0; i < 4; i++) {
        float* g = s->gradient(JSAE_T_GRAD0 + i);
        if (!g || !s->check(rt_memset(g, 0xff, sizeof(float) * (size_t) s->tensor_size[JSAE_T_GRAD0 + i], s->stream), "poison"))
            return -1;
    }
    return s->check(rt_sync(s->stream), "poison") ? 0 : -1;
}

int32_t api_convert_input(jsae_cuda_sae* s, int32_t which, int32_t input_type, int64_t count, float* out) {
    if (!s->enter()) return -1;
    if (count < 0 || count > s->cfg.max_rows * s->cfg.d_in) return s->fail("convert_input: count out of range"), -1;
    if (!s->load_input(which, count, input_type) ||
        !s->check(rt_copy(out, s->x, sizeof(float) * (size_t) count, s->stream), "copy of the converted input"))
        return -1;
    return s->check(rt_sync(s->stream), "convert_input") ? 0 : -1;
}

int32_t api_measure_peaks(jsae_cuda_sae* s, int32_t repeats, double* out) {
    if (!s->enter()) return -1;
    if (repeats < 1) repeats = 1;
    const int64_t rows = s->cfg.max_rows, d_in = s->cfg.d_in, d_sae = s->cfg.d_sae;
    std::vector<double> gemm_ms, copy_ms;
    for (int i = 0; i <= repeats; i++) {
        if (!s->check(rt_event_record(&s->step_start, s->stream), "cudaEventRecord")) return -1;
        std::string e = s->blas.encoder_gemm(s->cfg.precision, s->xc, s->xc16, s->tensors[JSAE_T_ENCODER], s->w_enc16,
                                             s->pre, rows, d_in, d_sae, s->stream);
        if (!e.empty()) return s->fail(e), -1;
        if (!s->check(rt_event_record(&s->step_end, s->stream), "cudaEventRecord") ||
            !s->check(rt_sync(s->stream), "GEMM timing"))
            return -1;
        if (i > 0) gemm_ms.push_back(rt_event_ms(s->step_start, s->step_end));
        // Copy the encoder's moments over each other: large and not needed for a step's result.
        if (!s->check(rt_event_record(&s->step_start, s->stream), "cudaEventRecord") ||
            !s->check(rt_copy(s->tensors[JSAE_T_V0], s->tensors[JSAE_T_M0], sizeof(float) * (size_t) (d_sae * d_in),
                              s->stream), "copy timing") ||
            !s->check(rt_event_record(&s->step_end, s->stream), "cudaEventRecord") ||
            !s->check(rt_sync(s->stream), "copy timing"))
            return -1;
        if (i > 0) copy_ms.push_back(rt_event_ms(s->step_start, s->step_end));
    }
    std::sort(gemm_ms.begin(), gemm_ms.end());
    std::sort(copy_ms.begin(), copy_ms.end());
    double g = gemm_ms[gemm_ms.size() / 2], c = copy_ms[copy_ms.size() / 2];
    out[0] = 2.0 * rows * d_in * d_sae / (g * 1e-3) / 1e12;
    out[1] = 2.0 * sizeof(float) * d_sae * d_in / (c * 1e-3) / 1e9;
    return 0;
}

void api_set_cublas_library(const char* path) { rt_cublas_library() = path ? path : ""; }

const jsae_cuda_api api_table = {
    JSAE_CUDA_ABI,     api_build_info,   api_device_count, api_device_describe, api_create,
    api_destroy,       api_error,        api_input_buffer, api_step,            api_tensor_copy,
    api_counters_copy, api_fire_counts,  api_refresh_dead, api_poison,          api_convert_input,
    api_measure_peaks, api_set_cublas_library,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const jsae_cuda_api* jsae_cuda_api_get(void) { return &api_table; }
