package io.jsae.provisioning;

/**
 * A price catalog file that cannot be read as offers. The message names the file, the line, the column and
 * what to change; the same facts are available as fields.
 */
public final class CatalogFormatException extends RuntimeException {

    private final String file;
    private final long line;
    private final String column;

    /**
     * Creates the exception.
     *
     * @param file    the file (or resource) that was read
     * @param line    1-based line number of the bad row
     * @param column  the column name (and number) that is wrong, or null when the whole row is wrong
     * @param problem what is wrong and what to do
     * @param cause   the parser's exception, or null
     */
    public CatalogFormatException(String file, long line, String column, String problem, Throwable cause) {
        super(file + ", line " + line + (column == null ? "" : ", column " + column) + ": " + problem, cause);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    /**
     * The file (or resource name) that was read.
     *
     * @return the file
     */
    public String file() {
        return file;
    }

    /**
     * The 1-based line number of the bad row.
     *
     * @return the line
     */
    public long line() {
        return line;
    }

    /**
     * The bad column as "number (name)", or null when the row as a whole is wrong.
     *
     * @return the column
     */
    public String column() {
        return column;
    }
}
