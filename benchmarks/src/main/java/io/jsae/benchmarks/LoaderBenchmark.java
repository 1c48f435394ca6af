package io.jsae.benchmarks;

import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.io.DType;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One pass over an {@code .npy} shard set (4 shards, d_in 4096, {@code mib} MiB of file bytes in all, written
 * into a temporary folder when the trial starts and deleted after it), with the reader as a parameter:
 * <ul>
 *   <li>{@code jsae}: {@link NpyActivationSource} (its default reading threads, seed 1 when shuffled), one
 *       epoch in {@code read} calls of 4096 rows into a direct buffer; the source is opened once per trial, so a
 *       measured pass is a later epoch;</li>
 *   <li>{@code plain}: the same bytes by positional {@code FileChannel.read}s of 4 MiB into a buffer of the same
 *       size as the loader's batch, in file order, or for {@code shuffled} with the 4 MiB pieces in a new random
 *       order each pass. It delivers the file's bytes as they are: no float16 conversion, no check for NaN.</li>
 * </ul>
 * The score is passes per second; the auxiliary counters give the rates in MB/s (10⁶ bytes) of file bytes
 * read ({@code fileMB}) and of float32 bytes delivered ({@code float32MB}: for the plain read of float16 files,
 * the float32 the bytes would become). The page cache is warm: the files were just written.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar LoaderBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class LoaderBenchmark {
    private static final int D_IN = 4096;
    private static final int SHARDS = 4;
    private static final int BATCH_ROWS = 4096;
    private static final int PIECE_BYTES = 4 << 20;

    /** File bytes of the shard set, in MiB. */
    @Param("256")
    public int mib;

    /** Element type of the files: {@code F32} or {@code F16}. */
    @Param({"F32", "F16"})
    public String dtype;

    /** Order of the pass: {@code inOrder} or {@code shuffled}. */
    @Param({"inOrder", "shuffled"})
    public String order;

    /** The reader: {@code jsae} (the core loader) or {@code plain} (positional reads of the same bytes). */
    @Param({"jsae", "plain"})
    public String reader;

    private Path dir;
    private List<Path> files;
    private long rowsPerShard;
    private long fileBytes;
    private NpyActivationSource source;
    private FloatBuffer rowsOut;
    private ByteBuffer bytesOut;
    private List<long[]> pieces;
    private SplittableRandom random;

    /** Per-iteration totals that JMH reports as rates. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rates {
        /** File bytes read, in MB. */
        public double fileMB;
        /** Float32 bytes delivered (or, for the plain read, that the file bytes stand for), in MB. */
        public double float32MB;

        /** Zeroes the totals at the start of each iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            fileMB = 0;
            float32MB = 0;
        }
    }

    /**
     * Writes the shard set and opens the chosen reader.
     *
     * @throws IOException if the files cannot be written
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        DType type = DType.valueOf(dtype);
        if (type != DType.F32 && type != DType.F16) {
            throw new IllegalArgumentException("dtype must be F32 or F16, was " + dtype);
        }
        boolean shuffled = switch (order) {
            case "inOrder" -> false;
            case "shuffled" -> true;
            default -> throw new IllegalArgumentException("unknown order " + order);
        };
        rowsPerShard = ((long) mib << 20) / SHARDS / ((long) type.byteSize() * D_IN);
        dir = Files.createTempDirectory("jsae-loader-jmh-");
        files = LoaderThroughput.write(dir, type, SHARDS, rowsPerShard, D_IN);
        fileBytes = 0;
        for (Path f : files) {
            fileBytes += Files.size(f);
        }
        switch (reader) {
            case "jsae" -> {
                LoaderOptions.Builder options = LoaderOptions.builder();
                options = shuffled ? options.shuffle(1) : options.noShuffle();
                source = NpyActivationSource.builder().files(files).options(options.build()).build();
                rowsOut = ByteBuffer.allocateDirect(BATCH_ROWS * D_IN * 4).order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
            }
            case "plain" -> {
                bytesOut = ByteBuffer.allocateDirect(BATCH_ROWS * D_IN * 4).order(ByteOrder.nativeOrder());
                pieces = new ArrayList<>();
                for (int f = 0; f < files.size(); f++) {
                    long size = Files.size(files.get(f));
                    for (long at = 0; at < size; at += PIECE_BYTES) {
                        pieces.add(new long[] {f, at, Math.min(PIECE_BYTES, size - at)});
                    }
                }
                random = shuffled ? new SplittableRandom(1) : null;
            }
            default -> throw new IllegalArgumentException("unknown reader " + reader);
        }
    }

    /**
     * Closes the reader and deletes the folder.
     *
     * @throws IOException if the folder cannot be deleted
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (source != null) {
            source.close();
        }
        LoaderThroughput.delete(dir);
    }

    /**
     * Reads every row (or every file byte) once.
     *
     * @param rates the totals to add this pass to
     * @return a checksum of one value per 4 KiB delivered
     * @throws IOException if the plain read fails
     */
    @Benchmark
    public double pass(Rates rates) throws IOException {
        long rows = SHARDS * rowsPerShard;
        double checksum = "jsae".equals(reader) ? loaderPass(rows) : plainPass(fileBytes);
        rates.fileMB += fileBytes / 1e6;
        rates.float32MB += rows * D_IN * 4.0 / 1e6;
        return checksum;
    }

    private double loaderPass(long expectedRows) {
        double checksum = 0;
        long rows = 0;
        int n;
        do {
            rowsOut.clear();
            n = source.read(rowsOut, BATCH_ROWS);
            int floats = n * D_IN;
            for (int i = 0; i < floats; i += 1024) {
                checksum += rowsOut.get(i);
            }
            rows += n;
        } while (n > 0);
        if (rows != expectedRows) {
            throw new IllegalStateException("the loader read " + rows + " rows, expected " + expectedRows);
        }
        source.nextEpoch();
        return checksum;
    }

    private double plainPass(long expectedBytes) throws IOException {
        if (random != null) {
            // Fisher-Yates: a new piece order every pass.
            for (int i = pieces.size() - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                long[] t = pieces.get(i);
                pieces.set(i, pieces.get(j));
                pieces.set(j, t);
            }
        }
        FileChannel[] channels = new FileChannel[files.size()];
        long bytes = 0;
        long checksum = 0;
        try {
            for (int f = 0; f < channels.length; f++) {
                channels[f] = FileChannel.open(files.get(f), StandardOpenOption.READ);
            }
            bytesOut.clear();
            for (long[] piece : pieces) {
                if (bytesOut.remaining() < piece[2]) {
                    bytesOut.clear();
                }
                int start = bytesOut.position();
                bytesOut.limit(start + (int) piece[2]);
                long at = piece[1];
                while (bytesOut.hasRemaining()) {
                    int n = channels[(int) piece[0]].read(bytesOut, at);
                    if (n < 0) {
                        throw new IOException("unexpected end of " + files.get((int) piece[0]));
                    }
                    at += n;
                }
                for (int i = start; i + 8 <= bytesOut.position(); i += 4096) {
                    checksum += bytesOut.getLong(i);
                }
                bytes += piece[2];
                bytesOut.limit(bytesOut.capacity());
            }
        } finally {
            for (FileChannel c : channels) {
                if (c != null) {
                    c.close();
                }
            }
        }
        if (bytes != expectedBytes) {
            throw new IllegalStateException("the plain read read " + bytes + " bytes, expected " + expectedBytes);
        }
        return checksum;
    }
}
