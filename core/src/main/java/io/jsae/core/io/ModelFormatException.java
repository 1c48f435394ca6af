package io.jsae.core.io;

import java.nio.file.Path;

/**
 * A saved SAE folder that cannot be loaded: a missing or malformed {@code cfg.json}, an unknown
 * architecture, a missing, misshapen, non-finite or unreadable tensor, or a configuration that disagrees
 * with the tensors.
 *
 * <p>The message starts with the file at fault and, where one is, the tensor or configuration field, e.g.
 * {@code "sae/sae_weights.safetensors, tensor 'W_enc': shape [8, 16], expected [d_in=16, d_sae=8]; ..."},
 * then says what was wrong and what to do. {@link #file()} and {@link #part()} give the same location to
 * programs.
 *
 * <p>It is a {@link DataFormatException}: the folder handed to the loader is not a model it can read.
 * Failures of the storage itself (a read error) are {@link java.io.IOException}s instead.
 */
public class ModelFormatException extends DataFormatException {
    private static final long serialVersionUID = 1L;

    /** The file at fault; not serialized. */
    private final transient Path file;
    private final String part;

    /**
     * @param file    the file (or folder) at fault
     * @param part    the tensor or field at fault, e.g. {@code "tensor 'W_enc'"}, or null for the whole file
     * @param problem what was wrong and what to do
     */
    public ModelFormatException(Path file, String part, String problem) {
        this(file, part, problem, null);
    }

    /**
     * @param file    the file (or folder) at fault
     * @param part    the tensor or field at fault, or null for the whole file
     * @param problem what was wrong and what to do
     * @param cause   the underlying parse or read error, may be null
     */
    public ModelFormatException(Path file, String part, String problem, Throwable cause) {
        super(file + (part == null ? "" : ", " + part) + ": " + problem, cause);
        this.file = file;
        this.part = part;
    }

    /** The file (or folder) at fault. */
    public Path file() {
        return file;
    }

    /** The tensor or field at fault (e.g. {@code "tensor 'W_enc'"}, {@code "field 'd_in'"}), or null. */
    public String part() {
        return part;
    }
}
