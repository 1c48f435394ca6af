package io.jsae.benchmarks;

import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * End-to-end throughput of {@link NpyActivationSource} against a plain sequential read of the same files,
 * measured in one run.
 *
 * <p>Writes an {@code .npy} shard set (float32, or float16 with {@code --dtype f16}) of the given size into a
 * fresh folder inside the given directory, then runs {@code --warmup} rounds (printed, not counted: the JIT
 * compiles the loader meanwhile, on the same cores) and {@code --rounds} measured rounds of: (A) a plain
 * sequential read of every file through {@code FileChannel.read} into one direct buffer of a batch, (B) the
 * loader, shuffled, (C) the loader in order; and one more A at the end. Each loader pass builds a new source and reads two
 * epochs in {@code read} calls of a batch each: the first epoch includes allocating (and page-faulting) the
 * source's block buffers, the second runs on buffers already in use. Every pass folds one value per 4 KiB of
 * what it delivers into a checksum.
 *
 * <p>Each loader epoch is compared with the mean of the plain reads just before and just after its round, in
 * rows per second (for float16 the plain read moves half the bytes per row). It prints every pass, then per
 * loader configuration the median ratio and its range over the rounds. The goal is a ratio of at least 0.8.
 * The folder is deleted at the end unless {@code --keep} is given.
 *
 * <p>Page cache: unless the shard set is larger than the machine's free memory, every pass after the
 * writing reads from the page cache, so these are warm-cache numbers for both sides.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.jsae.benchmarks.LoaderThroughput \
 *     [--gib 2] [--dir TMPDIR] [--dtype f32|f16] [--d-in 4096] [--shards 4] [--batch 4096] [--prefetch 4]
 *     [--warmup 1] [--rounds 5] [--map] [--chunk-rows N] [--span-rows N] [--keep]
 * </pre>
 */
public final class LoaderThroughput {

    private LoaderThroughput() {
    }

    /** CPU seconds used by this process so far (all threads, JIT and GC included), or NaN if unknown. */
    private static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /**
     * Runs the benchmark.
     *
     * @param args options as in the class description
     * @throws IOException if the shards cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        double gib = 2;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        DType dtype = DType.F32;
        int dIn = 4096;
        int shards = 4;
        int batch = 4096;
        int prefetch = 4;
        int warmup = 1;
        int rounds = 5;
        boolean map = false;
        Integer chunkRows = null;
        Integer spanRows = null;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gib": gib = Double.parseDouble(args[++i]); break;
                case "--dir": parent = Path.of(args[++i]); break;
                case "--dtype": dtype = DType.valueOf(args[++i].toUpperCase(Locale.ROOT)); break;
                case "--d-in": dIn = Integer.parseInt(args[++i]); break;
                case "--shards": shards = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--prefetch": prefetch = Integer.parseInt(args[++i]); break;
                case "--warmup": warmup = Integer.parseInt(args[++i]); break;
                case "--rounds": rounds = Integer.parseInt(args[++i]); break;
                case "--map": map = true; break;
                case "--chunk-rows": chunkRows = Integer.parseInt(args[++i]); break;
                case "--span-rows": spanRows = Integer.parseInt(args[++i]); break;
                case "--keep": keep = true; break;
                default:
                    System.err.println("unknown argument " + args[i] + "; use --gib N --dir DIR --dtype f32|f16 --d-in N"
                            + " --shards N --batch N --prefetch N --warmup N --rounds N --map --chunk-rows N --span-rows N --keep");
                    System.exit(2);
            }
        }
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new IllegalArgumentException("--dtype must be f32 or f16");
        }
        long fileRowBytes = (long) dtype.byteSize() * dIn;
        long rowsPerShard = (long) (gib * (1L << 30) / shards / fileRowBytes);
        LoaderOptions.Builder b = LoaderOptions.builder().shuffle(1).prefetchDepth(prefetch).batchRowsHint(batch)
                .readMode(map ? LoaderOptions.ReadMode.MAP : LoaderOptions.ReadMode.READ);
        if (chunkRows != null) {
            b.chunkRows(chunkRows);
        }
        if (spanRows != null) {
            b.shuffleBufferRows(spanRows);
        }
        LoaderOptions shuffled = b.build();
        LoaderOptions ordered = shuffled.toBuilder().noShuffle().build();
        Path dir = Files.createTempDirectory(parent, "jsae-loader-bench-");
        System.out.printf(Locale.ROOT, "LoaderThroughput: %d shards x %d rows x d_in %d %s = %.2f GiB in %s%n",
                shards, rowsPerShard, dIn, dtype, shards * rowsPerShard * fileRowBytes / (double) (1L << 30), dir);
        System.out.printf(Locale.ROOT, "java %s, %d cpus, max heap %d MiB; batch %d rows, prefetch %d, %s, chunk %d rows,"
                        + " shuffle span %d rows%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, batch, prefetch,
                shuffled.readMode(), shuffled.chunkRows(), shuffled.shuffleBufferRows());
        try {
            List<Path> files = write(dir, dtype, shards, rowsPerShard, dIn);
            long totalRows = shards * rowsPerShard;
            for (int r = 0; r < warmup; r++) {
                System.out.println("warm-up round " + (r + 1) + " of " + warmup + " (not counted)");
                plainRead(files, batch * fileRowBytes, fileRowBytes);
                loader(files, shuffled, batch, totalRows, "loader shuffled");
                loader(files, ordered, batch, totalRows, "loader in order");
            }
            double[] plain = new double[rounds + 1];
            double[][] shuf = new double[rounds][];
            double[][] inOrder = new double[rounds][];
            for (int r = 0; r < rounds; r++) {
                System.out.println("round " + (r + 1) + " of " + rounds);
                plain[r] = plainRead(files, batch * fileRowBytes, fileRowBytes);
                shuf[r] = loader(files, shuffled, batch, totalRows, "loader shuffled");
                inOrder[r] = loader(files, ordered, batch, totalRows, "loader in order");
            }
            plain[rounds] = plainRead(files, batch * fileRowBytes, fileRowBytes);
            System.out.printf(Locale.ROOT, "RESULT (ratio = loader rows/s over the mean plain read of its round;"
                    + " median [min, max] of %d rounds; warm page cache)%n", rounds);
            report("shuffled, first epoch of a new source", shuf, 0, plain);
            report("shuffled, second epoch             ", shuf, 1, plain);
            report("in order, first epoch of a new source", inOrder, 0, plain);
            report("in order, second epoch             ", inOrder, 1, plain);
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

    private static void report(String label, double[][] passes, int epoch, double[] plain) {
        int n = passes.length;
        double[] ratios = new double[n];
        double[] rates = new double[n];
        for (int r = 0; r < n; r++) {
            rates[r] = passes[r][epoch];
            ratios[r] = passes[r][epoch] / ((plain[r] + plain[r + 1]) / 2);
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        double[] sortedRates = rates.clone();
        Arrays.sort(sortedRates);
        System.out.printf(Locale.ROOT, "RESULT %s: ratio %.2f [%.2f, %.2f], %.2f [%.2f, %.2f] M rows/s%n", label,
                sorted[n / 2], sorted[0], sorted[n - 1], sortedRates[n / 2] / 1e6, sortedRates[0] / 1e6,
                sortedRates[n - 1] / 1e6);
    }

    /**
     * Writes {@code shards} {@code .npy} files of {@code rows × dIn} pseudo-random values (also used by
     * {@link LoaderBenchmark}) and prints how long it took.
     *
     * @param dir    folder to write into
     * @param dtype  element type of the files
     * @param shards number of files
     * @param rows   rows per file
     * @param dIn    row width
     * @return the files, in order
     * @throws IOException if a file cannot be written
     */
    static List<Path> write(Path dir, DType dtype, int shards, long rows, int dIn) throws IOException {
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
            try (NpyWriter w = NpyWriter.create(p, dtype, rows, dIn)) {
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

    /**
     * Sequential FileChannel reads of every file into one direct buffer (allocated before the clock starts);
     * one long per 4 KiB into a checksum. Returns rows per second.
     */
    private static double plainRead(List<Path> files, long bufferBytes, long rowBytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(bufferBytes, 1 << 30)).order(ByteOrder.nativeOrder());
        long bytes = 0;
        long checksum = 0;
        double cpu0 = cpuSeconds();
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
        double cpu = cpuSeconds() - cpu0;
        System.out.printf(Locale.ROOT, "plain read       %.2f GB in %.2f s: %.2f GB/s, cpu %.2f s (checksum %d)%n", bytes / 1e9,
                secs, bytes / 1e9 / secs, cpu, checksum);
        return bytes / (double) rowBytes / secs;
    }

    /**
     * Builds a source (timed apart) and reads two epochs in batches, each timed; one float per 4 KiB of
     * delivered data into a checksum. Returns rows per second of both epochs.
     */
    private static double[] loader(List<Path> files, LoaderOptions options, int batch, long totalRows, String label) {
        long t0 = System.nanoTime();
        try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(options).build()) {
            double openSecs = (System.nanoTime() - t0) / 1e9;
            int dIn = src.dIn();
            FloatBuffer buf = ByteBuffer.allocateDirect(batch * dIn * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            double[] out = new double[2];
            for (int e = 0; e < 2; e++) {
                if (e > 0) {
                    src.nextEpoch();
                }
                long rows = 0;
                double checksum = 0;
                double cpu0 = cpuSeconds();
                long t1 = System.nanoTime();
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
                double secs = (System.nanoTime() - t1) / 1e9;
                double cpu = cpuSeconds() - cpu0;
                if (rows != totalRows) {
                    throw new IllegalStateException("read " + rows + " rows, expected " + totalRows);
                }
                double bytes = rows * (double) dIn * 4;
                System.out.printf(Locale.ROOT, "%-16s epoch %d: %.2f GB float32 in %.2f s: %.2f GB/s, cpu %.2f s%s"
                                + " (checksum %.1f)%n", label, e + 1, bytes / 1e9, secs, bytes / 1e9 / secs, cpu,
                        e == 0 ? String.format(Locale.ROOT, ", after opening in %.3f s", openSecs) : "", checksum);
                out[e] = rows / secs;
            }
            return out;
        }
    }
}
