package io.jsae.core.train;

import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.InvalidBatchException;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.eval.EvalMetrics;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Trains an SAE on a backend: reads batches from an {@link ActivationSource} into one reused off-heap
 * buffer, steps the device SAE, and reports each step and round to {@link TrainingListener}s.
 *
 * <p>On first use it initializes from a sample of the source (input scale, b_dec), read at the source's
 * position and then seeked back, so the training stream is the same with or without initialization.
 * The learning rate follows {@link SaeConfig#learningRateAt(long)} over the global step count.
 */
public final class SaeTrainer implements AutoCloseable {
    /** Rows read to initialize b_dec and the input scale. */
    public static final int INIT_SAMPLE_ROWS = 4096;

    private final SaeConfig config;
    private final Backend backend;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final FloatBuffer batch;
    private DeviceSae sae;
    private double inputScale = 1.0;
    private long step;
    private long tokensSeen;
    private long rounds;
    private volatile boolean stopRequested;

    /**
     * @param config  configuration
     * @param backend an available backend (not closed by the trainer)
     */
    public SaeTrainer(SaeConfig config, Backend backend) {
        this.config = Objects.requireNonNull(config, "config");
        this.backend = Objects.requireNonNull(backend, "backend");
        if (!backend.isAvailable()) {
            throw new IllegalStateException("backend " + backend.name() + " is unavailable: " + backend.unavailableReason());
        }
        this.batch = ByteBuffer.allocateDirect(config.batchSize() * config.dIn() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * @param listener listener to add
     * @return this
     */
    public SaeTrainer addListener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** @return the configuration */
    public SaeConfig config() {
        return config;
    }

    /** @return steps taken */
    public long step() {
        return step;
    }

    /** @return tokens trained on */
    public long tokensSeen() {
        return tokensSeen;
    }

    /** @return input normalization factor (1 when off or before initialization) */
    public double inputScale() {
        return inputScale;
    }

    /** Asks the trainer to stop after the current step; thread-safe. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Initializes from explicit weights instead of a sample (e.g. to continue from a loaded model).
     *
     * @param weights    starting weights
     * @param inputScale input normalization factor of those weights
     */
    public void initialize(ParameterTensors weights, double inputScale) {
        if (sae != null) {
            throw new IllegalStateException("the trainer is already initialized");
        }
        this.inputScale = inputScale;
        this.sae = backend.load(config, weights);
    }

    private void ensureInitialized(ActivationSource source) {
        if (sae != null) {
            return;
        }
        SourcePosition start = source.position();
        FloatBuffer buf = ByteBuffer.allocateDirect(INIT_SAMPLE_ROWS * config.dIn() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        int rows = 0;
        while (rows < INIT_SAMPLE_ROWS) {
            int n = source.read(buf, INIT_SAMPLE_ROWS - rows);
            if (n == 0) {
                break;
            }
            rows += n;
        }
        source.seek(start);
        if (rows == 0) {
            throw new IllegalArgumentException("the activation source yielded no rows at " + start
                    + "; cannot initialize the SAE");
        }
        float[][] sample = new float[rows][config.dIn()];
        buf.flip();
        for (int r = 0; r < rows; r++) {
            buf.get(sample[r]);
            for (float v : sample[r]) {
                if (!Float.isFinite(v)) {
                    throw new InvalidBatchException("initialization sample row " + r + " (from " + start
                            + ") holds " + v + "; clean the data or let the source skip non-finite rows");
                }
            }
        }
        inputScale = Initialization.inputScale(config, sample);
        if (inputScale != 1.0) {
            for (float[] r : sample) {
                for (int d = 0; d < r.length; d++) {
                    r[d] = (float) (r[d] * inputScale);
                }
            }
        }
        sae = backend.load(config, Initialization.weights(config, sample));
    }

    private void checkSource(ActivationSource source) {
        if (source.dIn() != config.dIn()) {
            throw new IllegalArgumentException("the activation source has rows of width " + source.dIn()
                    + " but the SAE has dIn=" + config.dIn());
        }
    }

    /**
     * Trains from the source's position to the end of its current epoch, then moves it to the next epoch.
     *
     * @param source a bounded source
     * @return the round's summary
     */
    public EpochSummary trainEpoch(ActivationSource source) {
        if (source.rowsPerEpoch() < 0) {
            throw new IllegalArgumentException("the source is unbounded; use train(source, tokens) with a token budget");
        }
        return train(source, Long.MAX_VALUE);
    }

    /**
     * Trains on at most {@code maxTokens} tokens or to the end of the source's epoch, whichever comes first
     * (the source moves to its next epoch when its epoch ends), or until a listener asks to stop.
     *
     * @param source    activations
     * @param maxTokens token budget of this round
     * @return the round's summary
     */
    public EpochSummary train(ActivationSource source, long maxTokens) {
        checkSource(source);
        ensureInitialized(source);
        stopRequested = false;
        long t0 = System.nanoTime();
        long steps = 0;
        long tokens = 0;
        double lossSum = 0;
        double mseSum = 0;
        double l0Sum = 0;
        double sse = 0;
        double variance = 0;
        long dead = 0;
        boolean epochEnded = false;
        while (tokens < maxTokens && !stopRequested) {
            int want = (int) Math.min(config.batchSize(), maxTokens - tokens);
            batch.clear();
            int rows = source.read(batch, want);
            if (rows == 0) {
                epochEnded = true;
                break;
            }
            batch.flip();
            scale(rows);
            double lr = config.learningRateAt(step);
            StepMetrics m;
            try {
                m = sae.trainStep(batch, rows, lr);
            } catch (InvalidBatchException e) {
                throw new InvalidBatchException("step " + step + " (" + tokensSeen + " tokens trained, batch read ending at "
                        + source.position() + "): " + e.getMessage());
            }
            step++;
            tokensSeen += rows;
            steps++;
            tokens += rows;
            lossSum += m.loss() * rows;
            mseSum += m.mse() * rows;
            l0Sum += m.l0() * rows;
            sse += m.sse();
            variance += m.totalVariance();
            dead = m.deadLatents();
            StepReport report = new StepReport(step - 1, tokensSeen, lr, m, config.dSae());
            for (TrainingListener l : listeners) {
                if (l.onStep(report) == TrainingListener.Action.STOP) {
                    stopRequested = true;
                }
            }
        }
        if (!epochEnded && source.rowsPerEpoch() >= 0 && source.position().row() >= source.rowsPerEpoch()) {
            epochEnded = true;
        }
        if (epochEnded) {
            source.nextEpoch();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double n = Math.max(1, tokens);
        EpochSummary summary = new EpochSummary(rounds++, steps, tokens, lossSum / n, mseSum / n, l0Sum / n,
                variance > 0 ? 1 - sse / variance : Double.NaN, dead / (double) config.dSae(), seconds, stopRequested);
        for (TrainingListener l : listeners) {
            l.onEpoch(summary);
        }
        return summary;
    }

    /** Applies the input scale to the batch in place (the buffer is the trainer's own). */
    private void scale(int rows) {
        if (inputScale == 1.0) {
            return;
        }
        float s = (float) inputScale;
        int n = rows * config.dIn();
        for (int i = 0; i < n; i++) {
            batch.put(i, batch.get(i) * s);
        }
    }

    /**
     * Trains one step on explicit rows (checked for width and finiteness first).
     *
     * @param rows rows of width dIn, at most batchSize
     * @return the step's metrics
     */
    public StepMetrics trainBatch(float[][] rows) {
        if (sae == null) {
            throw new IllegalStateException("the trainer is not initialized; train on a source first or call initialize");
        }
        if (rows.length < 1 || rows.length > config.batchSize()) {
            throw new InvalidBatchException("step " + step + ": batch of " + rows.length + " rows, expected 1.."
                    + config.batchSize());
        }
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] == null || rows[r].length != config.dIn()) {
                throw new InvalidBatchException("step " + step + ": row " + r + " has width "
                        + (rows[r] == null ? "null" : rows[r].length) + ", the SAE has dIn=" + config.dIn());
            }
        }
        batch.clear();
        for (float[] r : rows) {
            batch.put(r);
        }
        batch.flip();
        scale(rows.length);
        double lr = config.learningRateAt(step);
        StepMetrics m;
        try {
            m = sae.trainStep(batch, rows.length, lr);
        } catch (InvalidBatchException e) {
            throw new InvalidBatchException("step " + step + ": " + e.getMessage());
        }
        step++;
        tokensSeen += rows.length;
        return m;
    }

    /**
     * Evaluates the current model on up to {@code maxTokens} tokens read from the source's position (the
     * source is left where the reading stopped).
     *
     * @param source    evaluation activations
     * @param maxTokens most tokens to read
     * @return the metrics
     */
    public EvalMetrics evaluate(ActivationSource source, long maxTokens) {
        checkSource(source);
        ensureInitialized(source);
        sae.resetFireCounts();
        long tokens = 0;
        double sse = 0;
        double variance = 0;
        double active = 0;
        while (tokens < maxTokens) {
            batch.clear();
            int rows = source.read(batch, (int) Math.min(config.batchSize(), maxTokens - tokens));
            if (rows == 0) {
                break;
            }
            batch.flip();
            scale(rows);
            StepMetrics m = sae.evaluate(batch, rows);
            tokens += rows;
            sse += m.sse();
            variance += m.totalVariance();
            active += m.l0() * rows;
        }
        return EvalMetrics.of(tokens, sse, variance, active, sae.fireCounts());
    }

    /**
     * Evaluates on the whole remaining epoch of a bounded source.
     *
     * @param source evaluation activations
     * @return the metrics
     */
    public EvalMetrics evaluate(ActivationSource source) {
        return evaluate(source, Long.MAX_VALUE);
    }

    /** @return the device SAE (after initialization), for checkpoints and tests */
    public DeviceSae deviceSae() {
        if (sae == null) {
            throw new IllegalStateException("the trainer is not initialized yet");
        }
        return sae;
    }

    /** @return the current model, copied from the device */
    public SparseAutoencoder model() {
        DeviceSae s = deviceSae();
        var state = s.state();
        return new SparseAutoencoder(config, state.weights(), null, state.threshold(), inputScale);
    }

    /** Releases the device SAE (not the backend). */
    @Override
    public void close() {
        if (sae != null) {
            sae.close();
            sae = null;
        }
    }
}
