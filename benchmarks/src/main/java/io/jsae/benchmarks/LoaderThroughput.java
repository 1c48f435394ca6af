package io.jsae.benchmarks;

import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * End-to-end throughput of {@link NpyActivationSource} against a plain sequential read of the same files,
 * measured in one run.
 *
 * <p>Writes a float32 {@code .npy} shard set of the given size into a fresh folder inside the given
 * directory, then times, in the order A B B A C: (A) a plain sequential read of every file through
 * {@code FileChannel.read} into a direct buffer, (B) the loader, shuffled with prefetching, reading every row
 * in batches, and (C) the loader in order. Both sides touch one value per 4 KiB of what they deliver and
 * fold it into a checksum. It prints GB/s (10^9 bytes per second) of each pass and the ratio of the
 * loader's mean to the baseline's mean; the goal is at least 0.8. The folder is deleted at the end unless
 * {@code --keep} is given.
 *
 * <p>Page cache: unless the shard set is larger than the machine's free memory, every pass after the
 * writing reads from the page cache, so these are warm-cache numbers for both sides.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.jsae.benchmarks.LoaderThroughput \
 *     [--gib 4] [--dir TMPDIR] [--d-in 4096] [--shards 4] [--batch 4096] [--prefetch 4] [--keep]
 * </pre>
 */
public final class LoaderThroughput {

    private LoaderThroughput() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args options as in the class description
     * @throws IOException if the shards cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        double gib = 4;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        int dIn = 4096;
        int shards = 4;
        int batch = 4096;
        int prefetch = 4;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gib": gib = Double.parseDouble(args[++i]); break;
                case "--dir": parent = Path.of(args[++i]); break;
                case "--d-in": dIn = Integer.parseInt(args[++i]); break;
                case "--shards": shards = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--prefetch": prefetch = Integer.parseInt(args[++i]); break;
                case "--keep": keep = true; break;
                default:
                    System.err.println("unknown argument " + args[i]
                            + "; use --gib N --dir DIR --d-in N --shards N --batch N --prefetch N --keep");
                    System.exit(2);
            }
        }
        long rowBytes = 4L * dIn;
        long rowsPerShard = (long) (gib * (1L << 30) / shards / rowBytes);
        Path dir = Files.createTempDirectory(parent, "jsae-loader-bench-");
        System.out.printf(Locale.ROOT, "LoaderThroughput: %d shards x %d rows x d_in %d float32 = %.2f GiB in %s%n",
                shards, rowsPerShard, dIn, shards * rowsPerShard * rowBytes / (double) (1L << 30), dir);
        System.out.printf(Locale.ROOT, "java %s, %d cpus, max heap %d MiB; batch %d rows, prefetch %d%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, batch, prefetch);
        try {
            List<Path> files = write(dir, shards, rowsPerShard, dIn);
            LoaderOptions shuffled = LoaderOptions.builder().shuffle(1).prefetchDepth(prefetch).batchRowsHint(batch).build();
            LoaderOptions ordered = shuffled.toBuilder().noShuffle().build();
            double a1 = plainRead(files, batch * rowBytes);
            double b1 = loader(files, shuffled, batch, "loader, shuffled");
            double b2 = loader(files, shuffled, batch, "loader, shuffled");
            double a2 = plainRead(files, batch * rowBytes);
            double c = loader(files, ordered, batch, "loader, in order");
            double base = (a1 + a2) / 2;
            double shuf = (b1 + b2) / 2;
            System.out.printf(Locale.ROOT, "RESULT plain %.2f GB/s, loader shuffled %.2f GB/s (ratio %.2f), "
                    + "loader in order %.2f GB/s (ratio %.2f); goal ratio >= 0.8; warm page cache%n",
                    base, shuf, shuf / base, c, c / base);
        } finally {
            if (!keep) {
                try (Stream<Path> s = Files.walk(dir)) {
                    for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    private static List<Path> write(Path dir, int shards, long rows, int dIn) throws IOException {
        long t0 = System.nanoTime();
        int blockRows = Math.max(1, (16 << 20) / (4 * dIn));
        FloatBuffer block = ByteBuffer.allocateDirect(blockRows * dIn * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        long state = 0x9e3779b97f4a7c15L;
        for (int i = 0; i < block.capacity(); i++) {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            block.put(i, (int) (state >>> 40) * 0x1p-12f - 2048f);
        }
        List<Path> files = new ArrayList<>();
        long bytes = 0;
        for (int s = 0; s < shards; s++) {
            Path p = dir.resolve(String.format(Locale.ROOT, "shard-%03d.npy", s));
            try (NpyWriter w = NpyWriter.create(p, DType.F32, rows, dIn)) {
                for (long r = 0; r < rows; r += blockRows) {
                    int n = (int) Math.min(blockRows, rows - r);
                    block.clear().limit(n * dIn);
                    w.write(block);
                }
            }
            bytes += Files.size(p);
            files.add(p);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "write            %.2f GB in %.1f s (%.2f GB/s)%n", bytes / 1e9, secs, bytes / 1e9 / secs);
        return files;
    }

    /** Sequential FileChannel reads of every file into one direct buffer; one long per 4 KiB into a checksum. */
    private static double plainRead(List<Path> files, long bufferBytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(bufferBytes, 1 << 30)).order(ByteOrder.nativeOrder());
        long bytes = 0;
        long checksum = 0;
        long t0 = System.nanoTime();
        for (Path p : files) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                while (true) {
                    buf.clear();
                    int n;
                    while (buf.hasRemaining() && (n = ch.read(buf)) >= 0) {
                        bytes += n;
                    }
                    int filled = buf.position();
                    for (int i = 0; i + 8 <= filled; i += 4096) {
                        checksum += buf.getLong(i);
                    }
                    if (filled < buf.capacity()) {
                        break;
                    }
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double gbs = bytes / 1e9 / secs;
        System.out.printf(Locale.ROOT, "plain read       %.2f GB in %.2f s: %.2f GB/s (checksum %d)%n", bytes / 1e9, secs, gbs, checksum);
        return gbs;
    }

    /** Every row through the loader in batches; one float per 4 KiB of delivered data into a checksum. */
    private static double loader(List<Path> files, LoaderOptions options, int batch, String label) {
        long t0 = System.nanoTime();
        long rows = 0;
        double checksum = 0;
        try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(options).build()) {
            int dIn = src.dIn();
            FloatBuffer buf = ByteBuffer.allocateDirect(batch * dIn * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            int n;
            do {
                buf.clear();
                n = src.read(buf, batch);
                int floats = n * dIn;
                for (int i = 0; i < floats; i += 1024) {
                    checksum += buf.get(i);
                }
                rows += n;
            } while (n > 0);
            if (rows != src.rowsPerEpoch()) {
                throw new IllegalStateException("read " + rows + " rows, expected " + src.rowsPerEpoch());
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double bytes = rows * (double) dIn * 4;
            double gbs = bytes / 1e9 / secs;
            System.out.printf(Locale.ROOT, "%-16s %.2f GB in %.2f s: %.2f GB/s (checksum %.1f)%n", label, bytes / 1e9, secs, gbs, checksum);
            return gbs;
        }
    }
}
