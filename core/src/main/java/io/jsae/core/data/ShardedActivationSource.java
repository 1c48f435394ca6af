package io.jsae.core.data;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;

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

    /** Stops the prefetch thread and releases files, mappings and buffers; idempotent. */
    @Override
    public void close() {
        stream.close();
    }
}
