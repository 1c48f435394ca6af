package io.jsae.core.backend.cpu;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code src/main/cpp/jsae_cpu.h}, the fused sparse passes of the CPU backend. The JNI
 * library is compiled at build time by the JavaCPP Maven plugin with the platform's C++ compiler and packed
 * into this module's jar. Nothing here loads in a static initializer: {@link #load()} reports a failure as a
 * reason string so that the CPU backend can say why it is unavailable. See the header for each kernel's
 * contract; every kernel takes the range of rows, latents or elements it owns.
 */
@Platform(include = "jsae_cpu.h", compiler = "cpp11")
final class CpuKernels {
    private static volatile String loadError;
    private static volatile Throwable loadCause;
    private static volatile boolean loaded;

    private CpuKernels() {
    }

    /** @return null when the native kernels are loaded, else why they could not be */
    static synchronized String load() {
        if (loaded) {
            return null;
        }
        if (loadError != null) {
            return loadError;
        }
        try {
            Loader.load(CpuKernels.class);
            loaded = true;
            return null;
        } catch (Throwable t) {
            loadCause = t;
            loadError = "the CPU kernels library (jniCpuKernels) could not be loaded: " + t
                    + "; rebuild jsae-core with a C++ compiler on the path for this platform";
            return loadError;
        }
    }

    /** @return the failure of the last {@link #load()}, or null */
    static Throwable loadCause() {
        return loadCause;
    }

    /** Fresh memory on a 2 MiB boundary, asked for 2 MiB pages (jsae_decode.h); null if none. */
    static native Pointer jsae_batch_alloc(long bytes, @Cast("int32_t*") int[] status);

    static native void jsae_batch_free(Pointer p, long bytes);

    static native void jsae_widen_rows(@Cast("const uint16_t*") FloatPointer halves, int bf16, FloatPointer out,
                                       long dIn, long b0, long b1);

    static native long jsae_center(FloatPointer x, float scale, FloatPointer bDec, FloatPointer xc, long dIn, long b0,
                                   long b1);

    static native double jsae_column_variance(FloatPointer x, long rows, long dIn, long d0, long d1);

    static native void jsae_topk_rows(FloatPointer pre, long dSae, int k, @Cast("const uint8_t*") BytePointer allowed,
                                      IntPointer idx, long b0, long b1);

    static native void jsae_key_histogram(FloatPointer pre, long i0, long i1, int hiBin,
                                          @Cast("int64_t*") LongPointer hist);

    static native void jsae_count_threshold(FloatPointer pre, long dSae, @Cast("uint32_t") int tau, IntPointer gt,
                                            IntPointer eq, long b0, long b1);

    static native void jsae_select_threshold(FloatPointer pre, long dSae, @Cast("uint32_t") int tau, IntPointer ties,
                                             IntPointer rowStart, IntPointer idx, long b0, long b1);

    static native void jsae_count_jump(FloatPointer pre, long dSae, FloatPointer theta, IntPointer gt, long b0, long b1);

    static native void jsae_select_jump(FloatPointer pre, long dSae, FloatPointer theta, IntPointer rowStart,
                                        IntPointer idx, long b0, long b1);

    static native void jsae_decode(FloatPointer pre, long dSae, IntPointer rowStart, IntPointer idx,
                                   FloatPointer keptPre, FloatPointer val, FloatPointer wDec, FloatPointer bDec,
                                   FloatPointer target, float sign, FloatPointer out, long dIn, DoublePointer sse,
                                   IntPointer fired, FloatPointer minPos, long b0, long b1);

    static native void jsae_group_by_latent(IntPointer rowStart, IntPointer idx, long rows, long dSae,
                                            IntPointer latStart, IntPointer latEntry, IntPointer entryRow);

    static native void jsae_backward_latents(IntPointer latStart, IntPointer latEntry, IntPointer entryRow,
                                             FloatPointer keptPre, FloatPointer val, FloatPointer err, float coef,
                                             float l1, FloatPointer decNorm, FloatPointer xc, FloatPointer wDec,
                                             FloatPointer wEnc, FloatPointer gWDec, FloatPointer gWEnc,
                                             FloatPointer gBEnc, FloatPointer bdecPart, int overwrite, long dIn,
                                             long j0, long j1);

    static native void jsae_backward_adam_latents(IntPointer latStart, IntPointer latEntry, IntPointer entryRow,
                                                  FloatPointer keptPre, FloatPointer val, FloatPointer err, float coef,
                                                  float l1, FloatPointer decNorm, IntPointer auxLatStart,
                                                  IntPointer auxLatEntry, IntPointer auxEntryRow,
                                                  FloatPointer auxKeptPre, FloatPointer auxVal, FloatPointer auxErr,
                                                  float auxCoef, FloatPointer xc, FloatPointer wDec, FloatPointer wEnc,
                                                  FloatPointer bEnc, FloatPointer mDec, FloatPointer vDec,
                                                  FloatPointer mEnc, FloatPointer vEnc, FloatPointer mBEnc,
                                                  FloatPointer vBEnc, FloatPointer scratch, FloatPointer bdecPart,
                                                  float b1, float c1, float b2, float c2, float stepSize,
                                                  float bc2Sqrt, float eps, long dIn, long j0, long j1);

    static native void jsae_bdec_grad(FloatPointer err, float coef, long rows, FloatPointer parts, int nParts,
                                      long dIn, FloatPointer gBDec, long d0, long d1);

    static native void jsae_row_norms(FloatPointer w, long dIn, FloatPointer norms, long j0, long j1);

    static native void jsae_adam(FloatPointer p, FloatPointer g, FloatPointer m, FloatPointer v, float b1, float c1,
                                 float b2, float c2, float stepSize, float bc2Sqrt, float eps, long i0, long i1);

    static native long jsae_update_counters(IntPointer latStart, IntPointer latEntry, FloatPointer val,
                                            @Cast("int64_t*") LongPointer tokensSinceFired, long rows, long deadTokens,
                                            @Cast("uint8_t*") BytePointer dead, long j0, long j1);

    static native void jsae_count_fires(IntPointer latStart, IntPointer latEntry, FloatPointer val,
                                        @Cast("int64_t*") LongPointer fires, long j0, long j1);
}
