package io.jsae.core.data;

/**
 * A row holding NaN or Inf, met while reading with {@link LoaderOptions#skipNonFinite()} off. {@link #where()}
 * names the file, row, byte and column without the remedy, for callers (a command line) that offer their own.
 */
public class NonFiniteRowException extends ActivationDataException {
    private static final long serialVersionUID = 1L;

    private final String where;

    /** @param where the file, row, byte offset, column and value, e.g. "a.npy row 5 (byte 460, column 3) holds NaN" */
    public NonFiniteRowException(String where) {
        super(where + "; fix the data, or set LoaderOptions.skipNonFinite(true) to skip and count such rows");
        this.where = where;
    }

    /**
     * @param where as {@link #NonFiniteRowException(String)}
     * @param cause the same failure met on another thread (one of the loader's reading threads), kept for its
     *              stack trace
     */
    public NonFiniteRowException(String where, Throwable cause) {
        super(where + "; fix the data, or set LoaderOptions.skipNonFinite(true) to skip and count such rows", cause);
        this.where = where;
    }

    /** @return the file, row, byte offset, column and value, without the remedy */
    public String where() {
        return where;
    }
}
