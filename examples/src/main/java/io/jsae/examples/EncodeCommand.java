package io.jsae.examples;

import io.jsae.core.SparseAutoencoder;
import io.jsae.core.SparseCodes;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Encodes activations with a saved SAE and writes each row's strongest latents, rows in file order:
 * {@code OUT/indices.npy} (int32 {@code [rows, N]}) and {@code OUT/values.npy} (float32 {@code [rows, N]}),
 * or one CSV file {@code OUT} with a line {@code row,rank,latent,value} per active latent. Latents are ranked
 * by value, highest first (ties: lower index first). A row with fewer than N active latents is padded with
 * index -1 and value 0 in the .npy files; the CSV lists only active latents.
 */
@Command(name = "encode", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Encode activations with an SAE and write every row's top latents (index, value) as .npy or CSV.")
public final class EncodeCommand implements Callable<Integer> {

    /** Latents written per row when the SAE keeps no fixed number (relu, jumprelu) and --top is not given. */
    static final int DEFAULT_TOP = 32;

    /** Output formats. */
    enum Format {
        /** {@code OUT/indices.npy} and {@code OUT/values.npy}. */
        npy,
        /** One CSV file {@code OUT}. */
        csv
    }

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The SAE folder (SAELens or sparsify layout).")
    private Path dir;

    @Mixin
    private DataOptions data;

    @Option(names = "--out", required = true, paramLabel = "OUT",
            description = "Folder for indices.npy and values.npy, or with --format csv the CSV file.")
    private Path out;

    @Option(names = "--format", defaultValue = "npy", paramLabel = "npy|csv",
            description = "Output format: ${COMPLETION-CANDIDATES}.")
    private Format format;

    @Option(names = "--top", paramLabel = "N",
            description = "Latents per row (default: the SAE's k, or " + DEFAULT_TOP + " for relu and jumprelu).")
    private Integer top;

    @Option(names = "--force", description = "Replace an existing OUT.")
    private boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (data.path() == null) {
            throw new CommandFailure(ExitCode.USAGE, "--data is required", "pass the activations to encode");
        }
        if (data.skipNonFinite()) {
            throw new CommandFailure(ExitCode.USAGE, "--skip-non-finite cannot be used with encode: it writes one"
                    + " output row per input row, and skipped rows would shift every row after them",
                    "clean the data, or encode without the option to find the first bad row");
        }
        checkOut();
        SparseAutoencoder sae = SaeFolderArgument.load(dir);
        int n = top != null ? top : sae.config().activation().k() > 0 ? sae.config().activation().k() : DEFAULT_TOP;
        if (n < 1 || n > sae.dSae()) {
            throw new CommandFailure(ExitCode.USAGE, "--top must be between 1 and d_sae=" + sae.dSae() + ", was " + n,
                    null);
        }
        long rows;
        try (ActivationSource source = data.open(false, 0)) {
            SaeRows reader = SaeRows.of(source, sae, data.path(), dir);
            rows = source.rowsPerEpoch();
            if (rows < 0) {
                throw new CommandFailure(ExitCode.BAD_DATA, "--data " + data.path() + " has no known row count",
                        "pass .npy or .safetensors shards");
            }
            SaeRows.Progress progress = new SaeRows.Progress(err, "encode", rows);
            // written under .partial names and moved into place at the end: a failed run leaves neither a
            // truncated file nor a half-replaced earlier output
            boolean created = !Files.exists(out);
            List<Path[]> moves = new ArrayList<>();
            try {
                if (format == Format.npy) {
                    Files.createDirectories(out);
                    Path idxFile = partial(out.resolve("indices.npy"), moves);
                    Path valFile = partial(out.resolve("values.npy"), moves);
                    try (NpyWriter indices = NpyWriter.create(idxFile, DType.I32, rows, n);
                         NpyWriter values = NpyWriter.create(valFile, DType.F32, rows, n)) {
                        encode(sae, reader, n, progress, (row, idx, val, count) -> {
                            indices.write(idx, 0, n);
                            values.write(val, 0, n);
                        });
                    }
                } else {
                    try (BufferedWriter w = Files.newBufferedWriter(partial(out, moves), StandardCharsets.UTF_8)) {
                        w.write("row,rank,latent,value\n");
                        encode(sae, reader, n, progress, (row, idx, val, count) -> {
                            for (int i = 0; i < count; i++) {
                                w.write(row + "," + i + "," + idx[i] + "," + Float.toString(val[i]) + "\n");
                            }
                        });
                    }
                }
                for (Path[] m : moves) {
                    Files.move(m[0], m[1], StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException | RuntimeException e) {
                for (Path[] m : moves) {
                    Files.deleteIfExists(m[0]);
                }
                if (created && format == Format.npy && Files.isDirectory(out)) {
                    try (var left = Files.list(out)) {
                        if (left.findAny().isEmpty()) {
                            Files.delete(out);
                        }
                    }
                }
                throw e;
            }
        }
        stdout.printf(Locale.ROOT, "encoded %,d rows, top %d latents each: %s%n", rows, n,
                format == Format.npy ? out.resolve("indices.npy") + ", " + out.resolve("values.npy") : out);
        stdout.flush();
        return ExitCode.OK;
    }

    /** The .partial sibling of {@code target}, recorded to be moved onto it when the run succeeds. */
    private static Path partial(Path target, List<Path[]> moves) {
        Path p = target.resolveSibling(target.getFileName() + ".partial");
        moves.add(new Path[] {p, target});
        return p;
    }

    private void checkOut() {
        if (format == Format.csv && Files.isDirectory(out)) {
            throw new CommandFailure(ExitCode.USAGE, "--out " + out + " is a folder; with --format csv it names the"
                    + " CSV file", "name a file, e.g. " + out.resolve("latents.csv"));
        }
        if (format == Format.npy && Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandFailure(ExitCode.USAGE, "--out " + out + " is a file; with --format npy it names the"
                    + " folder for indices.npy and values.npy", "name a folder");
        }
        if (Files.exists(out) && !force) {
            throw new CommandFailure(ExitCode.USAGE, "--out " + out + " already exists", "choose another path, or"
                    + " pass --force to replace it");
        }
    }

    /** Receives one row's ranked latents. */
    private interface RowSink {
        /**
         * @param row   the row's index in the data
         * @param idx   latent indices, best first, padded with -1 to the requested count
         * @param val   their values, padded with 0
         * @param count active latents among them
         */
        void accept(long row, int[] idx, float[] val, int count) throws IOException;
    }

    private static void encode(SparseAutoencoder sae, SaeRows reader, int n, SaeRows.Progress progress, RowSink sink)
            throws IOException {
        int[] idx = new int[n];
        float[] val = new float[n];
        long row = 0;
        float[][] batch;
        while ((batch = reader.next(Long.MAX_VALUE)) != null) {
            SparseCodes codes = sae.encodeInParallel(batch);
            for (int r = 0; r < batch.length; r++) {
                int count = topLatents(codes.indices(r), codes.values(r), idx, val);
                sink.accept(row++, idx, val, count);
            }
            progress.update(row);
        }
    }

    /**
     * The {@code idx.length} largest of a row's active latents, highest value first and lower index first among
     * equal values, padded with index -1 and value 0.
     *
     * @return how many entries are active latents
     */
    static int topLatents(int[] indices, float[] values, int[] idx, float[] val) {
        Integer[] order = new Integer[indices.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int byValue = Float.compare(values[b], values[a]);
            return byValue != 0 ? byValue : Integer.compare(indices[a], indices[b]);
        });
        int count = Math.min(idx.length, order.length);
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i < count ? indices[order[i]] : -1;
            val[i] = i < count ? values[order[i]] : 0f;
        }
        return count;
    }
}
