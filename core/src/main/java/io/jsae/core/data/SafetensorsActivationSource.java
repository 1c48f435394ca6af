package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.SafetensorsFile;
import io.jsae.core.io.TensorFileException;
import io.jsae.core.io.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Activations stored as a named 2-D tensor {@code [tokens, d_in]} of {@code F32}, {@code F16} or
 * {@code BF16} in one or many {@code .safetensors} shards (the same tensor name in each). Rows are float32
 * whatever the file stores; other tensors in the files are ignored.
 *
 * <pre>{@code
 * try (SafetensorsActivationSource src = SafetensorsActivationSource.builder()
 *         .directory(Path.of("acts")).tensor("activations")
 *         .options(LoaderOptions.builder().shuffle(42).build())
 *         .build()) {
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link Builder#build()} reads and validates every shard's header first (see {@link SafetensorsFile}),
 * checks the tensor exists with a supported dtype and rank 2, rejects empty shards and shards of different
 * widths, and only then reads data. Order, shuffling, non-finite rows, reading threads, memory and how bytes are
 * read (positional reads) are as {@link LoaderOptions} describes; tensors larger than 2 GiB are read too.
 *
 * <p>One thread reads; {@link #close()} may be called from any thread and stops the reading threads.
 * {@link #read} returns fewer rows than asked only at the end of an epoch.
 */
public final class SafetensorsActivationSource extends ShardedActivationSource {

    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsActivationSource.class);

    private final String tensor;

    private SafetensorsActivationSource(List<Path> files, String tensor, List<ShardSpec> shards, LoaderOptions options) {
        super(files, shards, options);
        this.tensor = tensor;
    }

    /** A builder; give {@link Builder#tensor} and {@link Builder#directory} or {@link Builder#files}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The name of the tensor read from each shard. */
    public String tensor() {
        return tensor;
    }

    /** Builds a {@link SafetensorsActivationSource}. */
    public static final class Builder extends ShardedActivationSource.Builder<Builder> {
        private String tensor;

        private Builder() {
            super(".safetensors");
        }

        /** The tensor to read from every shard (required). */
        public Builder tensor(String name) {
            this.tensor = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Validates every shard's header and tensor and opens the source.
         *
         * @throws IllegalStateException   if no tensor name was given
         * @throws io.jsae.core.io.DataFormatException a {@link TensorFileException} or an
         *                                 {@link ActivationDataException} naming the file and offset for a
         *                                 missing or malformed shard, a missing tensor, an unsupported dtype
         *                                 or rank, an empty shard, or widths that differ
         */
        public SafetensorsActivationSource build() {
            if (tensor == null) {
                throw new IllegalStateException("no tensor name given: call tensor(...)");
            }
            List<Path> paths = resolveFiles();
            List<ShardSpec> shards = new ArrayList<>(paths.size());
            for (Path p : paths) {
                try (SafetensorsFile f = SafetensorsFile.open(p)) {
                    TensorInfo t = f.tensor(tensor);
                    if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
                        throw new TensorFileException(p, t.fileOffset(), "tensor '" + tensor + "' has dtype " + t.dtype()
                                + "; activations are read from F32, F16 or BF16");
                    }
                    if (t.rank() != 2 || t.dim(1) < 1 || t.dim(1) > Integer.MAX_VALUE / 8) {
                        throw new TensorFileException(p, t.fileOffset(), "tensor '" + tensor + "' has shape "
                                + Arrays.toString(t.shape()) + "; activations must be 2-D [tokens, d_in] with"
                                + " 1 <= d_in <= " + Integer.MAX_VALUE / 8 + "; reshape to (-1, d_in) when saving");
                    }
                    shards.add(new ShardSpec(p, "tensor '" + tensor + "' of " + p.getFileName(), t.dtype(), t.dim(0),
                            (int) t.dim(1), t.fileOffset(), f.fileSize()));
                }
            }
            ShardFiles.checkConsistent(shards);
            SafetensorsActivationSource src = new SafetensorsActivationSource(paths, tensor, shards, options);
            LOG.info("opened {} safetensors shard(s), tensor '{}': {} rows of width {}, {}", shards.size(), tensor,
                    src.rowsPerEpoch(), src.dIn(), options.shuffle() ? "shuffled with seed " + options.seed() : "in order");
            return src;
        }
    }
}
