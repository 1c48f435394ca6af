package io.jsae.core.backend.cpu;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.ConformanceProbe;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.EvalParameters;
import io.jsae.core.backend.InvalidBatchException;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.StepParameters;
import io.jsae.core.io.DType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static io.jsae.core.backend.cpu.CpuKernels.*;

/**
 * An SAE on the CPU: parameters, gradients and Adam moments are libtorch tensors; the encoder GEMM is
 * libtorch's; everything sparse (selection, decode, backward scatter, fused Adam) runs in the native kernels
 * of {@code jsae_cpu.h}, in O(B·k·dIn), never materializing a dense {@code [B, dSae]} code.
 *
 * <p>One step: (widen a float16/bfloat16 batch to float32) → scale and center the batch (and find a non-finite
 * row) → {@code pre = xc·W_encᵀ + b_enc} (GEMM, split by rows) → select (CSR codes) → decode and error → AuxK
 * decode on dead latents → one pass per latent that builds its gradient rows in scratch and applies Adam to its
 * encoder row, b_enc entry and decoder row (projection, Adam, renormalization) at once, each parameter and moment
 * read and written once → b_dec gradient and its Adam step → dead-latent counters.
 *
 * <p>Two input buffers alternate, as on a GPU: a step, gradient pass or evaluation reads the current one and then
 * makes the other current, so the batch after this one can be written into {@link #followingInputBuffer()} while
 * the step runs.
 *
 * <p>Native memory is owned by this object alone: allocations never attach to a caller's open
 * {@link PointerScope} (see {@link #allocate}), and {@link #close()} frees them.
 */
final class CpuSae implements DeviceSae {
    /** State tensor of a jumprelu SAE's per-latent thresholds, after the twelve of {@link #STATE_TENSORS}. */
    static final String JUMP_THRESHOLD = "threshold";
    private static final float SIGN_PLUS = 1f;
    private static final float SIGN_MINUS = -1f;

    private final SaeConfig config;
    private final RangeExecutor exec;
    private final Runnable onClose;
    private final int dIn;
    private final int dSae;
    private final int maxRows;
    private final List<Pointer> owned = new ArrayList<>();

    // Parameters, gradients, Adam moments: libtorch tensors, with cached data pointers.
    private final TensorSet params, adamM, adamV;
    /** Gradient tensors, made on the conformance probe's first use: a training step never stores gradients. */
    private TensorSet grads;
    private final List<StateTensor> stateTensors = new ArrayList<>();
    private final Tensor wEncT, bEncT;
    private final FloatPointer wEnc, bEnc, wDec, bDec;
    /** The b_dec gradient of a training step (dIn floats). */
    private final FloatPointer bdecGrad;
    private final Tensor xcT, preT;
    private final FloatPointer xc, pre;
    /** The two input buffers; a step, gradient pass or evaluation reads inputs[current] and then flips current. */
    private final FloatPointer[] inputs = new FloatPointer[2];
    private final FloatBuffer[] inputBuffers = new FloatBuffer[2];
    private int current;
    /**
     * The float32 rows of a batch given as float16 or bfloat16, widened here (exactly) before the step reads them;
     * allocated by the first such batch.
     */
    private FloatPointer widened;
    /** Per-latent thresholds of a jumprelu SAE (inference only), else null. */
    private final FloatPointer jumpThreshold;

    // Per-batch scratch.
    private final Codes main;
    private final Codes aux;
    private final FloatPointer err, auxErr, bdecParts, latentScratch, minPos, decNorm;
    private final DoublePointer sse;
    private final IntPointer fired, gt, eq, ties;
    private final LongPointer hist;
    private final LongPointer tokensSinceFired, fires;
    private final BytePointer dead;

    /** deadTokens the dead mask was computed with; -1 after the counters were replaced. */
    private long deadMaskTokens = -1;
    private long deadCount;
    private volatile boolean closed;

    CpuSae(SaeConfig config, RangeExecutor exec, Runnable onClose) {
        this.config = config;
        this.exec = exec;
        this.onClose = onClose;
        this.dIn = config.dIn();
        this.dSae = config.dSae();
        this.maxRows = config.batchSize();
        params = new TensorSet("");
        adamM = new TensorSet("adam_m.");
        adamV = new TensorSet("adam_v.");
        for (TensorSet set : new TensorSet[] {params, adamM, adamV}) {
            stateTensors.addAll(set.views);
        }
        if (config.activation() instanceof Activation.JumpRelu) {
            Tensor t = tensor(dSae);
            jumpThreshold = t.data_ptr_float();
            stateTensors.add(liveTensor(JUMP_THRESHOLD, new long[] {dSae}, jumpThreshold));
        } else {
            jumpThreshold = null;
        }
        wEncT = params.tensors[0];
        bEncT = params.tensors[1];
        wEnc = params.data[0];
        bEnc = params.data[1];
        wDec = params.data[2];
        bDec = params.data[3];
        bdecGrad = allocate(() -> new FloatPointer(dIn));
        xcT = tensor(maxRows, dIn);
        preT = tensor(maxRows, dSae);
        xc = xcT.data_ptr_float();
        pre = preT.data_ptr_float();
        for (int i = 0; i < 2; i++) {
            FloatPointer in = allocate(() -> new InputMemory((long) maxRows * dIn));
            in.fill(0);
            inputs[i] = in;
            inputBuffers[i] = in.asBuffer();
        }

        int k = config.activation().k();
        long mainCap = config.activation() instanceof Activation.Relu ? Math.min((long) maxRows * dSae, Integer.MAX_VALUE)
                : (long) maxRows * k;
        main = new Codes(mainCap);
        aux = new Codes(config.usesAuxK() ? (long) maxRows * config.kAux() : 1);
        err = allocate(() -> new FloatPointer((long) maxRows * dIn));
        auxErr = allocate(() -> new FloatPointer(config.usesAuxK() ? (long) maxRows * dIn : 1));
        bdecParts = allocate(() -> new FloatPointer((long) exec.threads() * dIn));
        latentScratch = allocate(() -> new FloatPointer(2L * exec.threads() * dIn));
        minPos = allocate(() -> new FloatPointer(maxRows));
        decNorm = allocate(() -> new FloatPointer(dSae));
        sse = allocate(() -> new DoublePointer(maxRows));
        fired = allocate(() -> new IntPointer(maxRows));
        gt = allocate(() -> new IntPointer(maxRows));
        eq = allocate(() -> new IntPointer(maxRows));
        ties = allocate(() -> new IntPointer(maxRows));
        hist = allocate(() -> new LongPointer(65536L * exec.threads()));
        tokensSinceFired = allocate(() -> new LongPointer(dSae));
        fires = allocate(() -> new LongPointer(dSae));
        dead = allocate(() -> new BytePointer(dSae));
        tokensSinceFired.fill(0);
        fires.fill(0);
        dead.fill(0);
        if (k > 0 && config.activation() instanceof Activation.TopK) {
            for (int b = 0; b <= maxRows; b++) {
                main.rowStart.put(b, b * k);
            }
        }
    }

    /**
     * The memory of an input buffer: the loader writes every batch into it, a few percent faster on 2 MiB pages
     * than on 4 KiB ones (see io.jsae.core.data.DirectBuffers#allocateBatch), so it is fresh memory on a 2 MiB
     * boundary that asks for them before its first touch (jsae_batch_alloc), freed by the pointer's deallocator.
     */
    private static final class InputMemory extends FloatPointer {
        InputMemory(long floats) {
            long bytes = Math.multiplyExact(floats, (long) Float.BYTES);
            Pointer memory = jsae_batch_alloc(bytes, new int[1]);
            if (memory == null || memory.isNull()) {
                throw new OutOfMemoryError("cannot allocate an input buffer of " + bytes + " bytes");
            }
            address = memory.address();
            capacity = floats;
            limit = floats;
            deallocator(() -> jsae_batch_free(memory, bytes));
        }
    }

    /**
     * Allocates native memory owned by this SAE alone. JavaCPP attaches every new pointer to the innermost open
     * {@link PointerScope} of the thread, which may be a caller's: it would free our weights when the caller's
     * scope closes. So the allocation runs in a scope of our own, from which the pointer is detached (with a
     * reference kept), and every temporary of the allocation dies with that scope.
     */
    private <P extends Pointer> P allocate(Supplier<P> make) {
        P p;
        try (PointerScope scope = new PointerScope()) {
            p = make.get();
            p.retainReference();
            scope.detach(p);
        }
        owned.add(p);
        return p;
    }

    private Tensor tensor(long... shape) {
        return allocate(() -> torch.zeros(shape));
    }

    /** CSR codes of one batch and their per-latent grouping. */
    private final class Codes {
        final IntPointer rowStart = allocate(() -> new IntPointer(maxRows + 1L));
        IntPointer idx, entryRow, latEntry;
        FloatPointer keptPre, val;
        final IntPointer latStart = allocate(() -> new IntPointer(dSae + 1L));
        long capacity;

        Codes(long capacity) {
            reserve(capacity);
        }

        void reserve(long cap) {
            for (Pointer old : new Pointer[] {idx, entryRow, latEntry, keptPre, val}) {
                if (old != null) {
                    owned.remove(old);
                    old.close();
                }
            }
            capacity = Math.max(1, cap);
            idx = allocate(() -> new IntPointer(capacity));
            entryRow = allocate(() -> new IntPointer(capacity));
            latEntry = allocate(() -> new IntPointer(capacity));
            keptPre = allocate(() -> new FloatPointer(capacity));
            val = allocate(() -> new FloatPointer(capacity));
        }

        void ensure(long entries) {
            if (entries > capacity) {
                reserve(Math.max(entries, capacity * 3 / 2));
            }
        }

        int entries(int rows) {
            return rowStart.get(rows);
        }

        void groupByLatent(int rows) {
            jsae_group_by_latent(rowStart, idx, rows, dSae, latStart, latEntry, entryRow);
        }
    }

    /**
     * The four parameter-shaped tensors of one kind (weights, gradients or an Adam moment), in the order
     * encoder rows [dSae, dIn], b_enc [dSae], decoder rows [dSae, dIn], b_dec [dIn], with their data pointers
     * and their views as state tensors.
     */
    private final class TensorSet {
        final Tensor[] tensors = new Tensor[4];
        final FloatPointer[] data = new FloatPointer[4];
        final List<StateTensor> views = new ArrayList<>(4);

        TensorSet(String prefix) {
            long[][] shapes = {{dSae, dIn}, {dSae}, {dSae, dIn}, {dIn}};
            String[] names = {"encoder_rows", "b_enc", "decoder_rows", "b_dec"};
            for (int i = 0; i < 4; i++) {
                tensors[i] = tensor(shapes[i]);
                data[i] = tensors[i].data_ptr_float();
                views.add(liveTensor(prefix + names[i], shapes[i], data[i]));
            }
        }

        void fill(float value) {
            try (PointerScope scope = new PointerScope()) {
                for (Tensor t : tensors) {
                    t.fill_(new Scalar(value));
                }
            }
        }
    }

    /** A state tensor read and written in place: chunks are copied straight from and into the live memory. */
    private StateTensor liveTensor(String name, long[] shape, FloatPointer data) {
        return StateTensor.of(name, shape, (offset, dst) -> {
            checkOpen();
            dst.put(chunk(data, offset, dst.remaining()));
        }, (offset, src) -> {
            checkOpen();
            chunk(data, offset, src.remaining()).put(src);
        });
    }

    private static FloatBuffer chunk(FloatPointer data, long offset, int count) {
        return data.getPointer(FloatPointer.class, offset).capacity(count).asBuffer();
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
        return inputBuffers[current].clear();
    }

    @Override
    public FloatBuffer followingInputBuffer() {
        checkOpen();
        return inputBuffers[current ^ 1].clear();
    }

    private void checkRows(int rows) {
        checkOpen();
        DeviceSae.checkRows(rows, maxRows);
    }

    /**
     * Scales and centers the batch in {@code input}, runs the encoder GEMM and selects the codes.
     *
     * @return the first non-finite row, or -1
     */
    private long encodeBatch(FloatPointer input, int rows, float scale, double threshold) {
        AtomicLong bad = new AtomicLong(Long.MAX_VALUE);
        exec.forRange(rows, (lo, hi) -> {
            long r = jsae_center(input, scale, bDec, xc, dIn, lo, hi);
            if (r >= 0) {
                bad.accumulateAndGet(r, Math::min);
            }
        });
        if (bad.get() != Long.MAX_VALUE) {
            return bad.get();
        }
        // The GEMM is split by rows across the kernel threads, each calling single-threaded libtorch: one
        // thread pool for the whole step, none spinning while another works.
        exec.forRange(rows, (lo, hi) -> {
            try (PointerScope scope = new PointerScope()) {
                torch.addmm_out(preT.narrow(0, lo, hi - lo), bEncT, xcT.narrow(0, lo, hi - lo), wEncT.t());
            }
        });
        Activation act = config.activation();
        if (act instanceof Activation.TopK topK) {
            exec.forRange(rows, (lo, hi) -> jsae_topk_rows(pre, dSae, topK.k(), null, main.idx, lo, hi));
        } else if (act instanceof Activation.BatchTopK batchTopK) {
            if (!Double.isNaN(threshold)) {
                selectAbove(rows, key((float) threshold));
            } else {
                long keep = Math.min((long) batchTopK.k() * rows, (long) rows * dSae);
                selectTop(rows, keep);
            }
        } else if (act instanceof Activation.JumpRelu) {
            selectJump(rows);
        } else {
            selectAbove(rows, key(0f));
        }
        return -1;
    }

    /** Keeps the {@code keep} largest pre-activations of the batch (ties by flat index). */
    private void selectTop(int rows, long keep) {
        long n = (long) rows * dSae;
        int hiBin = radixBin(n, keep, -1);
        long above = countAbove(hiBin);
        int loBin = radixBin(n, keep - above, hiBin);
        int tau = (hiBin << 16) | loBin;
        exec.forRange(rows, (lo, hi) -> jsae_count_threshold(pre, dSae, tau, gt, eq, lo, hi));
        long greater = 0;
        for (int b = 0; b < rows; b++) {
            greater += gt.get(b);
        }
        long tiesLeft = keep - greater;
        int start = 0;
        main.rowStart.put(0, 0);
        for (int b = 0; b < rows; b++) {
            int t = (int) Math.min(eq.get(b), tiesLeft);
            tiesLeft -= t;
            ties.put(b, t);
            start += gt.get(b) + t;
            main.rowStart.put(b + 1, start);
        }
        exec.forRange(rows, (lo, hi) -> jsae_select_threshold(pre, dSae, tau, ties, main.rowStart, main.idx, lo, hi));
    }

    /** The last key histogram (65536 bins) and the per-part histograms it was summed from. */
    private final long[] keyHistogram = new long[65536];
    private long[] partHistograms;

    /** Histograms keys (high 16 bits, or low bits within hiBin) and returns the bin holding the rank-th largest. */
    private int radixBin(long n, long rank, int hiBin) {
        int parts = (int) Math.min(exec.threads(), Math.max(1, n));
        hist.fill(0);
        exec.forRange(parts, (lo, hi) -> {
            for (long p = lo; p < hi; p++) {
                jsae_key_histogram(pre, n * p / parts, n * (p + 1) / parts, hiBin,
                        hist.getPointer(LongPointer.class, 65536L * p));
            }
        });
        if (partHistograms == null) {
            partHistograms = new long[65536 * exec.threads()];
        }
        hist.get(partHistograms); // one bulk copy, not one JNI call per bin
        for (int bin = 0; bin < 65536; bin++) {
            long s = 0;
            for (int p = 0; p < parts; p++) {
                s += partHistograms[65536 * p + bin];
            }
            keyHistogram[bin] = s;
        }
        long cum = 0;
        for (int bin = 65535; bin >= 0; bin--) {
            cum += keyHistogram[bin];
            if (cum >= rank) {
                return bin;
            }
        }
        return 0;
    }

    /** Entries in bins above {@code bin} of the last histogram. */
    private long countAbove(int bin) {
        long s = 0;
        for (int b = bin + 1; b < 65536; b++) {
            s += keyHistogram[b];
        }
        return s;
    }

    /** Keeps every pre-activation whose key is above tau (relu, or batchtopk at inference). */
    private void selectAbove(int rows, int tau) {
        exec.forRange(rows, (lo, hi) -> jsae_count_threshold(pre, dSae, tau, gt, eq, lo, hi));
        long start = 0;
        main.rowStart.put(0, 0);
        for (int b = 0; b < rows; b++) {
            ties.put(b, 0);
            start += gt.get(b);
            if (start > Integer.MAX_VALUE) {
                throw new InvalidBatchException("batch of " + rows + " rows has more than 2^31 active latents; "
                        + "lower batchSize for this relu SAE");
            }
            main.rowStart.put(b + 1, (int) start);
        }
        main.ensure(start);
        exec.forRange(rows, (lo, hi) -> jsae_select_threshold(pre, dSae, tau, ties, main.rowStart, main.idx, lo, hi));
    }

    /** Keeps every pre-activation above its latent's jumprelu threshold. */
    private void selectJump(int rows) {
        exec.forRange(rows, (lo, hi) -> jsae_count_jump(pre, dSae, jumpThreshold, gt, lo, hi));
        long start = 0;
        main.rowStart.put(0, 0);
        for (int b = 0; b < rows; b++) {
            start += gt.get(b);
            main.rowStart.put(b + 1, (int) start);
        }
        main.ensure(start);
        exec.forRange(rows, (lo, hi) -> jsae_select_jump(pre, dSae, jumpThreshold, main.rowStart, main.idx, lo, hi));
    }

    /** Same order as the kernels' key: larger float, larger unsigned key. */
    static int key(float f) {
        int u = Float.floatToRawIntBits(f);
        return u < 0 ? ~u : (u | 0x80000000);
    }

    private double decodeMain(FloatPointer x, int rows, double[] firedOut, double[] minPosOut) {
        exec.forRange(rows, (lo, hi) -> jsae_decode(pre, dSae, main.rowStart, main.idx, main.keptPre, main.val, wDec,
                bDec, x, SIGN_PLUS, err, dIn, sse, fired, minPos, lo, hi));
        double s = 0;
        long f = 0;
        float mp = Float.MAX_VALUE;
        for (int b = 0; b < rows; b++) {
            s += sse.get(b);
            f += fired.get(b);
            mp = Math.min(mp, minPos.get(b));
        }
        firedOut[0] = f;
        minPosOut[0] = mp;
        return s;
    }

    private double variance(FloatPointer x, int rows) {
        int parts = Math.min(exec.threads(), dIn);
        double[] partial = new double[parts];
        exec.forRange(parts, (lo, hi) -> {
            for (long p = lo; p < hi; p++) {
                partial[(int) p] = jsae_column_variance(x, rows, dIn, dIn * p / parts, dIn * (p + 1) / parts);
            }
        });
        double s = 0;
        for (double v : partial) {
            s += v;
        }
        return s;
    }

    /**
     * F32, and F16 and BF16: half-precision rows are widened to float32 at the start of the step, on the kernel
     * threads, so that the loader hands them over undecoded (at half the bytes) to this backend as to a GPU one.
     */
    @Override
    public Set<DType> inputTypes() {
        return Set.of(DType.F32, DType.F16, DType.BF16);
    }

    @Override
    public StepMetrics trainStep(int rows, StepParameters p) {
        return trainStep(rows, DType.F32, p);
    }

    @Override
    public StepMetrics trainStep(int rows, DType inputType, StepParameters p) {
        FloatPointer input = stepInput(rows, inputType);
        StepMetrics m = train(input, rows, p);
        current ^= 1;
        return m;
    }

    /**
     * The float32 rows of the current input buffer: the buffer itself, or its {@code rows} half-precision rows
     * widened into {@link #widened}.
     */
    private FloatPointer stepInput(int rows, DType inputType) {
        checkRows(rows);
        DeviceSae.checkInputType(inputType, inputTypes());
        FloatPointer input = inputs[current];
        if (inputType == DType.F32) {
            return input;
        }
        FloatPointer out = widened();
        int bf16 = inputType == DType.BF16 ? 1 : 0;
        exec.forRange(rows, (lo, hi) -> jsae_widen_rows(input, bf16, out, dIn, lo, hi));
        return out;
    }

    /** The widening scratch batch, made on first use: under the lock of {@link #close()}, so that it frees it. */
    private synchronized FloatPointer widened() {
        checkOpen();
        if (widened == null) {
            widened = allocate(() -> new FloatPointer((long) maxRows * dIn));
        }
        return widened;
    }

    /**
     * The first {@code count} values of the current input buffer read as {@code inputType}, widened as a step
     * widens them (for the tests of the widening).
     */
    float[] convertInput(DType inputType, int count) {
        checkOpen();
        DeviceSae.checkInputType(inputType, inputTypes());
        if (count < 0 || (long) count > (long) maxRows * dIn) {
            throw new IllegalArgumentException("count " + count + " outside 0.." + (long) maxRows * dIn);
        }
        float[] out = new float[count];
        if (inputType == DType.F32) {
            inputs[current].get(out);
        } else {
            jsae_widen_rows(inputs[current], inputType == DType.BF16 ? 1 : 0, widened(), count, 0, 1);
            widened.get(out);
        }
        return out;
    }

    /** The training step on {@code input}, the current input buffer's rows as float32. */
    private StepMetrics train(FloatPointer input, int rows, StepParameters p) {
        StepMetrics m = forward(input, rows, p);
        if (m.rejected()) {
            return m;
        }
        backwardAndAdam(rows, p);
        updateCounters(rows, p.deadTokens());
        return new StepMetrics(m.rows(), m.loss(), m.mse(), m.auxLoss(), m.l1Loss(), m.l0(), m.sse(),
                m.totalVariance(), deadCount, m.minPositiveKept(), -1);
    }

    /** Rebuilds the dead mask from the counters when they were replaced or deadTokens changed. */
    private void refreshDeadMask(long deadTokens) {
        if (deadMaskTokens == deadTokens) {
            return;
        }
        long d = 0;
        for (int j = 0; j < dSae; j++) {
            boolean isDead = tokensSinceFired.get(j) >= deadTokens;
            dead.put(j, (byte) (isDead ? 1 : 0));
            d += isDead ? 1 : 0;
        }
        deadCount = d;
        deadMaskTokens = deadTokens;
    }

    /**
     * Forward pass and losses on {@code input} (from {@link #stepInput}, which checked {@code rows}), codes grouped
     * by latent for the backward; nothing of the model changes, and the input buffers are not switched (the caller
     * does that). Leaves the backward's coefficients in {@link #coef}, {@link #l1} and {@link #auxCoef}.
     */
    private StepMetrics forward(FloatPointer input, int rows, StepParameters p) {
        if (jumpThreshold != null) {
            throw new IllegalStateException("a jumprelu SAE runs inference only (evaluate); train a topk, batchtopk "
                    + "or relu SAE instead");
        }
        refreshDeadMask(p.deadTokens());
        long bad = encodeBatch(input, rows, (float) p.inputScale(), Double.NaN);
        if (bad >= 0) {
            return StepMetrics.rejected(rows, bad);
        }
        double[] firedCount = new double[1];
        double[] minKept = new double[1];
        double sseTotal = decodeMain(input, rows, firedCount, minKept);
        double mse = sseTotal / rows;
        coef = (float) (2.0 / rows);

        double l1Coef = p.l1Coefficient();
        l1 = (float) (l1Coef / rows);
        double l1Loss = 0;
        if (l1Coef != 0) {
            exec.forRange(dSae, (lo, hi) -> jsae_row_norms(wDec, dIn, decNorm, lo, hi));
            int n = main.entries(rows);
            for (int e = 0; e < n; e++) {
                l1Loss += main.val.get(e) * decNorm.get(main.idx.get(e));
            }
            l1Loss *= l1Coef / rows;
        }

        double auxLoss = 0;
        auxCoef = 0;
        int kAux = p.auxLatents();
        if (kAux > 0 && mse > 0) {
            if (kAux > deadCount) {
                throw new IllegalArgumentException("auxLatents " + kAux + " exceeds the " + deadCount
                        + " dead latents this SAE counts at deadTokens " + p.deadTokens());
            }
            for (int b = 0; b <= rows; b++) {
                aux.rowStart.put(b, b * kAux);
            }
            exec.forRange(rows, (lo, hi) -> jsae_topk_rows(pre, dSae, kAux, dead, aux.idx, lo, hi));
            // ê - r with r = x - x̂ = -err: decode without bias against target err with sign -1.
            exec.forRange(rows, (lo, hi) -> jsae_decode(pre, dSae, aux.rowStart, aux.idx, aux.keptPre, aux.val, wDec,
                    null, err, SIGN_MINUS, auxErr, dIn, sse, fired, minPos, lo, hi));
            double auxSse = 0;
            for (int b = 0; b < rows; b++) {
                auxSse += sse.get(b);
            }
            double auxWeight = p.auxScale() / mse;
            auxLoss = auxWeight * auxSse / rows;
            auxCoef = (float) (auxWeight * 2.0 / rows);
            aux.groupByLatent(rows);
        }
        main.groupByLatent(rows);

        double variance = variance(input, rows);
        double minPositive = minKept[0] >= Float.MAX_VALUE ? Double.POSITIVE_INFINITY : minKept[0];
        return new StepMetrics(rows, mse + auxLoss + l1Loss, mse, auxLoss, l1Loss, firedCount[0] / rows, sseTotal,
                variance, deadCount, minPositive, -1);
    }

    /** Backward coefficients of the last forward: 2/rows, λ/rows, and the AuxK weight · 2/rows (0: no AuxK). */
    private float coef, l1, auxCoef;

    /**
     * Gradients of the step, kept in the gradient tensors (conformance probe): per part of the latents, the main
     * codes' backward (overwriting the gradient rows) then the AuxK codes' (adding); then b_dec.
     */
    private void backward(int rows) {
        FloatPointer gWEnc = gradientTensors().data[0];
        FloatPointer gBEnc = gradientTensors().data[1];
        FloatPointer gWDec = gradientTensors().data[2];
        overLatentParts(rows, gradientTensors().data[3], (part, j0, j1, bdecPart) -> {
            jsae_backward_latents(main.latStart, main.latEntry, main.entryRow, main.keptPre, main.val, err, coef, l1,
                    decNorm, xc, wDec, wEnc, gWDec, gWEnc, gBEnc, bdecPart, 1, dIn, j0, j1);
            if (auxCoef != 0) {
                jsae_backward_latents(aux.latStart, aux.latEntry, aux.entryRow, aux.keptPre, aux.val, auxErr, auxCoef,
                        0f, null, xc, wDec, wEnc, gWDec, gWEnc, gBEnc, bdecPart, 0, dIn, j0, j1);
            }
        });
    }

    /** @return the gradient tensors, made on first use (2·dSae·dIn floats that training never needs) */
    private TensorSet gradientTensors() {
        if (grads == null) {
            grads = new TensorSet("grad.");
        }
        return grads;
    }

    /** A backward pass over the latents [j0, j1) of one part, adding its encoder terms to bdecPart. */
    @FunctionalInterface
    private interface LatentPart {
        void run(long part, long j0, long j1, FloatPointer bdecPart);
    }

    /**
     * Runs a backward pass over one contiguous part of the latents per thread, each with its own zeroed share of
     * the b_dec gradient's encoder terms; then the b_dec gradient (into {@code gBDec}) from the error column sums
     * and those shares.
     */
    private void overLatentParts(int rows, FloatPointer gBDec, LatentPart body) {
        int parts = exec.threads();
        exec.forRange(parts, (lo, hi) -> {
            for (long part = lo; part < hi; part++) {
                FloatPointer bdecPart = bdecParts.getPointer(FloatPointer.class, part * dIn);
                for (int d = 0; d < dIn; d++) {
                    bdecPart.put(d, 0f);
                }
                body.run(part, dSae * part / parts, dSae * (part + 1) / parts, bdecPart);
            }
        });
        exec.forRange(dIn, (lo, hi) -> jsae_bdec_grad(err, coef, rows, bdecParts, parts, dIn, gBDec, lo, hi));
    }

    /**
     * The training step's backward pass fused with the optimizer, per part of the latents: each latent's gradient
     * rows are built in a thread's scratch and applied at once (Adam on its encoder row and b_enc; projection,
     * Adam and renormalization on its decoder row), so gradients never travel through memory; then the b_dec
     * gradient from the error column sums and the parts' encoder terms, and its Adam step.
     */
    private void backwardAndAdam(int rows, StepParameters p) {
        float b1 = (float) p.beta1();
        float b2 = (float) p.beta2();
        // 1 - β in double: 1 - 0.999f in float is off by 1e-5.
        float c1 = (float) (1 - p.beta1());
        float c2 = (float) (1 - p.beta2());
        float stepSize = (float) p.adamStepSize();
        float bc2Sqrt = (float) p.adamBias2Sqrt();
        float eps = (float) p.eps();
        Codes a = auxCoef != 0 ? aux : main; // read only when auxCoef != 0
        overLatentParts(rows, bdecGrad, (part, j0, j1, bdecPart) -> jsae_backward_adam_latents(main.latStart, main.latEntry,
                main.entryRow, main.keptPre, main.val, err, coef, l1, decNorm, a.latStart, a.latEntry, a.entryRow,
                a.keptPre, a.val, auxErr, auxCoef, xc, wDec, wEnc, bEnc, adamM.data[2], adamV.data[2], adamM.data[0],
                adamV.data[0], adamM.data[1], adamV.data[1], latentScratch.getPointer(FloatPointer.class, part * 2 * dIn),
                bdecPart, b1, c1, b2, c2, stepSize, bc2Sqrt, eps, dIn, j0, j1));
        jsae_adam(bDec, bdecGrad, adamM.data[3], adamV.data[3], b1, c1, b2, c2, stepSize, bc2Sqrt, eps, 0, dIn);
    }

    /** Counters grow by the batch's rows and reset where a latent fired; the dead mask follows. */
    private void updateCounters(int rows, long deadTokens) {
        AtomicLong deadTotal = new AtomicLong();
        exec.forRange(dSae, (lo, hi) -> deadTotal.addAndGet(jsae_update_counters(main.latStart, main.latEntry,
                main.val, tokensSinceFired, rows, deadTokens, dead, lo, hi)));
        deadCount = deadTotal.get();
        deadMaskTokens = deadTokens;
    }

    @Override
    public StepMetrics evaluate(int rows, EvalParameters p) {
        return evaluate(rows, DType.F32, p);
    }

    @Override
    public StepMetrics evaluate(int rows, DType inputType, EvalParameters p) {
        StepMetrics m = evaluate(stepInput(rows, inputType), rows, p);
        current ^= 1;
        return m;
    }

    /** The evaluation of {@code input} (from {@link #stepInput}, which checked {@code rows}). */
    private StepMetrics evaluate(FloatPointer input, int rows, EvalParameters p) {
        long bad = encodeBatch(input, rows, (float) p.inputScale(), p.threshold());
        if (bad >= 0) {
            return StepMetrics.rejected(rows, bad);
        }
        double[] firedCount = new double[1];
        double[] minKept = new double[1];
        double sseTotal = decodeMain(input, rows, firedCount, minKept);
        main.groupByLatent(rows);
        exec.forRange(dSae, (lo, hi) -> jsae_count_fires(main.latStart, main.latEntry, main.val, fires, lo, hi));
        double mse = sseTotal / rows;
        double minPositive = minKept[0] >= Float.MAX_VALUE ? Double.POSITIVE_INFINITY : minKept[0];
        return new StepMetrics(rows, mse, mse, 0, 0, firedCount[0] / rows, sseTotal, variance(input, rows), 0,
                minPositive, -1);
    }

    @Override
    public long[] fireCounts() {
        checkOpen();
        long[] out = new long[dSae];
        fires.get(out);
        return out;
    }

    @Override
    public void resetFireCounts() {
        checkOpen();
        fires.fill(0);
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
        tokensSinceFired.get(out);
        return out;
    }

    @Override
    public void setTokensSinceFired(long[] counters) {
        checkOpen();
        DeviceSae.checkCounters(counters, dSae);
        tokensSinceFired.put(counters);
        deadMaskTokens = -1;
    }

    @Override
    public ConformanceProbe conformanceProbe() {
        return new ConformanceProbe() {
            @Override
            public void poison() {
                checkOpen();
                gradientTensors().fill(Float.NaN);
                try (PointerScope scope = new PointerScope()) {
                    xcT.fill_(new Scalar(Float.NaN));
                    preT.fill_(new Scalar(Float.NaN));
                }
                for (Codes c : new Codes[] {main, aux}) {
                    for (FloatPointer p : new FloatPointer[] {c.keptPre, c.val}) {
                        p.fill(0xFF);
                    }
                }
                for (FloatPointer p : new FloatPointer[] {err, auxErr, bdecParts, latentScratch, bdecGrad, minPos, decNorm}) {
                    p.fill(0xFF);
                }
                sse.fill(0xFF);
            }

            @Override
            public StepMetrics computeGradients(int rows, StepParameters params) {
                StepMetrics m = forward(stepInput(rows, DType.F32), rows, params);
                if (!m.rejected()) {
                    backward(rows);
                }
                current ^= 1;
                return m;
            }

            @Override
            public List<StateTensor> gradients() {
                checkOpen();
                return List.copyOf(gradientTensors().views);
            }
        };
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this CPU SAE was closed (by its own close() or its backend's)");
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
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
        onClose.run();
    }
}
