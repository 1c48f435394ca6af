package io.jsae.core.backend.cpu;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.InvalidBatchException;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.TrainingState;
import io.jsae.core.reference.ReferenceSae;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.jsae.core.backend.cpu.CpuKernels.*;

/**
 * An SAE on the CPU: parameters, gradients and Adam moments are libtorch tensors; the encoder GEMM is
 * libtorch's; everything sparse (selection, decode, backward scatter, fused Adam) runs in the native kernels
 * of {@code jsae_cpu.h}, in O(B·k·dIn), never materializing a dense {@code [B, dSae]} code.
 *
 * <p>One step: center the batch (and reject NaN/Inf) → {@code pre = xc·W_encᵀ + b_enc} (GEMM, split by rows)
 * → select (CSR codes) → decode and error → AuxK decode on dead latents → one backward pass per latent that
 * reads its decoder and encoder rows once and writes its gradient rows once → b_dec gradient → fused Adam
 * with decoder projection and renormalization → dead-latent counters.
 */
final class CpuSae implements DeviceSae {
    private static final float SIGN_PLUS = 1f;
    private static final float SIGN_MINUS = -1f;

    private final SaeConfig config;
    private final RangeExecutor exec;
    private final int dIn;
    private final int dSae;
    private final int maxRows;
    private final List<Pointer> owned = new ArrayList<>();

    // Parameters, gradients, Adam moments: libtorch tensors, with cached data pointers.
    private final TensorSet params, grads, adamM, adamV;
    private final Tensor wEncT, bEncT;
    private final FloatPointer wEnc, bEnc, wDec, bDec;
    private final FloatPointer gWEnc, gBEnc, gWDec, gBDec;
    private final Tensor xcT, preT;
    private final FloatPointer xc, pre;

    // Per-batch scratch.
    private final Codes main;
    private final Codes aux;
    private final FloatPointer err, auxErr, bdecParts, minPos, decNorm;
    private final DoublePointer sse;
    private final IntPointer fired, gt, eq, ties;
    private final LongPointer hist;
    private final LongPointer tokensSinceFired, fires;
    private final BytePointer dead;

    private long adamStep;
    private long deadCount;
    private double threshold = Double.NaN;
    private int lastRows;
    private boolean gradientsPending;
    private boolean closed;

    CpuSae(SaeConfig config, ParameterTensors weights, RangeExecutor exec) {
        this.config = config;
        this.exec = exec;
        this.dIn = config.dIn();
        this.dSae = config.dSae();
        this.maxRows = config.batchSize();
        if (config.activation() instanceof Activation.JumpRelu) {
            throw new IllegalArgumentException("activation jumprelu cannot be trained; load it with SparseAutoencoder");
        }
        params = new TensorSet();
        grads = new TensorSet();
        adamM = new TensorSet();
        adamV = new TensorSet();
        wEncT = params.tensors[0];
        bEncT = params.tensors[1];
        wEnc = params.data[0];
        bEnc = params.data[1];
        wDec = params.data[2];
        bDec = params.data[3];
        gWEnc = grads.data[0];
        gBEnc = grads.data[1];
        gWDec = grads.data[2];
        gBDec = grads.data[3];
        xcT = tensor(maxRows, dIn);
        preT = tensor(maxRows, dSae);
        xc = xcT.data_ptr_float();
        pre = preT.data_ptr_float();

        int k = config.activation().k();
        long mainCap = config.activation() instanceof Activation.Relu ? Math.min((long) maxRows * dSae, Integer.MAX_VALUE)
                : (long) maxRows * k;
        main = new Codes(mainCap);
        aux = new Codes(config.usesAuxK() ? (long) maxRows * config.kAux() : 1);
        err = own(new FloatPointer((long) maxRows * dIn));
        auxErr = own(new FloatPointer(config.usesAuxK() ? (long) maxRows * dIn : 1));
        bdecParts = own(new FloatPointer((long) exec.threads() * dIn));
        minPos = own(new FloatPointer(maxRows));
        decNorm = own(new FloatPointer(dSae));
        sse = own(new DoublePointer(maxRows));
        fired = own(new IntPointer(maxRows));
        gt = own(new IntPointer(maxRows));
        eq = own(new IntPointer(maxRows));
        ties = own(new IntPointer(maxRows));
        hist = own(new LongPointer(65536L * exec.threads()));
        tokensSinceFired = own(new LongPointer(dSae));
        fires = own(new LongPointer(dSae));
        dead = own(new BytePointer(dSae));
        if (k > 0 && config.activation() instanceof Activation.TopK) {
            for (int b = 0; b <= maxRows; b++) {
                main.rowStart.put(b, b * k);
            }
        }
        setState(TrainingState.fresh(weights));
        resetFireCounts();
    }

    /** CSR codes of one batch and their per-latent grouping. */
    private final class Codes {
        final IntPointer rowStart = own(new IntPointer(maxRows + 1L));
        IntPointer idx, entryRow, latEntry;
        FloatPointer keptPre, val;
        final IntPointer latStart = own(new IntPointer(dSae + 1L));
        long capacity;

        Codes(long capacity) {
            allocate(capacity);
        }

        void allocate(long cap) {
            for (Pointer old : new Pointer[] {idx, entryRow, latEntry, keptPre, val}) {
                if (old != null) {
                    owned.remove(old);
                    old.close();
                }
            }
            capacity = Math.max(1, cap);
            idx = own(new IntPointer(capacity));
            entryRow = own(new IntPointer(capacity));
            latEntry = own(new IntPointer(capacity));
            keptPre = own(new FloatPointer(capacity));
            val = own(new FloatPointer(capacity));
        }

        void ensure(long entries) {
            if (entries > capacity) {
                allocate(Math.max(entries, capacity * 3 / 2));
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
     * encoder rows [dSae, dIn], b_enc [dSae], decoder rows [dSae, dIn], b_dec [dIn], with their data pointers.
     */
    private final class TensorSet {
        final Tensor[] tensors = new Tensor[4];
        final FloatPointer[] data = new FloatPointer[4];
        final long[] sizes = {(long) dSae * dIn, dSae, (long) dSae * dIn, dIn};

        TensorSet() {
            long[][] shapes = {{dSae, dIn}, {dSae}, {dSae, dIn}, {dIn}};
            for (int i = 0; i < 4; i++) {
                tensors[i] = tensor(shapes[i]);
                data[i] = tensors[i].data_ptr_float();
            }
        }

        ParameterTensors read() {
            ParameterTensors t = ParameterTensors.zeros(dIn, dSae);
            float[][] arrays = {t.wEnc(), t.bEnc(), t.wDec(), t.bDec()};
            for (int i = 0; i < 4; i++) {
                data[i].get(arrays[i]);
            }
            return t;
        }

        void write(String name, ParameterTensors t) {
            if (t.dIn() != dIn || t.dSae() != dSae) {
                throw new IllegalArgumentException(name + " has shape dIn=" + t.dIn() + ", dSae=" + t.dSae()
                        + "; the model has dIn=" + dIn + ", dSae=" + dSae);
            }
            float[][] arrays = {t.wEnc(), t.bEnc(), t.wDec(), t.bDec()};
            for (int i = 0; i < 4; i++) {
                data[i].put(arrays[i]);
            }
        }

        void zero() {
            try (PointerScope scope = new PointerScope()) {
                for (Tensor t : tensors) {
                    t.zero_();
                }
            }
        }

        FloatBuffer view(int i) {
            return new FloatPointer(data[i]).capacity(sizes[i]).asBuffer();
        }
    }

    private Tensor tensor(long... shape) {
        Tensor t = torch.zeros(shape);
        owned.add(t);
        return t;
    }

    private <P extends Pointer> P own(P p) {
        owned.add(p);
        return p;
    }

    @Override
    public SaeConfig config() {
        return config;
    }

    @Override
    public int maxRows() {
        return maxRows;
    }

    private FloatPointer input(FloatBuffer x, int rows) {
        checkOpen();
        if (rows < 1 || rows > maxRows) {
            throw new InvalidBatchException("batch of " + rows + " rows; this SAE takes 1.." + maxRows
                    + " rows per call (the configured batchSize)");
        }
        if (x == null || !x.isDirect()) {
            throw new InvalidBatchException("batch buffer must be a direct FloatBuffer");
        }
        long need = (long) rows * dIn;
        if (x.remaining() < need) {
            throw new InvalidBatchException("batch buffer holds " + x.remaining() + " floats from its position, "
                    + rows + " rows of width dIn=" + dIn + " need " + need);
        }
        return new FloatPointer(x);
    }

    /** Centers, rejects non-finite rows, runs the encoder GEMM and selects the codes of the batch. */
    private void encodeBatch(FloatPointer x, int rows, boolean useThreshold) {
        AtomicLong bad = new AtomicLong(Long.MAX_VALUE);
        exec.forRange(rows, (lo, hi) -> {
            long r = jsae_center(x, bDec, xc, dIn, lo, hi);
            if (r >= 0) {
                bad.accumulateAndGet(r, Math::min);
            }
        });
        long firstBad = bad.get();
        if (firstBad != Long.MAX_VALUE) {
            throw new InvalidBatchException("row " + firstBad + " of the batch holds NaN or Inf; the batch was rejected "
                    + "and the model left unchanged (check the activation source, or let it skip non-finite rows)");
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
            if (useThreshold && !Double.isNaN(threshold)) {
                selectAbove(rows, key((float) threshold));
            } else {
                long keep = Math.min((long) batchTopK.k() * rows, (long) rows * dSae);
                selectTop(rows, keep);
            }
        } else {
            selectAbove(rows, key(0f));
        }
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

    @Override
    public StepMetrics computeGradients(FloatBuffer xBuffer, int rows) {
        FloatPointer x = input(xBuffer, rows);
        encodeBatch(x, rows, false);
        double[] firedCount = new double[1];
        double[] minKept = new double[1];
        double sseTotal = decodeMain(x, rows, firedCount, minKept);
        double mse = sseTotal / rows;
        float coef = (float) (2.0 / rows);

        double l1Coef = config.activation() instanceof Activation.Relu relu ? relu.l1Coefficient() : 0;
        float l1 = (float) (l1Coef / rows);
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
        float auxCoef = 0;
        if (config.usesAuxK() && deadCount > 0 && mse > 0) {
            int kAux = (int) Math.min(config.kAux(), deadCount);
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
            double scale = Math.min(deadCount / (double) config.kAux(), 1.0);
            double auxWeight = config.auxCoefficient() * scale / mse;
            auxLoss = auxWeight * auxSse / rows;
            auxCoef = (float) (auxWeight * 2.0 / rows);
            aux.groupByLatent(rows);
        }
        main.groupByLatent(rows);
        backward(rows, coef, l1, auxCoef);

        lastRows = rows;
        lastMinKept = minKept[0];
        gradientsPending = true;
        double variance = variance(x, rows);
        return new StepMetrics(rows, mse + auxLoss + l1Loss, mse, auxLoss, l1Loss, firedCount[0] / rows, sseTotal,
                variance, deadCount);
    }

    private double lastMinKept;

    /**
     * Gradients of the step: per part of the latents, the main codes' backward (overwriting the gradient
     * rows) then the AuxK codes' (adding); then b_dec from the error column sums and the parts' encoder terms.
     */
    private void backward(int rows, float coef, float l1, float auxCoef) {
        int parts = exec.threads();
        exec.forRange(parts, (lo, hi) -> {
            for (long p = lo; p < hi; p++) {
                long j0 = dSae * p / parts;
                long j1 = dSae * (p + 1) / parts;
                FloatPointer part = bdecParts.getPointer(FloatPointer.class, p * dIn);
                for (int d = 0; d < dIn; d++) {
                    part.put(d, 0f);
                }
                jsae_backward_latents(main.latStart, main.latEntry, main.entryRow, main.keptPre, main.val, err, coef,
                        l1, decNorm, xc, wDec, wEnc, gWDec, gWEnc, gBEnc, part, 1, dIn, j0, j1);
                if (auxCoef != 0) {
                    jsae_backward_latents(aux.latStart, aux.latEntry, aux.entryRow, aux.keptPre, aux.val, auxErr,
                            auxCoef, 0f, null, xc, wDec, wEnc, gWDec, gWEnc, gBEnc, part, 0, dIn, j0, j1);
                }
            }
        });
        exec.forRange(dIn, (lo, hi) -> jsae_bdec_grad(err, coef, rows, bdecParts, parts, dIn, gBDec, lo, hi));
    }

    @Override
    public void applyOptimizerStep(double learningRate) {
        checkOpen();
        if (!gradientsPending) {
            throw new IllegalStateException("applyOptimizerStep needs a computeGradients call before it");
        }
        if (!(learningRate >= 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be finite and >= 0, was " + learningRate);
        }
        adamStep++;
        float b1 = (float) config.adamBeta1();
        float b2 = (float) config.adamBeta2();
        float c1 = (float) (1 - config.adamBeta1());
        float c2 = (float) (1 - config.adamBeta2());
        float stepSize = (float) (learningRate / (1 - Math.pow(config.adamBeta1(), adamStep)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(config.adamBeta2(), adamStep));
        float eps = (float) config.adamEps();
        long sd = (long) dSae * dIn;
        exec.forRange(sd, (lo, hi) -> jsae_adam(wEnc, gWEnc, adamM.data[0], adamV.data[0], b1, c1, b2, c2, stepSize, bc2Sqrt, eps, lo, hi));
        jsae_adam(bEnc, gBEnc, adamM.data[1], adamV.data[1], b1, c1, b2, c2, stepSize, bc2Sqrt, eps, 0, dSae);
        jsae_adam(bDec, gBDec, adamM.data[3], adamV.data[3], b1, c1, b2, c2, stepSize, bc2Sqrt, eps, 0, dIn);
        exec.forRange(dSae, (lo, hi) -> jsae_adam_decoder_rows(wDec, gWDec, adamM.data[2], adamV.data[2], dIn, b1, c1, b2, c2,
                stepSize, bc2Sqrt, eps, lo, hi));
        gradientsPending = false;

        int rows = lastRows;
        AtomicLong deadTotal = new AtomicLong();
        exec.forRange(dSae, (lo, hi) -> deadTotal.addAndGet(jsae_update_counters(main.latStart, main.latEntry,
                main.val, tokensSinceFired, rows, config.deadTokens(), dead, lo, hi)));
        deadCount = deadTotal.get();
        if (config.activation() instanceof Activation.BatchTopK && lastMinKept < Float.MAX_VALUE) {
            threshold = Double.isNaN(threshold) ? lastMinKept
                    : threshold + ReferenceSae.THRESHOLD_EMA_RATE * (lastMinKept - threshold);
        }
    }

    @Override
    public StepMetrics evaluate(FloatBuffer xBuffer, int rows) {
        FloatPointer x = input(xBuffer, rows);
        encodeBatch(x, rows, true);
        double[] firedCount = new double[1];
        double[] minKept = new double[1];
        double sseTotal = decodeMain(x, rows, firedCount, minKept);
        main.groupByLatent(rows);
        exec.forRange(dSae, (lo, hi) -> jsae_count_fires(main.latStart, main.latEntry, main.val, fires, lo, hi));
        double mse = sseTotal / rows;
        return new StepMetrics(rows, mse, mse, 0, 0, firedCount[0] / rows, sseTotal, variance(x, rows), 0);
    }

    @Override
    public long[] fireCounts() {
        long[] out = new long[dSae];
        fires.get(out);
        return out;
    }

    @Override
    public void resetFireCounts() {
        for (int j = 0; j < dSae; j++) {
            fires.put(j, 0);
        }
    }

    @Override
    public ParameterTensors weights() {
        checkOpen();
        return params.read();
    }

    @Override
    public ParameterTensors gradients() {
        checkOpen();
        return grads.read();
    }

    @Override
    public Map<String, FloatBuffer> stateTensors() {
        checkOpen();
        Map<String, FloatBuffer> out = new LinkedHashMap<>();
        TensorSet[] sets = {params, adamM, adamV};
        for (int i = 0; i < STATE_TENSORS.size(); i++) {
            out.put(STATE_TENSORS.get(i), sets[i / 4].view(i % 4));
        }
        return out;
    }

    @Override
    public long adamStep() {
        return adamStep;
    }

    @Override
    public long[] tokensSinceFired() {
        checkOpen();
        long[] out = new long[dSae];
        tokensSinceFired.get(out);
        return out;
    }

    @Override
    public double threshold() {
        return threshold;
    }

    @Override
    public void setCounters(long adamStep, long[] counters, double threshold) {
        checkOpen();
        if (adamStep < 0) {
            throw new IllegalArgumentException("adamStep must be >= 0, was " + adamStep);
        }
        if (counters.length != dSae) {
            throw new IllegalArgumentException("tokensSinceFired has " + counters.length
                    + " counters, the model has dSae=" + dSae);
        }
        this.adamStep = adamStep;
        tokensSinceFired.put(counters);
        long d = 0;
        for (int j = 0; j < dSae; j++) {
            boolean isDead = counters[j] >= config.deadTokens();
            dead.put(j, (byte) (isDead ? 1 : 0));
            d += isDead ? 1 : 0;
        }
        deadCount = d;
        this.threshold = threshold;
        gradientsPending = false;
    }

    @Override
    public TrainingState state() {
        checkOpen();
        return new TrainingState(params.read(), adamM.read(), adamV.read(), adamStep, tokensSinceFired(), threshold);
    }

    @Override
    public void setState(TrainingState state) {
        checkOpen();
        params.write("weights", state.weights());
        adamM.write("adamM", state.adamM());
        adamV.write("adamV", state.adamV());
        setCounters(state.adamStep(), state.tokensSinceFired(), state.threshold());
        grads.zero();
    }

    /** Test hook: fills every scratch buffer and gradient with NaN so that an unwritten element shows. */
    void poisonForTest() {
        try (PointerScope scope = new PointerScope()) {
            for (Tensor t : new Tensor[] {grads.tensors[0], grads.tensors[1], grads.tensors[2], grads.tensors[3], xcT, preT}) {
                t.fill_(new org.bytedeco.pytorch.Scalar(Float.NaN));
            }
        }
        for (Codes c : new Codes[] {main, aux}) {
            for (FloatPointer p : new FloatPointer[] {c.keptPre, c.val}) {
                p.fill(0xFF);
            }
        }
        for (FloatPointer p : new FloatPointer[] {err, auxErr, bdecParts}) {
            p.fill(0xFF);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this CPU SAE was closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }
}
