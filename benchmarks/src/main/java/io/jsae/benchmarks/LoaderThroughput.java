package io.jsae.benchmarks;

import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.DirectBuffers;
import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.data.SafetensorsActivationSource;
import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SafetensorsWriter;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * End-to-end throughput of the activation loader against the fastest plain read of the same bytes, in one run,
 * for every dtype and order, in bytes of the file per second.
 *
 * <p>For each dtype (float32 and float16 as {@code .npy}, bfloat16 as {@code .safetensors}, the same rows of
 * pseudo-random values) it writes a shard set into a fresh folder, then runs a warm-up round (not counted) and
 * {@code --rounds} measured rounds of: the baseline; the loader shuffled; the loader in order; the baseline
 * again; each loader pass once per read mode ({@code --modes}: copying out of memory mappings, the default, and
 * positional reads). Each loader pass builds a new source and reads two epochs in batches the way the trainer does: a
 * {@code read} into one of two direct buffers, then {@code readAhead} of the next batch into the other, then a
 * look at the rows read (a checksum of one value per row); the first epoch of a new source and a later one.
 * Float16 and bfloat16 sets are read twice: as float32 ({@code read}, converted on the CPU) and as stored
 * ({@code readStored}, undecoded, the way the CPU and CUDA backends take them and widen them).
 *
 * <p>The baseline is large-block positional reads ({@code FileChannel.read(buf, position)}, 4 MiB blocks,
 * claimed from a shared counter) on as many threads as the loader uses (the caller and its
 * {@code --threads} reading threads), each into its own direct buffer, touching one long per 4 KiB. A single-thread
 * baseline and {@code dd bs=4M} of the same files are printed beside it once per dtype. A second baseline does
 * the same reads into one buffer of the loader's batch size (a batch's worth of the file's bytes), block after
 * block: the same bytes written to memory that does not stay in the CPU cache, as any loader's batch must be.
 * A third, the copy floor, is the loader's own native copy of the same bytes out of memory mappings into a buffer
 * of the batch's size, block after block, without the loader: how fast this machine can put the bytes there at all.
 * Each loader epoch is compared with the mean of each baseline just before and after its round.
 *
 * <p>Batch memory: every destination of a batch's size (the loader's two batches, the second baseline's and the
 * copy floor's buffer) comes from {@link DirectBuffers#allocateBatch}, on 2 MiB pages where the kernel gives them,
 * as the backends' input buffers are; {@code --small-pages} makes them page-aligned direct buffers on the machine's
 * small pages instead. Like the backends' input buffers, which are zeroed when the SAE is made, each is zeroed
 * before it is timed. Each round also runs the copy floor into the other kind of memory, and the result gives the
 * ratio of the two; with {@code --compare-pages} every loader pass is also run a second time, into the other
 * kind (right after it in even rounds, right before it in odd ones), and the result gives those ratios too: a
 * comparison made in the same moments of a noisy host.
 *
 * <p>Page cache: by default every pass reads from the page cache (warm). With {@code --cold} the files' pages
 * are dropped before every pass with {@code dd iflag=nocache count=0} (GNU dd's {@code posix_fadvise
 * (POSIX_FADV_DONTNEED)}), so each pass reads from the device; dirty pages are flushed with {@code sync} first.
 * A memory-mapped source's later epoch is not cold: the pages it maps cannot be dropped while it is open.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.jsae.benchmarks.LoaderThroughput \
 *     [--gib 1] [--dir TMPDIR] [--dtypes f32,f16,bf16] [--d-in 4096] [--shards 4] [--batch 4096]
 *     [--threads 1] [--rounds 3] [--modes mapped,positional] [--cold] [--keep] [--small-writes KIB] [--small-pages]
 *     [--compare-pages]
 * </pre>
 * {@code --gib} is the float32 size of a set (float16 and bfloat16 sets hold the same rows in half the bytes).
 * The sets are written by the library's writers, in aligned 4 MiB blocks, which the page cache keeps as 2 MiB
 * pages; {@code --small-writes KIB} rewrites every file through writes of that size first, as a writer with a small
 * buffer would, so that a warm first pass over a memory mapping pays a page fault per small piece.
 */
public final class LoaderThroughput {
    private static final int BLOCK = 4 << 20;

    private LoaderThroughput() {
    }

    /** A shard set of one dtype. */
    private record ShardSet(DType dtype, List<Path> files, long rows, int dIn) {
        long fileRowBytes() {
            return (long) dtype.byteSize() * dIn;
        }

        long bytes() throws IOException {
            long b = 0;
            for (Path p : files) {
                b += Files.size(p);
            }
            return b;
        }
    }

    /**
     * Runs the benchmark.
     *
     * @param args options as in the class description
     * @throws Exception if the shards cannot be written or read, or a child process fails
     */
    public static void main(String[] args) throws Exception {
        double gib = 1;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        List<DType> dtypes = List.of(DType.F32, DType.F16, DType.BF16);
        int dIn = 4096;
        int shards = 4;
        int batch = 4096;
        int readThreads = LoaderOptions.DEFAULT_READ_THREADS;
        int rounds = 3;
        boolean cold = false;
        boolean keep = false;
        int smallWriteBytes = 0;
        boolean smallPages = false;
        boolean comparePages = false;
        List<Boolean> mappedModes = List.of(true, false);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gib": gib = Double.parseDouble(args[++i]); break;
                case "--dir": parent = Path.of(args[++i]); break;
                case "--dtypes": dtypes = Arrays.stream(args[++i].split(","))
                        .map(s -> DType.valueOf(s.strip().toUpperCase(Locale.ROOT))).toList(); break;
                case "--d-in": dIn = Integer.parseInt(args[++i]); break;
                case "--shards": shards = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--threads": readThreads = Integer.parseInt(args[++i]); break;
                case "--rounds": rounds = Integer.parseInt(args[++i]); break;
                case "--cold": cold = true; break;
                case "--keep": keep = true; break;
                case "--small-pages": smallPages = true; break;
                case "--compare-pages": comparePages = true; break;
                case "--small-writes": {
                    int kib = Integer.parseInt(args[++i]);
                    if (kib < 1 || kib > (1 << 20)) {
                        throw new IllegalArgumentException("--small-writes takes 1 to 1048576 KiB, not " + kib);
                    }
                    smallWriteBytes = kib << 10;
                    break;
                }
                case "--modes": mappedModes = Arrays.stream(args[++i].split(",")).map(m -> switch (m) {
                    case "mapped" -> true;
                    case "positional" -> false;
                    default -> throw new IllegalArgumentException("--modes takes mapped and positional, not " + m);
                }).toList(); break;
                default:
                    System.err.println("unknown argument " + args[i] + "; use --gib N --dir DIR --dtypes f32,f16,bf16"
                            + " --d-in N --shards N --batch N --threads N --rounds N --modes mapped,positional --cold --keep"
                            + " --small-writes KIB --small-pages --compare-pages");
                    System.exit(2);
            }
        }
        if (smallWriteBytes > 0 && cold) {
            throw new IllegalArgumentException("--small-writes shapes the page cache, which --cold drops: use one or the"
                    + " other");
        }
        for (DType t : dtypes) {
            if (t != DType.F32 && t != DType.F16 && t != DType.BF16) {
                throw new IllegalArgumentException("--dtypes takes f32, f16 and bf16, not " + t);
            }
        }
        smallPageBatches = smallPages;
        int threads = readThreads + 1;
        long rowsPerShard = (long) (gib * (1L << 30) / shards / (4L * dIn));
        LoaderOptions shuffled = LoaderOptions.builder().shuffle(1).readThreads(readThreads).build();
        List<LoaderOptions> variants = new ArrayList<>(); // every read mode shuffled and in order
        for (boolean mapped : mappedModes) {
            variants.add(shuffled.toBuilder().memoryMapped(mapped).build());
            variants.add(shuffled.toBuilder().memoryMapped(mapped).noShuffle().build());
        }
        Path dir = Files.createTempDirectory(parent, "jsae-loader-bench-");
        System.out.printf(Locale.ROOT, "LoaderThroughput: %s, %d shards x %d rows x d_in %d per set, in %s%n", dtypes,
                shards, rowsPerShard, dIn, dir);
        System.out.printf(Locale.ROOT, "java %s, %d cpus; batch %d rows, %d reading thread(s) (baseline threads %d), chunk %d"
                        + " rows, shuffle span %d rows, %s page cache, batches on %s%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), batch, readThreads, threads,
                shuffled.chunkRows(), shuffled.shuffleBufferRows(), cold ? "cold" : "warm", describeBatchPages());
        Map<String, String> results = new LinkedHashMap<>();
        try {
            for (DType dtype : dtypes) {
                ShardSet set = writeSet(dir.resolve(dtype.name().toLowerCase(Locale.ROOT)), dtype, shards, rowsPerShard, dIn);
                if (smallWriteBytes > 0) {
                    rewrite(set, smallWriteBytes);
                }
                System.out.println("warm-up (not counted)");
                baseline(set, threads, 0, cold);
                long batchBytes = batch * set.fileRowBytes();
                // float32 rows for every type; half-precision rows also as stored, the way the backends take them
                List<Boolean> modes = dtype == DType.F32 ? List.of(false) : List.of(false, true);
                for (boolean stored : modes) {
                    for (LoaderOptions o : variants) {
                        loader(set, o, batch, label(o, stored), stored, cold, smallPageBatches);
                    }
                }
                String single = String.format(Locale.ROOT, "%s: 1-thread read %.2f GB/s; dd bs=4M %.2f GB/s", dtype,
                        baseline(set, 1, 0, cold) / 1e9, dd(set, cold) / 1e9);
                System.out.println(single);
                results.put(dtype + " 1-thread read and dd            ", single.substring(single.indexOf(':') + 2));
                double[] base = new double[rounds + 1];
                double[] intoBatch = new double[rounds + 1];
                double[] floor = new double[rounds + 1];
                double[] floorOtherPages = new double[rounds + 1]; // the copy floor into the other kind of pages
                Map<String, double[][]> passes = new LinkedHashMap<>();
                Map<String, double[][]> passesOtherPages = new LinkedHashMap<>(); // --compare-pages
                for (int r = 0; r < rounds; r++) {
                    base[r] = baseline(set, threads, 0, cold);
                    intoBatch[r] = baseline(set, threads, batchBytes, cold);
                    floor[r] = copyFloor(set, threads, batchBytes, cold, smallPageBatches);
                    floorOtherPages[r] = copyFloor(set, threads, batchBytes, cold, !smallPageBatches);
                    for (boolean stored : modes) {
                        for (LoaderOptions o : variants) {
                            String label = label(o, stored);
                            // with --compare-pages, the same pass into the other kind of memory, after it in even
                            // rounds and before it in odd ones
                            boolean otherFirst = comparePages && r % 2 == 1;
                            String otherLabel = label + (smallPageBatches ? ", 2 MiB" : ", small");
                            if (otherFirst) {
                                passesOtherPages.computeIfAbsent(label, k -> new double[base.length - 1][])[r] =
                                        loader(set, o, batch, otherLabel, stored, cold, !smallPageBatches);
                            }
                            passes.computeIfAbsent(label, k -> new double[base.length - 1][])[r] =
                                    loader(set, o, batch, label, stored, cold, smallPageBatches);
                            if (comparePages && !otherFirst) {
                                passesOtherPages.computeIfAbsent(label, k -> new double[base.length - 1][])[r] =
                                        loader(set, o, batch, otherLabel, stored, cold, !smallPageBatches);
                            }
                        }
                    }
                }
                base[rounds] = baseline(set, threads, 0, cold);
                intoBatch[rounds] = baseline(set, threads, batchBytes, cold);
                floor[rounds] = copyFloor(set, threads, batchBytes, cold, smallPageBatches);
                floorOtherPages[rounds] = copyFloor(set, threads, batchBytes, cold, !smallPageBatches);
                results.put(dtype + " copy floor, 2 MiB / small pages", pageRatio(floor, floorOtherPages));
                for (Map.Entry<String, double[][]> e : passes.entrySet()) {
                    results.put(dtype + " " + e.getKey() + ", first epoch ", summary(e.getValue(), 0, base, intoBatch, floor));
                    // the pages a source maps stay cached while it is open (posix_fadvise cannot drop them)
                    boolean stillCached = cold && e.getKey().contains("mapped");
                    results.put(dtype + " " + e.getKey() + ", later pass  ", summary(e.getValue(), 1, base, intoBatch, floor)
                            + (stillCached ? " (not cold: its pages stay mapped)" : ""));
                }
                for (Map.Entry<String, double[][]> e : passesOtherPages.entrySet()) {
                    double[][] these = passes.get(e.getKey());
                    for (int epoch = 0; epoch < 2; epoch++) {
                        double[] main = new double[rounds];
                        double[] other = new double[rounds];
                        for (int r = 0; r < rounds; r++) {
                            main[r] = these[r][epoch];
                            other[r] = e.getValue()[r][epoch];
                        }
                        results.put(dtype + " " + e.getKey() + (epoch == 0 ? ", first epoch " : ", later pass  ")
                                + " 2 MiB / small pages", pageRatio(main, other));
                    }
                }
                delete(set.files().get(0).getParent());
            }
            System.out.printf(Locale.ROOT, "RESULT (file bytes/s of the loader over the %d-thread baseline of its round;"
                    + " median [min, max] of %d rounds; %s page cache)%n", threads, rounds, cold ? "cold" : "warm");
            results.forEach((k, v) -> System.out.println("RESULT " + k + ": " + v));
        } finally {
            if (!keep) {
                delete(dir);
            }
        }
    }

    /**
     * Rates into batch memory on 2 MiB pages over the same, measured just before or after, into small pages, per
     * round: median [min, max], and the median rates. {@code main} is into this run's kind of memory.
     */
    private static String pageRatio(double[] main, double[] otherPages) {
        int n = main.length;
        double[] ratios = new double[n];
        double[] huge = new double[n];
        double[] small = new double[n];
        for (int r = 0; r < n; r++) {
            huge[r] = smallPageBatches ? otherPages[r] : main[r];
            small[r] = smallPageBatches ? main[r] : otherPages[r];
            ratios[r] = huge[r] / small[r];
        }
        Arrays.sort(ratios);
        Arrays.sort(huge);
        Arrays.sort(small);
        return String.format(Locale.ROOT, "ratio %.2f [%.2f, %.2f]; %.2f and %.2f GB/s", median(ratios), ratios[0],
                ratios[n - 1], median(huge) / 1e9, median(small) / 1e9);
    }

    /** A loader pass's name: order, read mode, what it delivers. */
    private static String label(LoaderOptions o, boolean stored) {
        return (o.shuffle() ? "shuffled" : "in order") + (o.memoryMapped() ? ", mapped    " : ", positional")
                + (stored ? ", as stored" : ", float32  ");
    }

    /**
     * The median [min, max] over the rounds of a pass's ratio to the mean of the baselines around its round, for
     * each baseline (into a 4 MiB buffer per thread; into a buffer of the loader's batch; the copy floor), and the
     * median rates.
     */
    private static String summary(double[][] passes, int epoch, double[]... baselines) {
        int n = passes.length;
        int kinds = baselines.length;
        double[] rates = new double[n];
        double[][] ratios = new double[kinds][n];
        double[][] bases = new double[kinds][n];
        for (int r = 0; r < n; r++) {
            rates[r] = passes[r][epoch];
            for (int b = 0; b < kinds; b++) {
                bases[b][r] = (baselines[b][r] + baselines[b][r + 1]) / 2;
                ratios[b][r] = rates[r] / bases[b][r];
            }
        }
        Arrays.sort(rates);
        for (int b = 0; b < kinds; b++) {
            Arrays.sort(ratios[b]);
            Arrays.sort(bases[b]);
        }
        return String.format(Locale.ROOT, "ratio %.2f [%.2f, %.2f] (into a batch: %.2f [%.2f, %.2f]; over the copy floor:"
                        + " %.2f [%.2f, %.2f]); loader %.2f GB/s, baselines %.2f, %.2f and %.2f GB/s", median(ratios[0]),
                ratios[0][0], ratios[0][n - 1], median(ratios[1]), ratios[1][0], ratios[1][n - 1], median(ratios[2]),
                ratios[2][0], ratios[2][n - 1], median(rates) / 1e9, median(bases[0]) / 1e9, median(bases[1]) / 1e9,
                median(bases[2]) / 1e9);
    }

    /** The median of sorted values: the middle one, or the mean of the middle two. */
    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * Writes {@code shards} files of {@code rows × dIn} pseudo-random values: {@code .npy} for F32 and F16,
     * {@code .safetensors} (tensor {@code activations}) for BF16, which {@code .npy} cannot describe.
     *
     * @return the set
     */
    private static ShardSet writeSet(Path dir, DType dtype, int shards, long rows, int dIn) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int s = 0; s < shards; s++) {
            if (dtype == DType.BF16) {
                Path p = dir.resolve(String.format(Locale.ROOT, "shard-%03d.safetensors", s));
                long seed = s;
                new SafetensorsWriter().add("activations", DType.BF16, new long[] {rows, dIn}, rows * dIn,
                        (offset, dst) -> fill(dst, offset + seed * rows * dIn)).write(p);
                files.add(p);
            } else {
                files.addAll(write(dir, dtype, 1, rows, dIn, s));
            }
        }
        ShardSet set = new ShardSet(dtype, files, shards * rows, dIn);
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "wrote %s: %.2f GB in %.1f s%n", dtype, set.bytes() / 1e9, secs);
        return set;
    }

    /**
     * Rewrites every file of the set through writes of {@code writeBytes} (from offset 0), as a writer with a small
     * buffer makes a file, so that the page cache holds the files in pieces of that size or less. The library's
     * writers write aligned 4 MiB blocks, which the page cache keeps (and a mapping maps) as 2 MiB pages.
     */
    private static void rewrite(ShardSet set, int writeBytes) throws IOException {
        long t0 = System.nanoTime();
        ByteBuffer buf = ByteBuffer.allocateDirect(writeBytes);
        for (Path p : set.files()) {
            Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
            try (FileChannel in = FileChannel.open(p); FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                while (in.read(buf.clear()) > 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        out.write(buf);
                    }
                }
            }
            Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        System.out.printf(Locale.ROOT, "rewrote %s through %d KiB writes in %.1f s%n", set.dtype(), writeBytes >> 10,
                (System.nanoTime() - t0) / 1e9);
    }

    private static void fill(FloatBuffer dst, long offset) {
        long state = 0x9e3779b97f4a7c15L ^ offset;
        while (dst.hasRemaining()) {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            dst.put((int) (state >>> 40) * 0x1p-12f - 2048f);
        }
    }

    /**
     * Writes {@code shards} {@code .npy} files of {@code rows × dIn} pseudo-random values (also used by
     * {@link LoaderBenchmark}).
     *
     * @param dir    folder to write into
     * @param dtype  element type of the files (F32 or F16)
     * @param shards number of files
     * @param rows   rows per file
     * @param dIn    row width
     * @return the files, in order
     * @throws IOException if a file cannot be written
     */
    static List<Path> write(Path dir, DType dtype, int shards, long rows, int dIn) throws IOException {
        return write(dir, dtype, shards, rows, dIn, 0);
    }

    private static List<Path> write(Path dir, DType dtype, int shards, long rows, int dIn, int firstIndex)
            throws IOException {
        int blockRows = Math.max(1, (16 << 20) / (4 * dIn));
        FloatBuffer block = ByteBuffer.allocateDirect(blockRows * dIn * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        fill(block, 0);
        List<Path> files = new ArrayList<>();
        for (int s = firstIndex; s < firstIndex + shards; s++) {
            Path p = dir.resolve(String.format(Locale.ROOT, "shard-%03d.npy", s));
            try (NpyWriter w = NpyWriter.create(p, dtype, rows, dIn)) {
                for (long r = 0; r < rows; r += blockRows) {
                    int n = (int) Math.min(blockRows, rows - r);
                    block.clear().limit(n * dIn);
                    w.write(block);
                }
            }
            files.add(p);
        }
        return files;
    }

    /**
     * The baseline: 4 MiB positional reads on {@code threads} threads, each into its own 4 MiB buffer (which stays
     * in the CPU cache), or with {@code destinationBytes > 0} into one buffer of that size (the loader's batch),
     * block after block, as a batch that must reach memory is written. Returns file bytes per second.
     */
    private static double baseline(ShardSet set, int threads, long destinationBytes, boolean cold) throws Exception {
        if (cold) {
            dropCache(set);
        }
        List<FileChannel> channels = new ArrayList<>();
        List<long[]> blocks = new ArrayList<>(); // {file, position}
        for (int f = 0; f < set.files().size(); f++) {
            FileChannel ch = FileChannel.open(set.files().get(f), StandardOpenOption.READ);
            channels.add(ch);
            for (long p = 0; p < ch.size(); p += BLOCK) {
                blocks.add(new long[] {f, p});
            }
        }
        AtomicLong next = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        long[] checksums = new long[threads];
        Thread[] workers = new Thread[threads];
        Exception[] failure = new Exception[1];
        // into a batch: block i lands at (i * BLOCK) mod the buffer's size, as a loader's batch would be written
        int slots = (int) Math.max(1, destinationBytes / BLOCK);
        ByteBuffer shared = destinationBytes > 0 ? batchMemory(slots * BLOCK, smallPageBatches) : null;
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers[t] = new Thread(() -> {
                ByteBuffer own = shared == null ? pageAligned(BLOCK) : null;
                long sum = 0;
                try {
                    for (long i = next.getAndIncrement(); i < blocks.size(); i = next.getAndIncrement()) {
                        long[] b = blocks.get((int) i);
                        FileChannel ch = channels.get((int) b[0]);
                        ByteBuffer buf = own != null ? own.clear()
                                : shared.slice((int) (i % slots) * BLOCK, BLOCK).order(ByteOrder.nativeOrder());
                        long pos = b[1];
                        int n;
                        while (buf.hasRemaining() && (n = ch.read(buf, pos)) > 0) {
                            pos += n;
                        }
                        int filled = buf.position();
                        for (int j = 0; j + 8 <= filled; j += 4096) {
                            sum += buf.getLong(j);
                        }
                        bytes.addAndGet(filled);
                    }
                } catch (IOException e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
                checksums[id] = sum;
            });
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        for (FileChannel ch : channels) {
            ch.close();
        }
        freeBatchMemory(shared);
        if (failure[0] != null) {
            throw failure[0];
        }
        System.out.printf(Locale.ROOT, "baseline %d thread(s)%s %.2f GB in %.2f s: %.2f GB/s (checksum %d)%n", threads,
                shared == null ? "" : String.format(Locale.ROOT, " into a %d MiB buffer", shared.capacity() >> 20),
                bytes.get() / 1e9, secs, bytes.get() / 1e9 / secs, Arrays.stream(checksums).sum());
        return bytes.get() / secs;
    }

    /**
     * The copy floor: the loader's own native copy ({@link DirectBuffers#copyFloats}, non-temporal stores, the
     * NaN and infinity check) of the files' bytes out of memory mappings into one buffer of the loader's batch size,
     * 4 MiB blocks claimed in file order by {@code threads} threads, with no loader around it: how fast this machine
     * puts the bytes into memory that does not stay in the cache. The files are mapped and copied once untimed
     * (page faults), then timed; with {@code cold}, the first copy, from the device, is the one timed. Returns file
     * bytes per second.
     */
    private static double copyFloor(ShardSet set, int threads, long destinationBytes, boolean cold, boolean smallPages)
            throws Exception {
        if (cold) {
            dropCache(set);
        }
        long window = 1L << 30; // a multiple of BLOCK: no block straddles two windows
        List<List<MappedByteBuffer>> maps = new ArrayList<>();
        List<long[]> blocks = new ArrayList<>(); // {file, position, bytes}
        for (int f = 0; f < set.files().size(); f++) {
            try (FileChannel ch = FileChannel.open(set.files().get(f), StandardOpenOption.READ)) {
                List<MappedByteBuffer> windows = new ArrayList<>();
                for (long p = 0; p < ch.size(); p += window) {
                    windows.add(ch.map(FileChannel.MapMode.READ_ONLY, p, Math.min(window, ch.size() - p)));
                }
                maps.add(windows);
                for (long p = 0; p < ch.size(); p += BLOCK) {
                    blocks.add(new long[] {f, p, Math.min(BLOCK, ch.size() - p)});
                }
            }
        }
        int slots = (int) Math.max(1, destinationBytes / BLOCK);
        ByteBuffer shared = batchMemory(slots * BLOCK, smallPages);
        double secs = 0;
        long copied = 0;
        for (int pass = 0; pass < (cold ? 1 : 2); pass++) {
            AtomicLong next = new AtomicLong();
            AtomicLong bytes = new AtomicLong();
            Thread[] workers = new Thread[threads];
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                workers[t] = new Thread(() -> {
                    for (long i = next.getAndIncrement(); i < blocks.size(); i = next.getAndIncrement()) {
                        long[] b = blocks.get((int) i);
                        int count = (int) (b[2] / 4);
                        DirectBuffers.copyFloats(maps.get((int) b[0]).get((int) (b[1] / window)), b[1] % window, shared,
                                (i % slots) * BLOCK, count, true);
                        bytes.addAndGet(4L * count);
                    }
                });
                workers[t].start();
            }
            for (Thread w : workers) {
                w.join();
            }
            secs = (System.nanoTime() - t0) / 1e9;
            copied = bytes.get();
        }
        freeBatchMemory(shared);
        // unmapped now, not at some collection: --cold cannot drop the pages of a file that is still mapped
        for (List<MappedByteBuffer> windows : maps) {
            windows.forEach(DirectBuffers::free);
        }
        System.out.printf(Locale.ROOT, "copy floor %d thread(s) into a %d MiB buffer on %s pages %.2f GB in %.2f s: %.2f GB/s%n",
                threads, (slots * BLOCK) >> 20, smallPages ? "small" : "2 MiB", copied / 1e9, secs, copied / 1e9 / secs);
        return copied / secs;
    }

    /** {@code dd bs=4M} of every file in turn. Returns bytes per second. */
    private static double dd(ShardSet set, boolean cold) throws Exception {
        if (cold) {
            dropCache(set);
        }
        long t0 = System.nanoTime();
        for (Path f : set.files()) {
            run("dd", "if=" + f, "of=/dev/null", "bs=4M", "status=none");
        }
        return set.bytes() / ((System.nanoTime() - t0) / 1e9);
    }

    /** Drops the files' pages from the page cache (GNU dd: posix_fadvise DONTNEED on the whole file). */
    private static void dropCache(ShardSet set) throws Exception {
        run("sync");
        for (Path f : set.files()) {
            run("dd", "if=" + f, "iflag=nocache", "count=0", "status=none");
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue());
        }
    }

    /**
     * Builds a source and reads two epochs in batches, each timed: as float32, or with {@code stored} as stored in
     * the files ({@code readStored}). Returns file bytes per second of both.
     */
    private static double[] loader(ShardSet set, LoaderOptions options, int batch, String label, boolean stored,
                                   boolean cold, boolean smallPages) throws Exception {
        if (cold) {
            dropCache(set);
        }
        int dIn = set.dIn();
        ByteBuffer[] bytes = new ByteBuffer[2];
        FloatBuffer[] bufs = new FloatBuffer[2];
        for (int i = 0; i < 2; i++) {
            bytes[i] = batchMemory(batch * dIn * 4, smallPages);
            bufs[i] = bytes[i].asFloatBuffer();
        }
        double[] rates = loaderEpochs(set, options, batch, label, stored, cold, bytes, bufs);
        for (ByteBuffer b : bytes) {
            freeBatchMemory(b); // the source closed: its reading threads have stopped (close waits for them)
        }
        return rates;
    }

    /** {@link #loader}'s source and its two timed epochs, reading into {@code bytes} or {@code bufs} (the same memory). */
    private static double[] loaderEpochs(ShardSet set, LoaderOptions options, int batch, String label, boolean stored,
                                         boolean cold, ByteBuffer[] bytes, FloatBuffer[] bufs) throws Exception {
        long t0 = System.nanoTime();
        try (ActivationSource src = set.dtype() == DType.BF16
                ? SafetensorsActivationSource.builder().files(set.files()).tensor("activations").options(options).build()
                : NpyActivationSource.builder().files(set.files()).options(options).build()) {
            double openSecs = (System.nanoTime() - t0) / 1e9;
            int dIn = src.dIn();
            double[] out = new double[2];
            for (int e = 0; e < 2; e++) {
                if (e > 0) {
                    src.nextEpoch();
                    if (cold) {
                        dropCache(set);
                    }
                }
                long rows = 0;
                double checksum = 0;
                double cpu0 = cpuSeconds();
                long t1 = System.nanoTime();
                int n;
                int b = 0;
                do {
                    if (stored) {
                        ByteBuffer buf = bytes[b];
                        n = src.readStored(buf.clear(), batch);
                        src.readAheadStored(bytes[b ^ 1].clear(), batch);
                        int rowBytes = dIn * set.dtype().byteSize();
                        for (int i = 0; i < buf.position(); i += rowBytes) {
                            checksum += buf.get(i); // one value per row: the rows are there
                        }
                    } else {
                        FloatBuffer buf = bufs[b];
                        n = src.read(buf.clear(), batch);
                        src.readAhead(bufs[b ^ 1].clear(), batch);
                        int floats = n * dIn;
                        for (int i = 0; i < floats; i += dIn) {
                            checksum += buf.get(i); // one value per row: the rows are there
                        }
                    }
                    b ^= 1;
                    rows += n;
                } while (n > 0);
                double secs = (System.nanoTime() - t1) / 1e9;
                double cpu = cpuSeconds() - cpu0;
                if (rows != set.rows()) {
                    throw new IllegalStateException("read " + rows + " rows, expected " + set.rows());
                }
                double fileBytes = rows * (double) set.fileRowBytes();
                System.out.printf(Locale.ROOT, "loader %s %s epoch %d: %.2f GB of file in %.2f s: %.2f GB/s, cpu %.2f s%s"
                                + " (checksum %.1f)%n", set.dtype(), label, e + 1, fileBytes / 1e9, secs,
                        fileBytes / 1e9 / secs, cpu, e == 0 ? String.format(Locale.ROOT, ", opened in %.3f s", openSecs)
                                : "", checksum);
                out[e] = fileBytes / secs;
            }
            return out;
        }
    }

    /** Whether batch-sized destinations are direct buffers on small pages ({@code --small-pages}). */
    private static boolean smallPageBatches;

    /**
     * A destination of a batch's size, zeroed as the backends' input buffers are when an SAE is made (so that the
     * first timed pass does not pay for the pages' first touch): {@link DirectBuffers#allocateBatch} (2 MiB pages
     * where the kernel gives them), or with {@code smallPages} a page-aligned direct buffer. Free it with
     * {@link #freeBatchMemory}.
     */
    private static ByteBuffer batchMemory(int size, boolean smallPages) {
        ByteBuffer b;
        if (smallPages) {
            ByteBuffer root = ByteBuffer.allocateDirect(size + 4096);
            b = pageAlignedIn(root, size);
            SMALL_PAGE_ROOTS.put(b, root); // a slice cannot be freed: its root can
        } else {
            b = DirectBuffers.allocateBatch(size);
        }
        for (int i = 0; i + 8 <= size; i += 8) {
            b.putLong(i, 0);
        }
        return b;
    }

    /** The buffers {@link #batchMemory} sliced page-aligned buffers on small pages from, for {@link #freeBatchMemory}. */
    private static final Map<ByteBuffer, ByteBuffer> SMALL_PAGE_ROOTS = java.util.Collections.synchronizedMap(
            new java.util.IdentityHashMap<>());

    /** Frees a buffer of {@link #batchMemory} at once: the two kinds are then compared on equal terms. */
    private static void freeBatchMemory(ByteBuffer b) {
        ByteBuffer root = SMALL_PAGE_ROOTS.remove(b);
        DirectBuffers.free(root != null ? root : b);
    }

    /** What backs {@link DirectBuffers#allocateBatch}'s memory here: 2 MiB pages after a first touch, or not. */
    private static String describeBatchPages() throws IOException {
        if (smallPageBatches) {
            return "small pages (--small-pages)";
        }
        Path rollup = Path.of("/proc/self/smaps_rollup");
        if (!Files.isReadable(rollup)) {
            return "DirectBuffers.allocateBatch (whether on 2 MiB pages is not known here)";
        }
        long before = anonHugeKib(rollup);
        ByteBuffer probe = batchMemory(8 << 20, false);
        long gained = anonHugeKib(rollup) - before;
        freeBatchMemory(probe);
        return gained >= 4096 ? "2 MiB pages (DirectBuffers.allocateBatch; a probe of 8 MiB got " + gained + " KiB of them)"
                : "small pages (DirectBuffers.allocateBatch, but the kernel gave a probe of 8 MiB " + gained
                + " KiB of 2 MiB pages)";
    }

    private static long anonHugeKib(Path rollup) throws IOException {
        for (String line : Files.readAllLines(rollup)) {
            if (line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    /**
     * A direct buffer starting on a page, as a GPU backend's pinned buffers do. Where it starts matters: on this
     * project's AMD machine the kernel copies into memory 8 or 16 bytes past a 64-byte boundary (where
     * {@code allocateDirect}'s buffers usually start) at a third of the speed (see docs/performance.md), so every
     * buffer of this benchmark, the baselines' too, starts on a page.
     */
    static ByteBuffer pageAligned(int bytes) {
        return pageAlignedIn(ByteBuffer.allocateDirect(bytes + 4096), bytes);
    }

    /** The first {@code bytes} of {@code root} from its first page boundary on ({@code root} has a page to spare). */
    private static ByteBuffer pageAlignedIn(ByteBuffer root, int bytes) {
        return root.alignedSlice(4096).limit(bytes).slice().order(ByteOrder.nativeOrder());
    }

    /** CPU seconds used by this process so far (all threads), or NaN if unknown. */
    private static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /**
     * Deletes a folder and everything in it, if it exists (also used by {@link LoaderBenchmark}).
     *
     * @param dir the folder
     * @throws IOException if something cannot be deleted
     */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
