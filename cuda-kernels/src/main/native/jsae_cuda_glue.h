// JNI-side glue of the CUDA core, compiled by the JavaCPP plugin into the binding library of
// io.jsae.cuda.NativeCuda. It links to neither kernel library: it opens one with dlopen (RTLD_LOCAL, so the real
// library and the host emulation can both live in one JVM) and calls through its jsae_cuda_api table. Arguments
// are flattened to primitives and arrays so that the binding needs no struct mapping. Library ids: 0 the
// device library, 1 the host emulation.
#ifndef JSAE_CUDA_GLUE_H
#define JSAE_CUDA_GLUE_H

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsae_cuda.h"

static const jsae_cuda_api* jsae_glue_api[2];

static inline int32_t jsae_glue_open(int32_t lib, const char* path, char* err, int32_t err_len) {
    if (lib < 0 || lib > 1) return -1;
    if (jsae_glue_api[lib]) return 0;
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(err, (size_t) err_len, "%s", dlerror());
        return -1;
    }
    typedef const jsae_cuda_api* (*get_fn)(void);
    get_fn get = (get_fn) dlsym(handle, "jsae_cuda_api_get");
    if (!get) {
        snprintf(err, (size_t) err_len, "%s has no jsae_cuda_api_get", path);
        return -1;
    }
    const jsae_cuda_api* api = get();
    if (!api || api->abi != JSAE_CUDA_ABI) {
        snprintf(err, (size_t) err_len, "%s implements ABI %d, this binding expects %d", path, api ? api->abi : -1,
                 JSAE_CUDA_ABI);
        return -1;
    }
    jsae_glue_api[lib] = api;
    return 0;
}

static inline const char* jsae_glue_build_info(int32_t lib) { return jsae_glue_api[lib]->build_info(); }

static inline int32_t jsae_glue_device_count(int32_t lib, int32_t* count, char* err, int32_t err_len) {
    return jsae_glue_api[lib]->device_count(count, err, err_len);
}

static inline int32_t jsae_glue_device_describe(int32_t lib, int32_t device, char* out, int32_t out_len) {
    return jsae_glue_api[lib]->device_describe(device, out, out_len);
}

// config: d_in, d_sae, max_rows, activation, k, k_aux, precision, topk_candidates
static inline int64_t jsae_glue_create(int32_t lib, int32_t device, const int64_t* config, char* err,
                                       int32_t err_len) {
    jsae_cuda_config c;
    c.d_in = config[0];
    c.d_sae = config[1];
    c.max_rows = config[2];
    c.activation = (int32_t) config[3];
    c.k = (int32_t) config[4];
    c.k_aux = (int32_t) config[5];
    c.precision = (int32_t) config[6];
    c.topk_candidates = (int32_t) config[7];
    return (int64_t) (intptr_t) jsae_glue_api[lib]->create(device, &c, err, err_len);
}

static inline void jsae_glue_destroy(int32_t lib, int64_t sae) {
    jsae_glue_api[lib]->destroy((jsae_cuda_sae*) (intptr_t) sae);
}

static inline const char* jsae_glue_error(int32_t lib, int64_t sae) {
    const char* e = jsae_glue_api[lib]->error((jsae_cuda_sae*) (intptr_t) sae);
    return e ? e : "";
}

static inline float* jsae_glue_input_buffer(int32_t lib, int64_t sae, int32_t which) {
    return jsae_glue_api[lib]->input_buffer((jsae_cuda_sae*) (intptr_t) sae, which);
}

// ints: mode, aux_latents, dead_tokens, input_type; doubles: input_scale, threshold, step_size, bias2_sqrt, beta1,
// beta2, eps, aux_scale, l1. out_ints: bad_row, fired, dead, aux_on; out_doubles: sse, aux_sse, l1_sum, variance,
// min_positive, device_ms.
static inline int32_t jsae_glue_step(int32_t lib, int64_t sae, int32_t which, int32_t rows, const int64_t* ints,
                                     const double* doubles, int64_t* out_ints, double* out_doubles) {
    jsae_cuda_step_params p;
    p.mode = (int32_t) ints[0];
    p.aux_latents = (int32_t) ints[1];
    p.dead_tokens = ints[2];
    p.input_type = (int32_t) ints[3];
    p.input_scale = doubles[0];
    p.threshold = doubles[1];
    p.step_size = doubles[2];
    p.bias2_sqrt = doubles[3];
    p.beta1 = doubles[4];
    p.beta2 = doubles[5];
    p.eps = doubles[6];
    p.aux_scale = doubles[7];
    p.l1 = doubles[8];
    jsae_cuda_step_result r;
    memset(&r, 0, sizeof r);
    int32_t st = jsae_glue_api[lib]->step((jsae_cuda_sae*) (intptr_t) sae, which, rows, &p, &r);
    out_ints[0] = r.bad_row;
    out_ints[1] = r.fired;
    out_ints[2] = r.dead;
    out_ints[3] = r.aux_on;
    out_doubles[0] = r.sse;
    out_doubles[1] = r.aux_sse;
    out_doubles[2] = r.l1_sum;
    out_doubles[3] = r.variance;
    out_doubles[4] = r.min_positive;
    out_doubles[5] = r.device_ms;
    return st;
}

static inline int32_t jsae_glue_tensor_copy(int32_t lib, int64_t sae, int32_t tensor, int64_t offset, int64_t count,
                                            int64_t host_address, int32_t to_device) {
    return jsae_glue_api[lib]->tensor_copy((jsae_cuda_sae*) (intptr_t) sae, tensor, offset, count,
                                           (float*) (intptr_t) host_address, to_device);
}

static inline int32_t jsae_glue_counters_copy(int32_t lib, int64_t sae, int64_t* host, int32_t to_device) {
    return jsae_glue_api[lib]->counters_copy((jsae_cuda_sae*) (intptr_t) sae, host, to_device);
}

static inline int32_t jsae_glue_fire_counts(int32_t lib, int64_t sae, int64_t* host, int32_t reset) {
    return jsae_glue_api[lib]->fire_counts((jsae_cuda_sae*) (intptr_t) sae, host, reset);
}

static inline int32_t jsae_glue_refresh_dead(int32_t lib, int64_t sae, int64_t dead_tokens, int64_t* dead_count) {
    return jsae_glue_api[lib]->refresh_dead((jsae_cuda_sae*) (intptr_t) sae, dead_tokens, dead_count);
}

static inline int32_t jsae_glue_poison(int32_t lib, int64_t sae) {
    return jsae_glue_api[lib]->poison((jsae_cuda_sae*) (intptr_t) sae);
}

static inline int32_t jsae_glue_convert_input(int32_t lib, int64_t sae, int32_t which, int32_t input_type,
                                              int64_t count, float* out) {
    return jsae_glue_api[lib]->convert_input((jsae_cuda_sae*) (intptr_t) sae, which, input_type, count, out);
}

static inline int32_t jsae_glue_measure_peaks(int32_t lib, int64_t sae, int32_t repeats, double* out) {
    return jsae_glue_api[lib]->measure_peaks((jsae_cuda_sae*) (intptr_t) sae, repeats, out);
}

static inline void jsae_glue_set_cublas_library(int32_t lib, const char* path) {
    jsae_glue_api[lib]->set_cublas_library(path);
}

#endif
