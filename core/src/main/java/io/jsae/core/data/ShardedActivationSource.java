package io.jsae.core.data;

import io.jsae.core.io.DType;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the file-backed sources share: a {@link ShardedStream} over validated shards, and the accessors and
 * stream operations that only delegate to it. The subclasses differ only in how they find and validate
 * their shards.
 */
public abstract sealed class ShardedActivationSource implements ActivationSource
        permits NpyActivationSource, SafetensorsActivationSource {
    private final List<Path> files;
    private final LoaderOptions options;
    private final ShardedStream stream;

    ShardedActivationSource(List<Path> files, List<ShardSpec> shards, LoaderOptions options) {
        this.files = List.copyOf(files);
        this.options = options;
        this.stream = new ShardedStream(shards, options);
    }

    /** @return the shard files, in the unshuffled order */
    public List<Path> files() {
        return files;
    }

    /** @return the options this source was built with */
    public LoaderOptions options() {
        return options;
    }

    /** @return rows with NaN or infinity skipped by reads so far; always 0 unless {@link LoaderOptions#skipNonFinite()} */
    public long skippedRows() {
        return stream.skippedRows();
    }

    /** {@inheritDoc} */
    @Override
    public int dIn() {
        return stream.dIn();
    }

    /** {@inheritDoc} Includes rows that {@link LoaderOptions#skipNonFinite()} would skip. */
    @Override
    public long rowsPerEpoch() {
        return stream.rowsPerEpoch();
    }

    /**
     * {@inheritDoc}
     *
     * @throws ActivationDataException naming the file and row for a non-finite value (unless skipped), or
     *                                 the file and offset for a file that changed or cannot be read; the
     *                                 error repeats on later reads until {@link #seek}
     * @throws IllegalStateException   if the source is closed
     */
    @Override
    public int read(FloatBuffer dst, int maxRows) {
        return stream.read(dst, maxRows);
    }

    /** {@inheritDoc} */
    @Override
    public void readAhead(FloatBuffer dst, int maxRows) {
        stream.readAhead(dst, maxRows);
    }

    /** {@inheritDoc} */
    @Override
    public void cancelReadAhead() {
        stream.cancelReadAhead();
    }

    /** {@inheritDoc} */
    @Override
    public DType storedType() {
        return stream.storedType();
    }

    /**
     * {@inheritDoc}
     *
     * @throws ActivationDataException as {@link #read}
     * @throws IllegalStateException   if the source is closed
     */
    @Override
    public int readStored(ByteBuffer dst, int maxRows) {
        return stream.readStored(dst, maxRows);
    }

    /** {@inheritDoc} */
    @Override
    public void readAheadStored(ByteBuffer dst, int maxRows) {
        stream.readAheadStored(dst, maxRows);
    }

    /** {@inheritDoc} Skipped non-finite rows count as read. */
    @Override
    public SourcePosition position() {
        return stream.position();
    }

    /** {@inheritDoc} */
    @Override
    public void seek(SourcePosition position) {
        stream.seek(position);
    }

    /** Stops the reading threads and releases files and buffers; idempotent. */
    @Override
    public void close() {
        stream.close();
    }

    /**
     * What the sources' builders share: where the shards are and the loader options.
     *
     * @param <B> the concrete builder
     */
    public abstract static class Builder<B extends Builder<B>> {
        private final String extension;
        private Path directory;
        private final List<Path> files = new ArrayList<>();
        LoaderOptions options = LoaderOptions.DEFAULTS;

        Builder(String extension) {
            this.extension = extension;
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /**
         * Reads every shard file of this directory with the source's extension (hidden files excluded),
         * sorted by file name.
         *
         * @param directory folder of shards
         * @return this builder
         */
        public B directory(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
            return self();
        }

        /**
         * Reads these files, in this order (appends to earlier calls).
         *
         * @param files shard files
         * @return this builder
         */
        public B files(List<Path> files) {
            files.forEach(f -> this.files.add(Objects.requireNonNull(f, "file")));
            return self();
        }

        /**
         * Reads this file (appends to earlier calls).
         *
         * @param file shard file
         * @return this builder
         */
        public B file(Path file) {
            this.files.add(Objects.requireNonNull(file, "file"));
            return self();
        }

        /**
         * Order, checks and reading threads (default {@link LoaderOptions#DEFAULTS}).
         *
         * @param options loader options
         * @return this builder
         */
        public B options(LoaderOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return self();
        }

        /** @return the shard files given, or found in the directory, validated to exist */
        List<Path> resolveFiles() {
            return ShardFiles.resolve(directory, files, extension);
        }
    }
}
