package io.jsae.core.data;

import io.jsae.core.io.NpyFile;
import io.jsae.core.io.NpyHeader;
import io.jsae.core.io.TensorFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Activations stored as one or many {@code .npy} shards, each a 2-D array {@code [tokens, d_in]} of
 * little-endian float32 ({@code '<f4'}) or float16 ({@code '<f2'}) in C order, as written by
 * {@code np.save}. Rows are float32 whatever the file stores.
 *
 * <pre>{@code
 * try (NpyActivationSource src = NpyActivationSource.builder()
 *         .directory(Path.of("acts"))
 *         .options(LoaderOptions.builder().shuffle(42).build())
 *         .build()) {
 *     FloatBuffer batch = ByteBuffer.allocateDirect(4096 * src.dIn() * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
 *     int rows = src.read(batch, 4096);
 * }
 * }</pre>
 *
 * <p>{@link Builder#build()} reads and validates every shard's header first (magic, version, dtype, C order,
 * 2-D shape, exact file length), rejects empty shards and shards of different widths, and only then reads
 * data. Order, shuffling, non-finite rows, reading threads, memory and how bytes are read (positional reads) are
 * as {@link LoaderOptions} describes; shards larger than 2 GiB are read too.
 *
 * <p>One thread reads; {@link #close()} may be called from any thread and stops the reading threads.
 * {@link #read} returns fewer rows than asked only at the end of an epoch.
 */
public final class NpyActivationSource extends ShardedActivationSource {

    private static final Logger LOG = LoggerFactory.getLogger(NpyActivationSource.class);


    private NpyActivationSource(List<Path> files, List<ShardSpec> shards, LoaderOptions options) {
        super(files, shards, options);
    }

    /** A builder; give {@link Builder#directory} or {@link Builder#files}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link NpyActivationSource}. */
    public static final class Builder extends ShardedActivationSource.Builder<Builder> {

        private Builder() {
            super(".npy");
        }

        /**
         * Validates every shard's header and opens the source.
         *
         * @throws io.jsae.core.io.DataFormatException a {@link TensorFileException} or an
         *                                 {@link ActivationDataException} naming the file and offset for a
         *                                 missing or malformed shard, an empty shard, or widths that differ
         */
        public NpyActivationSource build() {
            List<Path> paths = resolveFiles();
            List<ShardSpec> shards = new ArrayList<>(paths.size());
            for (Path p : paths) {
                NpyHeader h = NpyFile.readHeader(p);
                long size;
                try {
                    size = Files.size(p);
                } catch (IOException e) {
                    throw new TensorFileException(p, -1, "cannot read the file size: " + e, e);
                }
                shards.add(new ShardSpec(p, p.getFileName().toString(), h.dtype(), h.rows(), h.cols(), h.dataOffset(), size));
            }
            ShardFiles.checkConsistent(shards);
            NpyActivationSource src = new NpyActivationSource(paths, shards, options);
            LOG.info("opened {} .npy shard(s): {} rows of width {}, {}", shards.size(), src.rowsPerEpoch(), src.dIn(),
                    options.shuffle() ? "shuffled with seed " + options.seed() : "in order");
            return src;
        }
    }
}
