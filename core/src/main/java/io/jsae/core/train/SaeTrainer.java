package io.jsae.core.train;

import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.InvalidBatchException;
import io.jsae.core.backend.ParameterCopies;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.eval.EvalMetrics;
import io.jsae.core.io.DType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Trains an SAE on a backend: reads batches from an {@link ActivationSource} straight into the device SAE's
 * own input buffer, takes each step with the parameters of the {@link TrainingPolicy}, and reports each step and
 * round to {@link TrainingListener}s. Before each step it lets the source read the batch after it into the SAE's
 * following input buffer ({@link ActivationSource#readAhead}), so that reading overlaps the step; the rows, and
 * so the results, are the same whether the source reads ahead or not.
 *
 * <p>On first use it initializes from a sample of the source (input scale, b_dec), read at the source's
 * position and then seeked back, so the training stream is the same with or without initialization. The
 * weights are written into the device SAE in chunks: no model-sized copy lands on the heap.
 *
 * <p>Checkpoints: {@link #checkpointTo} saves every N steps and/or minutes into a {@link CheckpointStore};
 * {@link #resume} continues from the newest intact checkpoint with the same weights, optimizer state,
 * counters, policy state, schedule position and data position, so that the resumed run ends bitwise equal to
 * an uninterrupted one (same backend and thread count); {@link #checkpointOnSigterm} writes one when the JVM
 * is asked to terminate (a spot interruption) and lets it exit.
 */
public final class SaeTrainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SaeTrainer.class);

    /** Rows read to initialize b_dec and the input scale. */
    public static final int INIT_SAMPLE_ROWS = 4096;

    private final SaeConfig config;
    private final Backend backend;
    private final TrainingPolicy policy;
    private final Checkpointing checkpointing = new Checkpointing();
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final List<Map<String, Double>> history = new ArrayList<>();
    private final ReentrantLock stepLock = new ReentrantLock();
    private DeviceSae sae;
    private long step;
    private long tokensSeen;
    private long rounds;
    private TrainerState.RoundProgress round;
    private Double lastRoundLoss;
    private volatile boolean stopRequested;
    private volatile boolean training;
    private volatile ActivationSource currentSource;
    /** The batches of the round under way, which may be reading the next into the SAE's following buffer; else null. */
    private BatchReader batches;

    /**
     * @param config  configuration
     * @param backend an open backend (not closed by the trainer)
     */
    public SaeTrainer(SaeConfig config, Backend backend) {
        this.config = Objects.requireNonNull(config, "config");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.policy = new TrainingPolicy(config);
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

    /** @return the training policy (Adam steps, dead latents, batchtopk threshold, input scale) */
    public TrainingPolicy policy() {
        return policy;
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
        return policy.inputScale();
    }

    /** Asks the trainer to stop after the current step; thread-safe. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Interrupts training as SIGTERM does, without the JVM exiting: the step loop stops at the next step
     * boundary, the round stays open (its summary says {@code stopRequested}), and a checkpoint is written when
     * a store is set, so that a resume continues the round where it stopped. For commands that handle SIGINT
     * and SIGTERM themselves; training after this call stops at once. Thread-safe.
     */
    public void interrupt() {
        checkpointing.requestTermination();
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
        if (weights.dIn() != config.dIn() || weights.dSae() != config.dSae()) {
            throw new IllegalArgumentException("weights have dIn=" + weights.dIn() + ", dSae=" + weights.dSae()
                    + " but the config says dIn=" + config.dIn() + ", dSae=" + config.dSae());
        }
        policy.setInputScale(inputScale);
        DeviceSae s = backend.create(config);
        ParameterCopies.write(s.stateTensors(), "", weights);
        sae = s;
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
        double scale = Initialization.inputScale(config, sample);
        policy.setInputScale(scale);
        if (scale != 1.0) {
            for (float[] r : sample) {
                for (int d = 0; d < r.length; d++) {
                    r[d] = (float) (r[d] * scale);
                }
            }
        }
        DeviceSae s = backend.create(config);
        try {
            Initialization.initialize(config, sample, s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        sae = s;
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
        currentSource = source;
        stopRequested = false;
        training = true;
        try {
            return trainRound(source, maxTokens);
        } finally {
            training = false;
            if (checkpointing.terminating()) {
                checkpointForTermination(source);
            }
        }
    }

    private EpochSummary trainRound(ActivationSource source, long maxTokens) {
        if (round == null) {
            round = new TrainerState.RoundProgress(0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        long t0 = System.nanoTime();
        double secondsBefore = round.seconds();
        boolean epochEnded = false;
        // While a step runs, the source may read the next batch into the SAE's following input buffer (readAhead);
        // the next read, with that buffer and count, takes those rows. A read-ahead the loop does not take (a stop,
        // an interrupt, an error) is stopped before the round returns: its buffer is the SAE's, which the caller may
        // fill, evaluate or free next.
        batches = new BatchReader(sae, source);
        try {
            // The budget counts the whole round, including tokens trained before a resume.
            while (round.tokens() < maxTokens && !stopRequested && !checkpointing.terminating()) {
                int want = (int) Math.min(config.batchSize(), maxTokens - round.tokens());
                int rows = batches.read(want);
                if (rows == 0) {
                    epochEnded = true;
                    break;
                }
                long after = round.tokens() + rows;
                if (after < maxTokens && !stopRequested && !checkpointing.terminating()
                        && !BatchReader.epochExhausted(source)) {
                    batches.readAhead((int) Math.min(config.batchSize(), maxTokens - after));
                }
                double lr;
                StepMetrics m;
                stepLock.lock();
                try {
                    lr = config.learningRateAt(step);
                    m = step(rows, batches.inputType(), "step " + step + " (" + tokensSeen
                            + " tokens trained, batch read ending at " + source.position() + ")");
                    round = round.plus(rows, m, secondsBefore + (System.nanoTime() - t0) / 1e9);
                } finally {
                    stepLock.unlock();
                }
                StepReport report = new StepReport(step - 1, tokensSeen, lr, m, config.dSae());
                for (TrainingListener l : listeners) {
                    if (l.onStep(report) == TrainingListener.Action.STOP) {
                        stopRequested = true;
                    }
                }
                if (checkpointing.due(step)) {
                    saveCheckpoint(source);
                }
            }
        } catch (RuntimeException | Error e) {
            BatchReader b = batches;
            batches = null;
            b.cancelReadAhead(e);
            throw e;
        }
        stopReadAhead();
        batches = null;
        if (!epochEnded && BatchReader.epochExhausted(source)) {
            epochEnded = true;
        }
        TrainerState.RoundProgress r = round;
        if (checkpointing.terminating() && !epochEnded) {
            // Interrupted, not finished: the round stays open in the checkpoint and continues after resume.
            return r.summary(rounds, config.dSae(), true);
        }
        if (epochEnded) {
            source.nextEpoch();
        }
        round = null;
        EpochSummary summary = r.summary(rounds++, config.dSae(), stopRequested || checkpointing.terminating());
        if (summary.steps() > 0) {
            lastRoundLoss = summary.meanLoss();
        }
        for (TrainingListener l : listeners) {
            l.onEpoch(summary);
        }
        return summary;
    }

    /** Stops a read-ahead of the training loop that no read will take, so that the SAE's buffers are free. */
    private void stopReadAhead() {
        BatchReader b = batches;
        if (b != null) {
            b.cancelReadAhead();
        }
    }

    /**
     * Saves checkpoints into {@code store} every {@code everySteps} steps and/or every {@code every} of wall
     * time (either may be 0 / null to disable that trigger), checked after each step.
     *
     * @param store      where checkpoints go
     * @param everySteps steps between checkpoints, 0 for none by count
     * @param every      wall time between checkpoints, null for none by time
     * @return this
     */
    public SaeTrainer checkpointTo(CheckpointStore store, long everySteps, Duration every) {
        checkpointing.schedule(store, everySteps, every);
        return this;
    }

    /**
     * Writes a checkpoint now (at a step boundary), with the source's current position.
     *
     * @param source the source being trained on
     * @return the checkpoint written
     */
    public Checkpoint saveCheckpoint(ActivationSource source) {
        CheckpointStore store = checkpointing.store();
        if (store == null) {
            throw new IllegalStateException("no checkpoint store; call checkpointTo first");
        }
        stepLock.lock();
        try {
            DeviceSae s = deviceSae();
            SourcePosition pos = source.position();
            double threshold = policy.threshold();
            TrainerState state = new TrainerState(TrainerState.FORMAT_VERSION, config.dIn(), config.dSae(),
                    config.activation().architecture(), config.activation().k(), config.seed(), step, tokensSeen, rounds,
                    pos.epoch(), pos.row(), policy.adamStep(), policy.inputScale(),
                    Double.isNaN(threshold) ? null : threshold, s.tokensSinceFired(),
                    List.copyOf(history), round, lastRoundLoss, Instant.now().toString());
            Checkpoint c = store.save(s, state);
            checkpointing.written(step);
            return c;
        } finally {
            stepLock.unlock();
        }
    }

    /**
     * Continues from the newest intact checkpoint of {@code store}: weights, Adam state, counters, policy state,
     * step, tokens, rounds, input scale, round history, and the source's position. Checkpoints that fail
     * verification are skipped and reported by the store. Also sets the store for further checkpoints. The
     * checkpoint's tensors stream from disk into the device SAE in chunks.
     *
     * @param store  checkpoints
     * @param source the source to position where the checkpointed run was
     * @return the checkpoint resumed from, or empty if the store holds none (a fresh start)
     * @throws CheckpointException if the checkpoint was made for a different model
     */
    public Optional<Checkpoint> resume(CheckpointStore store, ActivationSource source) {
        checkSource(source);
        if (checkpointing.store() == null) {
            checkpointing.useStore(store);
        }
        Optional<Checkpoint> latest = store.latest();
        if (latest.isEmpty()) {
            return latest;
        }
        Checkpoint c = latest.get();
        TrainerState st = c.state();
        if (st.dIn() != config.dIn() || st.dSae() != config.dSae() || !st.architecture().equals(config.activation().architecture())
                || st.k() != config.activation().k() || st.seed() != config.seed()) {
            throw new CheckpointException("checkpoint " + c.directory() + " is of a different model (d_in " + st.dIn()
                    + ", d_sae " + st.dSae() + ", " + st.architecture() + " k=" + st.k() + ", seed " + st.seed()
                    + ") than this trainer's (d_in " + config.dIn() + ", d_sae " + config.dSae() + ", "
                    + config.activation().architecture() + " k=" + config.activation().k() + ", seed " + config.seed()
                    + "); use another checkpoint directory");
        }
        if (sae == null) {
            sae = backend.create(config);
        }
        CheckpointStore.restore(c, sae);
        policy.setInputScale(st.inputScale());
        policy.restore(st.adamStep(), st.threshold() == null ? Double.NaN : st.threshold(), st.tokensSinceFired());
        step = st.step();
        tokensSeen = st.tokensSeen();
        rounds = st.rounds();
        history.clear();
        history.addAll(st.history());
        lastRoundLoss = st.score();
        round = st.round();
        source.seek(new SourcePosition(st.sourceEpoch(), st.sourceRow()));
        checkpointing.written(step);
        return latest;
    }

    /**
     * Appends a round's metrics to the history saved with checkpoints (e.g. what a TUMIX rule decides on),
     * so a resumed run sees the same history.
     *
     * @param metrics the round's metrics
     */
    public void recordRound(Map<String, Double> metrics) {
        history.add(new LinkedHashMap<>(metrics));
    }

    /** @return the recorded round history, oldest first (restored by {@link #resume}) */
    public List<Map<String, Double>> history() {
        return List.copyOf(history);
    }

    /**
     * On JVM termination (SIGTERM, e.g. a spot interruption notice), stops training at the next step
     * boundary, writes a checkpoint and lets the JVM exit; waits at most {@code maxWait} for the step in
     * progress and the write. Needs a store ({@link #checkpointTo} or {@link #resume}). The hook is registered
     * once, however often this is called, and removed by {@link #close()}.
     *
     * @param maxWait bound on the wait in the shutdown hook
     * @return this
     */
    public SaeTrainer checkpointOnSigterm(Duration maxWait) {
        checkpointing.onSigterm(new Checkpointing.Target() {
            @Override
            public boolean training() {
                return training;
            }

            @Override
            public void checkpointNow() {
                ActivationSource src = currentSource;
                if (src != null) {
                    checkpointForTermination(src);
                } else {
                    checkpointing.terminationDone();
                }
            }
        }, maxWait);
        return this;
    }

    /** @return whether this trainer's SIGTERM hook is registered (tests) */
    boolean sigtermHookRegistered() {
        return checkpointing.hookRegistered();
    }

    private void checkpointForTermination(ActivationSource source) {
        if (!checkpointing.terminationPending()) {
            return;
        }
        try {
            if (checkpointing.store() != null && sae != null && !checkpointing.writtenAt(step)) {
                Checkpoint c = saveCheckpoint(source);
                LOG.info("checkpoint on termination: {}", c.directory());
            }
        } finally {
            checkpointing.terminationDone();
        }
    }

    /**
     * Trains one step on explicit rows (checked for width first, for finiteness by the step).
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
        stopReadAhead(); // called from a listener's onStep: the following buffer may be being read into
        FloatBuffer batch = sae.inputBuffer();
        for (float[] r : rows) {
            batch.put(r);
        }
        return step(rows.length, DType.F32, "step " + step);
    }

    /**
     * One step on the rows in the input buffer with the policy's parameters; counts it unless the batch was
     * rejected (then throws, naming {@code where}).
     */
    private StepMetrics step(int rows, DType inputType, String where) {
        StepMetrics m = sae.trainStep(rows, inputType, policy.next(step));
        policy.after(m, where);
        step++;
        tokensSeen += rows;
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
        stopReadAhead(); // called from a listener's onStep: the following buffer may be being read into
        return Evaluation.run(sae, policy, source, maxTokens);
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

    /**
     * The current model, copied from the device onto the heap (export, inference in Java). At d_in 4096 and
     * d_sae 65536 that is 2 GiB of weights: give the JVM the heap for it, or save checkpoints instead.
     *
     * @return the model
     */
    public SparseAutoencoder model() {
        ParameterTensors w = ParameterCopies.read(deviceSae().stateTensors(), "", config.dIn(), config.dSae());
        return new SparseAutoencoder(config, w, null, policy.threshold(), policy.inputScale());
    }

    /** Releases the device SAE (not the backend) and removes the SIGTERM hook. */
    @Override
    public void close() {
        checkpointing.removeHook();
        if (sae != null) {
            try {
                stopReadAhead();
            } finally {
                sae.close();
                sae = null;
            }
        }
    }
}
