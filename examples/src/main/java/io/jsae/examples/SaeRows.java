package io.jsae.examples;

import io.jsae.core.SparseAutoencoder;
import io.jsae.core.data.ActivationSource;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What {@code inspect} and {@code encode} share: checking that the data fits the SAE, reading rows in file
 * order in batches, encoding a batch on all cores with the model's own {@link SparseAutoencoder#encode}, and
 * a progress line every few seconds.
 */
final class SaeRows {

    /** Rows read and encoded at a time. */
    static final int BATCH_ROWS = 1024;
    /** Rows one task encodes: small enough to spread a batch over the cores. */
    private static final long PROGRESS_NANOS = 5_000_000_000L;

    private final ActivationSource source;
    private final FloatBuffer buffer;
    private final int dIn;

    private SaeRows(ActivationSource source) {
        this.source = source;
        this.dIn = source.dIn();
        this.buffer = ByteBuffer.allocateDirect(BATCH_ROWS * dIn * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /**
     * Reads rows of a source that must have the SAE's width.
     *
     * @param source the data, read from its current position
     * @param sae    the model
     * @param data   the {@code --data} path, for the message
     * @param dir    the SAE folder, for the message
     * @return a batch reader
     * @throws CommandFailure naming both widths when they differ
     */
    static SaeRows of(ActivationSource source, SparseAutoencoder sae, Path data, Path dir) {
        if (source.dIn() != sae.dIn()) {
            throw new CommandFailure(ExitCode.BAD_DATA, "--data " + data + " holds rows of width " + source.dIn()
                    + ", but the SAE in " + dir + " takes d_in=" + sae.dIn(), "pass activations of the model and hook"
                    + " the SAE was trained on (jsae inspect " + dir + " shows them when recorded)");
        }
        return new SaeRows(source);
    }

    /**
     * Reads the next batch of rows.
     *
     * @param maxRows most rows to read, at least 1
     * @return up to {@code min(maxRows, BATCH_ROWS)} rows, or null at the end of the data
     */
    float[][] next(long maxRows) {
        buffer.clear();
        int rows = source.read(buffer, (int) Math.min(BATCH_ROWS, maxRows));
        if (rows == 0) {
            return null;
        }
        float[][] out = new float[rows][dIn];
        for (int r = 0; r < rows; r++) {
            buffer.get(r * dIn, out[r]);
        }
        return out;
    }

    /** A line on stderr every few seconds while a long pass runs. */
    static final class Progress {
        private final PrintWriter err;
        private final String what;
        private final long total;
        private final long start = System.nanoTime();
        private long last = start;

        /**
         * @param err   where to print
         * @param what  the pass, e.g. {@code "encode"}
         * @param total rows expected, or a negative number when unknown
         */
        Progress(PrintWriter err, String what, long total) {
            this.err = err;
            this.what = what;
            this.total = total;
        }

        /** @param done rows done so far; prints when the last line is a few seconds old */
        void update(long done) {
            long now = System.nanoTime();
            if (now - last < PROGRESS_NANOS) {
                return;
            }
            last = now;
            double seconds = (now - start) / 1e9;
            String of = total > 0 ? String.format(Locale.ROOT, " of %,d (%.0f%%)", total, 100.0 * done / total) : "";
            err.printf(Locale.ROOT, "%s: %,d rows%s, %.0f rows/s%n", what, done, of, done / seconds);
            err.flush();
        }
    }
}
