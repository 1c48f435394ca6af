package io.jsae.core.io;

import java.nio.file.Path;

/**
 * A tensor file (safetensors or {@code .npy}) that cannot be read: wrong magic, malformed header, an
 * unsupported dtype, offsets outside the file, a truncated file, or an I/O error while reading it.
 *
 * <p>The message starts with the file and the byte offset at fault, e.g.
 * {@code "shard-0.npy (byte 6): unsupported .npy version 9.0; ..."}, then says what was wrong and what to
 * do. {@link #file()} and {@link #offset()} give the same location to programs.
 *
 * <p>It is a {@link DataFormatException}, like the errors of the activation sources that read such files as
 * shards, so that code reading activation data catches both with that one type.
 */
public class TensorFileException extends DataFormatException {
    private static final long serialVersionUID = 1L;

    /** The file at fault; not serialized. */
    private final transient Path file;
    private final long offset;

    /**
     * @param file    the file at fault
     * @param offset  the byte offset at fault, or {@code -1} when the problem concerns the whole file
     * @param problem what was wrong and what to do
     */
    public TensorFileException(Path file, long offset, String problem) {
        this(file, offset, problem, null);
    }

    /**
     * @param file    the file at fault
     * @param offset  the byte offset at fault, or {@code -1} when the problem concerns the whole file
     * @param problem what was wrong and what to do
     * @param cause   the underlying I/O or parse error, may be {@code null}
     */
    public TensorFileException(Path file, long offset, String problem, Throwable cause) {
        super(format(file, offset, problem), cause);
        this.file = file;
        this.offset = offset;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The byte offset at fault, or {@code -1} when the problem concerns the whole file. */
    public long offset() {
        return offset;
    }

    private static String format(Path file, long offset, String problem) {
        String where = offset >= 0 ? file + " (byte " + offset + ")" : String.valueOf(file);
        return where + ": " + problem;
    }
}
