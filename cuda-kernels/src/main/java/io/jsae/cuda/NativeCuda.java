package io.jsae.cuda;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code src/main/native/jsae_cuda_glue.h}: the JNI side of the CUDA core. The glue links to
 * no kernel library; {@link #jsae_glue_open} loads one (the device build or the host emulation) by path, and
 * every other call names which one by its id ({@link KernelLibrary#id()}). An SAE is an opaque handle
 * ({@code long}). Functions returning int return 0 on success and -1 on failure, the reason then being
 * {@link #jsae_glue_error}. See {@code jsae_cuda.h} for each call's contract.
 */
@Platform(include = "jsae_cuda_glue.h", compiler = "cpp11")
final class NativeCuda {
    private NativeCuda() {
    }

    static native int jsae_glue_open(int lib, String path, @Cast("char*") byte[] err, int errLen);

    static native String jsae_glue_build_info(int lib);

    static native int jsae_glue_device_count(int lib, int[] count, @Cast("char*") byte[] err, int errLen);

    static native int jsae_glue_device_describe(int lib, int device, @Cast("char*") byte[] out, int outLen);

    static native long jsae_glue_create(int lib, int device, @Cast("const int64_t*") long[] config,
                                        @Cast("char*") byte[] err, int errLen);

    static native void jsae_glue_destroy(int lib, long sae);

    static native String jsae_glue_error(int lib, long sae);

    static native FloatPointer jsae_glue_input_buffer(int lib, long sae, int which);

    static native int jsae_glue_step(int lib, long sae, int which, int rows, @Cast("const int64_t*") long[] ints,
                                     double[] doubles, @Cast("int64_t*") long[] outInts, double[] outDoubles);

    static native int jsae_glue_tensor_copy(int lib, long sae, int tensor, long offset, long count, long hostAddress,
                                            int toDevice);

    static native int jsae_glue_counters_copy(int lib, long sae, @Cast("int64_t*") long[] host, int toDevice);

    static native int jsae_glue_fire_counts(int lib, long sae, @Cast("int64_t*") long[] host, int reset);

    static native int jsae_glue_refresh_dead(int lib, long sae, long deadTokens, @Cast("int64_t*") long[] deadCount);

    static native int jsae_glue_poison(int lib, long sae);

    static native int jsae_glue_convert_input(int lib, long sae, int which, int inputType, long count, float[] out);

    static native int jsae_glue_measure_peaks(int lib, long sae, int repeats, double[] out);

    static native void jsae_glue_set_cublas_library(int lib, String path);
}
