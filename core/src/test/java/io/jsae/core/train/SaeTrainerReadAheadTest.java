package io.jsae.core.train;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestBackends;
import io.jsae.core.TestData;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.eval.EvalMetrics;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trainer and the evaluation let the source read the next batch into the SAE's following input buffer while a
 * step runs ({@link ActivationSource#readAhead}): each read-ahead names the buffer and row count of the read after
 * it, a read-ahead no read takes is stopped before the trainer returns, and the results are bitwise those of a
 * source that reads nothing ahead.
 */
class SaeTrainerReadAheadTest {
    private static final int D_IN = 32;
    private static final long ROWS_PER_EPOCH = 5_000; // 19 batches of 256 and one of 136
    private static final long SEED = 11;

    private static SaeConfig config() {
        return SaeConfig.builder(D_IN, 128).activation(Activation.batchTopK(4)).batchSize(256).learningRate(3e-3)
                .deadTokens(2_000).seed(5).build();
    }

    private static SyntheticActivations synthetic() {
        return new SyntheticActivations(D_IN, 64, 3, 0.01, ROWS_PER_EPOCH, SEED);
    }

    @Test
    void eachReadAheadNamesTheFollowingBufferAndTheCountOfTheReadAfterIt() {
        try (RecordingSource source = new RecordingSource(true);
             SaeTrainer trainer = new SaeTrainer(config(), TestBackends.cpu())) {
            trainer.trainEpoch(source);
            trainer.train(source, 1_000); // a budget round: 3 batches of 256, then 232 rows
            trainer.trainEpoch(source);
            trainer.evaluate(source, 2_000);
            List<Event> events = source.events();
            int readAheads = 0;
            long lastRead = -1;
            for (int i = 0; i < events.size(); i++) {
                Event e = events.get(i);
                if (e.kind() == Kind.READ) {
                    lastRead = e.address();
                }
                if (e.kind() != Kind.READ_AHEAD) {
                    continue;
                }
                readAheads++;
                assertNotEquals(lastRead, e.address(), "event " + i + ": read ahead into the buffer of the batch in use");
                Event next = events.get(i + 1);
                assertEquals(Kind.READ, next.kind(), "event " + i + ": a read-ahead is followed by its read");
                assertEquals(e.address(), next.address(), "event " + i + ": the read-ahead's buffer is the next read's");
                assertEquals(e.maxRows(), next.maxRows(), "event " + i + ": the read-ahead's count is the next read's");
            }
            // Per epoch, every batch but the first has been read ahead (none at the epoch's end); the budget round
            // reads ahead its 2nd, 3rd and 4th batch (the last one 232 rows), the evaluation its 2nd to 8th.
            assertEquals(19 + 3 + (19 - 4) + 7, readAheads, "read-aheads");
            assertTrue(events.stream().anyMatch(e -> e.kind() == Kind.READ_AHEAD && e.maxRows() == 232),
                    "the budget round's last batch is read ahead with the rows the budget leaves");
            assertEquals(readAheads, source.taken(), "every read-ahead was taken by its read");
            assertEquals(0, source.stopped(), "no read-ahead was stopped");
        }
    }

    @Test
    void trainingAndEvaluationAreBitwiseTheSameWithAndWithoutReadingAhead() {
        Run plain = run(synthetic());
        Run ignoring = run(new RecordingSource(false));
        Run honouring = run(new RecordingSource(true));
        for (Run r : List.of(ignoring, honouring)) {
            assertTrue(plain.weights().bitwiseEquals(r.weights()), "weights");
            assertTrue(TestData.bitwiseEqual(plain.state(), r.state()), "state, Adam moments and counters");
            assertEquals(plain.losses(), r.losses(), "round losses");
            assertEquals(plain.position(), r.position(), "source position");
            for (int i = 0; i < plain.evals().size(); i++) {
                assertSameEval(plain.evals().get(i), r.evals().get(i));
            }
        }
    }

    /**
     * Two epochs and a budget round, with an evaluation on another source from a listener mid-round (while the
     * next batch is being read ahead) and one on the training source at the end.
     */
    private static Run run(ActivationSource source) {
        try (source; SaeTrainer trainer = new SaeTrainer(config(), TestBackends.cpu());
             SyntheticActivations other = new SyntheticActivations(D_IN, 64, 3, 0.01, 2_000, 99)) {
            List<EvalMetrics> evals = new ArrayList<>();
            trainer.addListener(new TrainingListener() {
                @Override
                public Action onStep(StepReport r) {
                    if (r.step() == 2 || r.step() == 30) {
                        other.seek(new SourcePosition(0, 0));
                        evals.add(trainer.evaluate(other, 600));
                    }
                    return Action.CONTINUE;
                }
            });
            List<Double> losses = new ArrayList<>();
            losses.add(trainer.trainEpoch(source).meanLoss());
            losses.add(trainer.train(source, 1_000).meanLoss());
            losses.add(trainer.trainEpoch(source).meanLoss());
            evals.add(trainer.evaluate(source, 2_000));
            if (source instanceof RecordingSource s) {
                assertNull(s.pending, "no read-ahead is left under way");
            }
            return new Run(trainer.model().weights(), TestData.state(trainer.deviceSae()), losses, evals,
                    source.position());
        }
    }

    private record Run(ParameterTensors weights, Map<String, float[]> state, List<Double> losses,
                       List<EvalMetrics> evals, SourcePosition position) {
    }

    private static void assertSameEval(EvalMetrics a, EvalMetrics b) {
        assertEquals(a.tokens(), b.tokens());
        assertEquals(a.mse(), b.mse());
        assertEquals(a.l0(), b.l0());
        assertEquals(a.deadFeatures(), b.deadFeatures());
        assertTrue(Arrays.equals(a.log10DensityHistogram(), b.log10DensityHistogram()));
    }

    @Test
    void aStopLeavesNoReadAheadUnderWayAndTheSourceWhereTheTrainingStopped() {
        try (RecordingSource source = new RecordingSource(true);
             SaeTrainer trainer = new SaeTrainer(config(), TestBackends.cpu())) {
            trainer.addListener(new TrainingListener() {
                @Override
                public Action onStep(StepReport r) {
                    return r.step() == 3 ? Action.STOP : Action.CONTINUE;
                }
            });
            EpochSummary s = trainer.trainEpoch(source);
            assertTrue(s.stopRequested());
            assertEquals(4, trainer.step());
            assertNull(source.pending, "the read-ahead of the fifth batch was stopped");
            assertEquals(1, source.stopped());
            assertEquals(new SourcePosition(0, 4 * 256), source.position(), "the source is after the fourth batch");
            List<Event> events = source.events();
            assertEquals(Kind.READ_AHEAD, events.get(events.size() - 2).kind());
            assertEquals(Kind.CANCEL, events.get(events.size() - 1).kind(), "stopped by cancelReadAhead");
            // The SAE's buffers are free again: trainBatch writes its own rows.
            trainer.trainBatch(TestData.batch(8, D_IN, new java.util.SplittableRandom(1)));
        }
    }

    @Test
    void anInterruptedRunReadingAheadResumesToTheUninterruptedWeights(@TempDir Path dir) {
        ParameterTensors uninterrupted;
        try (SaeTrainer trainer = new SaeTrainer(config(), TestBackends.cpu())) {
            trainer.trainEpoch(synthetic());
            uninterrupted = trainer.model().weights();
        }
        CheckpointStore store = new CheckpointStore(dir, 2);
        try (RecordingSource source = new RecordingSource(true);
             SaeTrainer trainer = new SaeTrainer(config(), TestBackends.cpu())) {
            trainer.checkpointTo(store, 5, null);
            trainer.addListener(SaeTrainerTest.interruptAtStep(trainer, 6));
            assertTrue(trainer.trainEpoch(source).stopRequested());
            assertNull(source.pending);
            Checkpoint c = store.latest().orElseThrow();
            assertEquals(7, c.step());
            assertEquals(7 * 256, c.state().sourceRow(), "the checkpoint holds the consumer's position");
        }
        try (RecordingSource again = new RecordingSource(true);
             SaeTrainer trainer = new SaeTrainer(config(), TestBackends.cpu())) {
            assertTrue(trainer.resume(store, again).isPresent());
            trainer.trainEpoch(again);
            assertTrue(uninterrupted.bitwiseEquals(trainer.model().weights()),
                    "interrupt + resume while reading ahead must end where an uninterrupted epoch ends");
        }
    }

    enum Kind { READ, READ_AHEAD, SEEK, CANCEL }

    record Event(Kind kind, long address, int maxRows, int rows) {
    }

    /**
     * Synthetic activations that record every read, read-ahead and seek. Honouring read-aheads, it reads the rows
     * on a thread of its own straight into the buffer it was given, while the caller computes, and a read with the
     * same buffer and count takes them; ignoring them, it reads every batch in {@link #read}.
     */
    static final class RecordingSource implements ActivationSource {
        /** Yields the rows of a read, at the consumer's position. */
        private final SyntheticActivations front = synthetic();
        /** Yields the rows read ahead, on the reader thread (rows are a function of the position alone). */
        private final SyntheticActivations back = synthetic();
        private final boolean honour;
        private final ExecutorService reader;
        private final List<Event> events = new ArrayList<>();
        private int taken;
        private int stopped;
        Pending pending;

        private record Pending(long address, int maxRows, Future<Integer> rows) {
        }

        RecordingSource(boolean honour) {
            this.honour = honour;
            this.reader = honour ? Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "read-ahead");
                t.setDaemon(true);
                return t;
            }) : null;
        }

        List<Event> events() {
            return events;
        }

        int taken() {
            return taken;
        }

        int stopped() {
            return stopped;
        }

        private static long address(FloatBuffer b) {
            return new Pointer(b).address();
        }

        @Override
        public int dIn() {
            return D_IN;
        }

        @Override
        public long rowsPerEpoch() {
            return ROWS_PER_EPOCH;
        }

        @Override
        public int read(FloatBuffer dst, int maxRows) {
            long a = address(dst);
            Pending p = pending;
            pending = null;
            int rows;
            if (p != null && p.address() == a && p.maxRows() == maxRows && dst.position() == 0) {
                rows = join(p);
                SourcePosition at = front.position();
                front.seek(new SourcePosition(at.epoch(), at.row() + rows));
                dst.position(dst.position() + rows * D_IN);
                taken++;
            } else {
                if (p != null) {
                    join(p);
                    stopped++;
                }
                rows = front.read(dst, maxRows);
            }
            events.add(new Event(Kind.READ, a, maxRows, rows));
            return rows;
        }

        @Override
        public void readAhead(FloatBuffer dst, int maxRows) {
            events.add(new Event(Kind.READ_AHEAD, address(dst), maxRows, -1));
            if (!honour) {
                return;
            }
            stop();
            SourcePosition at = front.position();
            FloatBuffer into = dst.duplicate().clear();
            pending = new Pending(address(dst), maxRows, reader.submit(() -> {
                Thread.sleep(1); // let the step start: the rows land while it runs
                back.seek(at);
                return back.read(into, maxRows);
            }));
        }

        private void stop() {
            Pending p = pending;
            pending = null;
            if (p != null) {
                join(p);
                stopped++;
            }
        }

        private static int join(Pending p) {
            try {
                return p.rows().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }

        @Override
        public SourcePosition position() {
            return front.position();
        }

        @Override
        public void cancelReadAhead() {
            events.add(new Event(Kind.CANCEL, 0, 0, -1));
            stop();
        }

        @Override
        public void seek(SourcePosition position) {
            events.add(new Event(Kind.SEEK, 0, 0, -1));
            stop();
            front.seek(position);
        }

        @Override
        public void close() {
            stop();
            if (reader != null) {
                reader.shutdownNow();
            }
        }
    }
}
