// jsae CUDA kernels: the one C interface of the native SAE core. Two libraries implement it from the same
// sources: libjsae_cuda.so (nvcc, real device) and libjsae_cuda_emulated.so (g++ against the host emulation of
// emulation/jsae_emulation.h). Each exports jsae_cuda_api_get(), a table of the functions below, so that the JNI
// glue can open either with dlopen (both may live in one process) without linking to one of them.
//
// Conventions: every function returning int32_t returns 0 on success and -1 on failure; the failure's text is
// then in the SAE's error() (sticky: once a device error happened, every later call fails with the same text),
// or in the caller's err buffer for functions that have no SAE yet. Layouts follow the Java SPI: encoder and
// decoder rows are row-major [d_sae, d_in] float32.
#ifndef JSAE_CUDA_H
#define JSAE_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JSAE_CUDA_ABI 2  // 2: step_params.input_type, convert_input

// Activation kinds.
#define JSAE_TOPK 0
#define JSAE_BATCHTOPK 1
#define JSAE_RELU 2
#define JSAE_JUMPRELU 3

// Encoder GEMM operand precisions (accumulation is float32 in every case).
#define JSAE_FP32 0
#define JSAE_TF32 1
#define JSAE_BF16 2

// Element types of the rows in an input buffer (step_params.input_type): float32, or IEEE binary16 / bfloat16
// values, little-endian from the buffer's first byte, widened exactly to float32 on the device.
#define JSAE_INPUT_F32 0
#define JSAE_INPUT_F16 1
#define JSAE_INPUT_BF16 2

// Step modes.
#define JSAE_MODE_TRAIN 0     // forward, backward fused with Adam, counters
#define JSAE_MODE_GRADIENTS 1 // forward and backward into the gradient tensors; no Adam, no counters
#define JSAE_MODE_EVALUATE 2  // forward only; adds to the per-latent fire counts

// Tensor ids for tensor_copy: the twelve state tensors in checkpoint order, the jumprelu thresholds, then the
// four gradients (allocated on first use).
#define JSAE_T_ENCODER 0
#define JSAE_T_BENC 1
#define JSAE_T_DECODER 2
#define JSAE_T_BDEC 3
#define JSAE_T_M0 4  // adam_m of tensor (id - 4)
#define JSAE_T_V0 8  // adam_v of tensor (id - 8)
#define JSAE_T_THRESHOLD 12
#define JSAE_T_GRAD0 13  // grad of tensor (id - 13)
#define JSAE_T_COUNT 17

typedef struct jsae_cuda_sae jsae_cuda_sae;

typedef struct {
    int64_t d_in, d_sae, max_rows;
    int32_t activation, k;  // k: topk/batchtopk only
    int32_t k_aux;          // most AuxK latents a step may ask for (0: no AuxK scratch)
    int32_t precision;
    int32_t topk_candidates;  // per-row top-k: candidates kept in shared memory for the two-read path (< 0: 2048;
                              // 0: always the five-read radix path)
} jsae_cuda_config;

typedef struct {
    int32_t mode, aux_latents;
    int64_t dead_tokens;
    double input_scale;
    double threshold;  // evaluate, batchtopk: keep pre > threshold; NaN selects k·rows as in training
    double step_size, bias2_sqrt, beta1, beta2, eps;  // Adam (train)
    double aux_scale, l1;                             // AuxK weight before dividing by mse; L1 lambda (relu)
    int32_t input_type;  // JSAE_INPUT_*: how the rows lie in the input buffer (every mode)
} jsae_cuda_step_params;

typedef struct {
    int64_t bad_row;  // first row with NaN/Inf after scaling, -1 when none (nothing else is then valid)
    int64_t fired;    // kept entries with z > 0
    int64_t dead;     // latents dead after the step's counter update (train)
    int32_t aux_on;   // whether AuxK ran (aux_latents > 0 and mse > 0)
    double sse, aux_sse, l1_sum, variance;
    double min_positive;  // smallest kept z > 0, +inf when none
    double device_ms;     // the step's time on the device (CUDA events around its work on the stream)
} jsae_cuda_step_result;

typedef struct {
    int32_t abi;
    // A line saying how the library was built ("nvcc 13.0, sm_80 ..." or "host emulation").
    const char* (*build_info)(void);
    // Devices visible; on failure err gets the runtime's message (e.g. no driver).
    int32_t (*device_count)(int32_t* count, char* err, int64_t err_len);
    // Name, memory and compute capability of a device, as one line.
    int32_t (*device_describe)(int32_t device, char* out, int64_t out_len);
    // A zeroed SAE on a device, or null with the reason in err.
    jsae_cuda_sae* (*create)(int32_t device, const jsae_cuda_config* config, char* err, int64_t err_len);
    void (*destroy)(jsae_cuda_sae* sae);
    // The sticky error text, or null.
    const char* (*error)(jsae_cuda_sae* sae);
    // One of the two pinned host input buffers (max_rows × d_in floats; F16/BF16 rows use its first half).
    float* (*input_buffer)(jsae_cuda_sae* sae, int32_t which);
    // One step on the first rows rows of input buffer `which`; one host synchronization, at the end. F16/BF16 rows
    // cross the bus at two bytes a value into a device staging buffer and are widened there, then the step is the
    // float32 one on the widened rows.
    int32_t (*step)(jsae_cuda_sae* sae, int32_t which, int32_t rows, const jsae_cuda_step_params* params,
                    jsae_cuda_step_result* result);
    // Copies count floats between host memory and tensor id from element offset (to_device != 0: host → device).
    int32_t (*tensor_copy)(jsae_cuda_sae* sae, int32_t tensor, int64_t offset, int64_t count, float* host,
                           int32_t to_device);
    // Tokens-since-fired counters (d_sae int64), read or replaced.
    int32_t (*counters_copy)(jsae_cuda_sae* sae, int64_t* host, int32_t to_device);
    // Per-latent fire counts of evaluations (d_sae int64): read, or reset when reset != 0 (host may be null).
    int32_t (*fire_counts)(jsae_cuda_sae* sae, int64_t* host, int32_t reset);
    // Recomputes the dead mask from the counters at dead_tokens and returns the dead count.
    int32_t (*refresh_dead)(jsae_cuda_sae* sae, int64_t dead_tokens, int64_t* dead_count);
    // Fills scratch, outputs and gradients with NaN (conformance tests).
    int32_t (*poison)(jsae_cuda_sae* sae);
    // Tests: the first count values of input buffer `which`, of input_type, brought to the device and widened to
    // float32 as a step does (overwriting the step's input scratch), copied to out (count floats, host memory).
    int32_t (*convert_input)(jsae_cuda_sae* sae, int32_t which, int32_t input_type, int64_t count, float* out);
    // Peaks measured on this SAE's buffers, for the step's floor: out[0] the encoder GEMM's rate in TFLOP/s at
    // max_rows and the configured precision, out[1] device-to-device copy bandwidth in GB/s (bytes read plus
    // written); each the median of `repeats` timed runs after one warm-up.
    int32_t (*measure_peaks)(jsae_cuda_sae* sae, int32_t repeats, double* out);
    // The cuBLAS library file SAEs created afterwards open first (e.g. one unpacked from a redist jar); null or
    // "" clears it. Then JSAE_CUBLAS, then libcublas.so.13/.12/.11 on the loader path.
    void (*set_cublas_library)(const char* path);
} jsae_cuda_api;

// Exported by both libraries.
const jsae_cuda_api* jsae_cuda_api_get(void);

#ifdef __cplusplus
}
#endif

#endif
