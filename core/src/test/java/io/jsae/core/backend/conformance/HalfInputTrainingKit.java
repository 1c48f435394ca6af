package io.jsae.core.backend.conformance;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestData;
import io.jsae.core.backend.Backend;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.data.SafetensorsActivationSource;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.eval.EvalMetrics;
import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SafetensorsWriter;
import io.jsae.core.train.SaeTrainer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Half-precision shards end to end on a backend that takes them: the trainer sees that the backend takes the
 * shards' stored type and reads them undecoded ({@code readStored}, the loader's read-ahead included), the backend
 * widens them, and training and evaluation end bitwise equal to the same shards read as float32 (the loader
 * converting them). Both runs use the same loader, order and seeds; only the path of the rows differs.
 */
public abstract class HalfInputTrainingKit {
    private static final int D_IN = 32;
    private static final int BATCH = 64;
    private static final int[] SHARD_ROWS = {150, 110}; // an epoch of 260 rows ends with a partial batch
    private static final long STEPS = 10;

    /** @return a new instance of the backend under test, closed by the caller */
    protected abstract Backend openBackend();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void halfShardsTrainUndecodedBitwiseAsTheirFloat32(DType type, @TempDir Path dir) throws IOException {
        List<Path> files = writeShards(dir, type);
        Run undecoded = train(files, type, false);
        Run decoded = train(files, type, true);
        assertTrue(undecoded.storedReads > 0 && undecoded.storedReadAheads > 0,
                "the trainer read " + type + " rows as stored and ahead: " + undecoded.storedReads + ", "
                        + undecoded.storedReadAheads);
        assertEquals(0, decoded.storedReads, "the float32 run converts on the CPU");
        for (String name : decoded.state.keySet()) {
            assertArrayEquals(decoded.state.get(name), undecoded.state.get(name), name + " after " + STEPS + " steps");
        }
        assertEquals(decoded.eval.fvu(), undecoded.eval.fvu(), 0.0, "held-out evaluation read as stored");
        assertEquals(decoded.position, undecoded.position);
    }

    private record Run(Map<String, float[]> state, EvalMetrics eval, SourcePosition position, int storedReads,
                       int storedReadAheads) {
    }

    private Run train(List<Path> files, DType type, boolean hideStoredType) {
        SaeConfig config = SaeConfig.builder(D_IN, 128).activation(Activation.topK(6)).batchSize(BATCH)
                .learningRate(3e-3).warmupSteps(2).totalSteps(STEPS).deadTokens(BATCH).kAux(16).normalizeInput(true)
                .seed(5).build();
        LoaderOptions options = LoaderOptions.builder().shuffle(3).chunkRows(8).shuffleBufferRows(32).readThreads(1)
                .build();
        try (Backend backend = openBackend();
             Counting source = new Counting(open(files, type, options), hideStoredType);
             Counting held = new Counting(open(files, type, LoaderOptions.DEFAULTS), hideStoredType);
             SaeTrainer trainer = new SaeTrainer(config, backend)) {
            while (trainer.step() < STEPS) {
                trainer.trainEpoch(source);
            }
            EvalMetrics eval = trainer.evaluate(held, 200);
            return new Run(TestData.state(trainer.deviceSae()), eval, source.position(),
                    source.storedReads + held.storedReads, source.storedReadAheads);
        }
    }

    private static ActivationSource open(List<Path> files, DType type, LoaderOptions options) {
        return type == DType.F16 ? NpyActivationSource.builder().files(files).options(options).build()
                : SafetensorsActivationSource.builder().files(files).tensor("acts").options(options).build();
    }

    /** Synthetic rows written as float16 {@code .npy} or bfloat16 {@code .safetensors} shards. */
    private static List<Path> writeShards(Path dir, DType type) throws IOException {
        List<Path> files = new ArrayList<>();
        try (SyntheticActivations rows = new SyntheticActivations(D_IN, 64, 4, 0.01, 1_000, 7)) {
            for (int s = 0; s < SHARD_ROWS.length; s++) {
                int n = SHARD_ROWS[s];
                FloatBuffer buf = ByteBuffer.allocateDirect(n * D_IN * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                assertEquals(n, rows.read(buf, n));
                float[] values = new float[n * D_IN];
                buf.get(0, values);
                if (type == DType.F16) {
                    Path p = dir.resolve("shard-" + s + ".npy");
                    NpyWriter.write(p, DType.F16, values, n, D_IN);
                    files.add(p);
                } else {
                    Path p = dir.resolve("shard-" + s + ".safetensors");
                    new SafetensorsWriter().add("acts", type, new long[] {n, D_IN}, values).write(p);
                    files.add(p);
                }
            }
        }
        return files;
    }

    /** Delegates to a source, counting stored reads; optionally hides its stored type so rows come as float32. */
    private static final class Counting implements ActivationSource {
        private final ActivationSource source;
        private final boolean hideStoredType;
        int storedReads;
        int storedReadAheads;

        Counting(ActivationSource source, boolean hideStoredType) {
            this.source = source;
            this.hideStoredType = hideStoredType;
        }

        @Override
        public int dIn() {
            return source.dIn();
        }

        @Override
        public long rowsPerEpoch() {
            return source.rowsPerEpoch();
        }

        @Override
        public int read(FloatBuffer dst, int maxRows) {
            return source.read(dst, maxRows);
        }

        @Override
        public void readAhead(FloatBuffer dst, int maxRows) {
            source.readAhead(dst, maxRows);
        }

        @Override
        public void cancelReadAhead() {
            source.cancelReadAhead();
        }

        @Override
        public DType storedType() {
            return hideStoredType ? DType.F32 : source.storedType();
        }

        @Override
        public int readStored(ByteBuffer dst, int maxRows) {
            storedReads++;
            return source.readStored(dst, maxRows);
        }

        @Override
        public void readAheadStored(ByteBuffer dst, int maxRows) {
            storedReadAheads++;
            source.readAheadStored(dst, maxRows);
        }

        @Override
        public SourcePosition position() {
            return source.position();
        }

        @Override
        public void seek(SourcePosition position) {
            source.seek(position);
        }

        @Override
        public void close() {
            source.close();
        }
    }
}
