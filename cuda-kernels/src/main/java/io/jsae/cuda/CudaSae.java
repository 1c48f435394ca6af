package io.jsae.cuda;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.ConformanceProbe;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.EvalParameters;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.StepParameters;
import io.jsae.core.io.DType;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An SAE in device memory, driven through the native core ({@code jsae_cuda.h}). A step is one native call:
 * the batch is copied from a pinned input buffer, every kernel runs on one stream and the step's scalars come
 * back in one synchronization. Two pinned input buffers alternate: every step, gradient pass and evaluation reads
 * the current one and then makes the other current, so the following buffer (where the batch after this one is
 * read) is never the one a step is reading.
 *
 * <p>Input rows may also be given as float16 or bfloat16 ({@link #inputTypes()}; {@link #trainStep(int, DType,
 * StepParameters)}, {@link #evaluate(int, DType, EvalParameters)}): the step then copies {@code rows × dIn × 2} bytes
 * from the pinned buffer into a device staging buffer of {@code maxRows × dIn × 2} bytes (allocated with the SAE)
 * and a kernel widens them, exactly, into the float32 input the step reads; from there on the step is the float32
 * one, bit for bit (scaling, the non-finite check: a NaN or infinite half is rejected like a NaN or infinite
 * float). The native step takes the type in every mode (train, gradients, evaluate); of the Java entry points only
 * the conformance probe's {@code computeGradients} is float32-only, as its signature says.
 *
 * <p>State tensors are views: a chunk is copied between device memory and the caller's buffer (straight from a
 * direct buffer, through a bounded staging buffer from a heap one), so a model never needs a heap copy.
 */
final class CudaSae implements DeviceSae {
    private static final int MODE_TRAIN = 0;
    private static final int MODE_GRADIENTS = 1;
    private static final int MODE_EVALUATE = 2;
    private static final int THRESHOLD_TENSOR = 12;
    private static final int FIRST_GRADIENT = 13;
    private static final int STAGING_FLOATS = 1 << 20;
    /** What {@link #inputTypes()} returns: float32, and the half-precision types widened on the device. */
    private static final Set<DType> INPUT_TYPES = Set.of(DType.F32, DType.F16, DType.BF16);

    private final int lib;
    private final String backendName;
    private final SaeConfig config;
    private final Runnable onClose;
    private final int dIn;
    private final int dSae;
    private final int maxRows;
    private final FloatBuffer[] inputs = new FloatBuffer[2];
    private final List<StateTensor> stateTensors = new ArrayList<>();
    private final List<StateTensor> gradients = new ArrayList<>();
    private final boolean jumpRelu;
    private long handle;
    private int current;
    private FloatBuffer staging;
    /** deadTokens the device's dead mask was computed with; -1 after the counters were replaced. */
    private long deadMaskTokens = -1;
    private long deadCount;
    private double lastDeviceMillis = Double.NaN;
    private volatile boolean closed;

    CudaSae(KernelLibrary library, String backendName, int device, SaeConfig config, int topkCandidates,
            Runnable onClose) {
        this.lib = library.id();
        this.backendName = backendName;
        this.config = config;
        this.onClose = onClose;
        this.dIn = config.dIn();
        this.dSae = config.dSae();
        this.maxRows = config.batchSize();
        Activation act = config.activation();
        this.jumpRelu = act instanceof Activation.JumpRelu;
        int kind = act instanceof Activation.TopK ? 0 : act instanceof Activation.BatchTopK ? 1
                : act instanceof Activation.Relu ? 2 : 3;
        long[] cfg = {dIn, dSae, maxRows, kind, act.k(), config.usesAuxK() ? config.kAux() : 0,
                config.precision().ordinal(), topkCandidates};
        byte[] err = new byte[2048];
        handle = NativeCuda.jsae_glue_create(lib, device, cfg, err, err.length);
        if (handle == 0) {
            throw new CudaFailureException(backendName + ": could not create an SAE of d_in " + dIn + ", d_sae " + dSae
                    + ", batch " + maxRows + " on device " + device + ": " + KernelLibrary.text(err));
        }
        for (int i = 0; i < 2; i++) {
            FloatPointer p = NativeCuda.jsae_glue_input_buffer(lib, handle, i);
            inputs[i] = p.capacity((long) maxRows * dIn).asBuffer();
        }
        long[][] shapes = {{dSae, dIn}, {dSae}, {dSae, dIn}, {dIn}};
        for (int i = 0; i < STATE_TENSORS.size(); i++) {
            stateTensors.add(deviceTensor(STATE_TENSORS.get(i), shapes[i % 4], i));
        }
        if (jumpRelu) {
            stateTensors.add(deviceTensor("threshold", new long[] {dSae}, THRESHOLD_TENSOR));
        }
        for (int i = 0; i < 4; i++) {
            gradients.add(deviceTensor("grad." + STATE_TENSORS.get(i), shapes[i], FIRST_GRADIENT + i));
        }
    }

    /** A state or gradient tensor in device memory, copied in chunks. */
    private StateTensor deviceTensor(String name, long[] shape, int id) {
        return StateTensor.of(name, shape, (offset, dst) -> {
            checkOpen();
            copy(id, offset, dst, false);
        }, (offset, src) -> {
            checkOpen();
            copy(id, offset, src, true);
        });
    }

    /** Copies buf's remaining floats to or from tensor id at offset, advancing buf's position. */
    private void copy(int id, long offset, FloatBuffer buf, boolean toDevice) {
        if (buf.isDirect()) {
            int n = buf.remaining();
            long address = new Pointer(buf).address() + 4L * buf.position();
            check(NativeCuda.jsae_glue_tensor_copy(lib, handle, id, offset, n, address, toDevice ? 1 : 0), "tensor copy");
            buf.position(buf.position() + n);
            return;
        }
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(4 * STAGING_FLOATS).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        long at = offset;
        while (buf.hasRemaining()) {
            int n = Math.min(buf.remaining(), STAGING_FLOATS);
            staging.clear().limit(n);
            if (toDevice) {
                FloatBuffer part = buf.slice();
                part.limit(n);
                staging.put(part).flip();
            }
            long address = new Pointer(staging).address();
            check(NativeCuda.jsae_glue_tensor_copy(lib, handle, id, at, n, address, toDevice ? 1 : 0), "tensor copy");
            if (!toDevice) {
                staging.position(0).limit(n);
                buf.put(staging);
            } else {
                buf.position(buf.position() + n);
            }
            at += n;
        }
    }

    private void check(int status, String what) {
        if (status != 0) {
            throw new CudaFailureException(backendName + ": " + what + " failed: "
                    + NativeCuda.jsae_glue_error(lib, handle));
        }
    }

    @Override
    public SaeConfig config() {
        return config;
    }

    @Override
    public int maxRows() {
        return maxRows;
    }

    @Override
    public FloatBuffer inputBuffer() {
        checkOpen();
        return inputs[current].clear();
    }

    @Override
    public FloatBuffer followingInputBuffer() {
        checkOpen();
        return inputs[current ^ 1].clear();
    }

    private void checkRows(int rows) {
        checkOpen();
        DeviceSae.checkRows(rows, maxRows);
    }

    /** Recomputes the device's dead mask from its counters when they were replaced or deadTokens changed. */
    private void refreshDeadMask(long deadTokens) {
        if (deadMaskTokens == deadTokens) {
            return;
        }
        long[] count = new long[1];
        check(NativeCuda.jsae_glue_refresh_dead(lib, handle, deadTokens, count), "dead-latent mask");
        deadCount = count[0];
        deadMaskTokens = deadTokens;
    }

    /** @return the native code of an accepted input type ({@code JSAE_INPUT_*} of jsae_cuda.h) */
    private static int inputTypeCode(DType inputType) {
        DeviceSae.checkInputType(inputType, INPUT_TYPES);
        return switch (inputType) {
            case F16 -> 1;
            case BF16 -> 2;
            default -> 0;
        };
    }

    /**
     * One native step (train, gradients or evaluate) on the current input buffer, holding rows of the given input
     * type; once it returns, the other buffer is the current one. A step that fails switches nothing.
     */
    private StepMetrics run(int mode, int rows, int inputType, StepParameters p, double inputScale, double threshold) {
        long[] ints = {mode, p == null ? 0 : p.auxLatents(), p == null ? 0 : p.deadTokens(), inputType};
        double[] doubles = {inputScale, threshold, p == null ? 0 : p.adamStepSize(), p == null ? 1 : p.adamBias2Sqrt(),
                p == null ? 0 : p.beta1(), p == null ? 0 : p.beta2(), p == null ? 0 : p.eps(),
                p == null ? 0 : p.auxScale(), p == null ? 0 : p.l1Coefficient()};
        long[] outInts = new long[4];
        double[] outDoubles = new double[6];
        check(NativeCuda.jsae_glue_step(lib, handle, current, rows, ints, doubles, outInts, outDoubles), "step");
        current ^= 1;
        lastDeviceMillis = outDoubles[5];
        if (outInts[0] >= 0) {
            return StepMetrics.rejected(rows, outInts[0]);
        }
        double sse = outDoubles[0];
        double mse = sse / rows;
        double auxLoss = 0;
        double l1Loss = 0;
        if (p != null) {
            if (outInts[3] != 0) {
                auxLoss = p.auxScale() / mse * outDoubles[1] / rows;
            }
            l1Loss = outDoubles[2] * p.l1Coefficient() / rows;
        }
        long dead = mode == MODE_TRAIN ? outInts[2] : mode == MODE_GRADIENTS ? deadCount : 0;
        return new StepMetrics(rows, mse + auxLoss + l1Loss, mse, auxLoss, l1Loss, (double) outInts[1] / rows, sse,
                outDoubles[3], dead, outDoubles[4], -1);
    }

    private StepMetrics trainOrGradients(int mode, int rows, DType inputType, StepParameters p) {
        checkRows(rows);
        int type = inputTypeCode(inputType);
        if (jumpRelu) {
            throw new IllegalStateException("a jumprelu SAE runs inference only (evaluate); train a topk, batchtopk "
                    + "or relu SAE instead");
        }
        refreshDeadMask(p.deadTokens());
        if (p.auxLatents() > 0 && p.auxLatents() > deadCount) {
            throw new IllegalArgumentException("auxLatents " + p.auxLatents() + " exceeds the " + deadCount
                    + " dead latents this SAE counts at deadTokens " + p.deadTokens());
        }
        if (p.auxLatents() > 0 && !config.usesAuxK()) {
            throw new IllegalArgumentException("auxLatents " + p.auxLatents() + " given to an SAE configured without AuxK");
        }
        StepMetrics m = run(mode, rows, type, p, p.inputScale(), Double.NaN);
        if (mode == MODE_TRAIN && !m.rejected()) {
            deadCount = m.deadLatents();
            deadMaskTokens = p.deadTokens();
        }
        return m;
    }

    @Override
    public Set<DType> inputTypes() {
        return INPUT_TYPES;
    }

    @Override
    public StepMetrics trainStep(int rows, StepParameters params) {
        return trainOrGradients(MODE_TRAIN, rows, DType.F32, params);
    }

    @Override
    public StepMetrics trainStep(int rows, DType inputType, StepParameters params) {
        return trainOrGradients(MODE_TRAIN, rows, inputType, params);
    }

    @Override
    public StepMetrics evaluate(int rows, EvalParameters params) {
        return evaluate(rows, DType.F32, params);
    }

    @Override
    public StepMetrics evaluate(int rows, DType inputType, EvalParameters params) {
        checkRows(rows);
        int type = inputTypeCode(inputType);
        StepMetrics m = run(MODE_EVALUATE, rows, type, null, params.inputScale(), params.threshold());
        return m.rejected() ? m : new StepMetrics(rows, m.mse(), m.mse(), 0, 0, m.l0(), m.sse(), m.totalVariance(), 0,
                m.minPositiveKept(), -1);
    }

    /**
     * Tests: the first {@code count} values of the current input buffer, of {@code inputType}, brought to the device
     * and widened to float32 exactly as a step does (the next step overwrites the same device scratch). Does not
     * switch input buffers.
     *
     * @param inputType one of {@link #inputTypes()}
     * @param count     values, at most maxRows × dIn
     * @return the float32 values the step would read
     */
    float[] convertInput(DType inputType, int count) {
        checkOpen();
        int type = inputTypeCode(inputType);
        if (count < 0 || (long) count > (long) maxRows * dIn) {
            throw new IllegalArgumentException("count " + count + " outside 0.." + (long) maxRows * dIn);
        }
        float[] out = new float[count];
        check(NativeCuda.jsae_glue_convert_input(lib, handle, current, type, count, out), "input conversion");
        return out;
    }

    /** @return the device time of the last step or evaluation in milliseconds (CUDA events), NaN before the first */
    double lastDeviceMillis() {
        return lastDeviceMillis;
    }

    /**
     * Measures what bounds a step on this device, on this SAE's own buffers (it overwrites the pre-activations
     * and the encoder's second Adam moment: use a throwaway SAE).
     *
     * @param repeats timed runs after one warm-up
     * @return the encoder GEMM's rate in TFLOP/s at the configured batch and precision, and the device's
     * copy bandwidth in GB/s (bytes read plus written), each a median
     */
    double[] measurePeaks(int repeats) {
        checkOpen();
        double[] out = new double[2];
        check(NativeCuda.jsae_glue_measure_peaks(lib, handle, repeats, out), "peak measurement");
        return out;
    }

    @Override
    public long[] fireCounts() {
        checkOpen();
        long[] out = new long[dSae];
        check(NativeCuda.jsae_glue_fire_counts(lib, handle, out, 0), "fire counts");
        return out;
    }

    @Override
    public void resetFireCounts() {
        checkOpen();
        check(NativeCuda.jsae_glue_fire_counts(lib, handle, null, 1), "fire counts reset");
    }

    @Override
    public List<StateTensor> stateTensors() {
        checkOpen();
        return List.copyOf(stateTensors);
    }

    @Override
    public long[] tokensSinceFired() {
        checkOpen();
        long[] out = new long[dSae];
        check(NativeCuda.jsae_glue_counters_copy(lib, handle, out, 0), "counter copy");
        return out;
    }

    @Override
    public void setTokensSinceFired(long[] counters) {
        checkOpen();
        DeviceSae.checkCounters(counters, dSae);
        check(NativeCuda.jsae_glue_counters_copy(lib, handle, counters.clone(), 1), "counter copy");
        deadMaskTokens = -1;
    }

    @Override
    public ConformanceProbe conformanceProbe() {
        return new ConformanceProbe() {
            @Override
            public void poison() {
                checkOpen();
                check(NativeCuda.jsae_glue_poison(lib, handle), "poison");
            }

            @Override
            public StepMetrics computeGradients(int rows, StepParameters params) {
                return trainOrGradients(MODE_GRADIENTS, rows, DType.F32, params);
            }

            @Override
            public List<StateTensor> gradients() {
                checkOpen();
                return List.copyOf(gradients);
            }
        };
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this " + backendName + " SAE was closed (by its own close() or its backend's)");
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        NativeCuda.jsae_glue_destroy(lib, handle);
        handle = 0;
        onClose.run();
    }
}
