package io.jsae.examples;

/**
 * A failure a command reports as one line on stderr, with the remedy, and an exit code from {@link ExitCode}.
 * Commands throw it for failures they can name; {@link Main} turns it (and the library's own exceptions) into
 * that line, with the stack trace only under {@code --verbose}.
 */
public final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;
    private final String remedy;

    /**
     * @param exitCode one of {@link ExitCode}
     * @param message what went wrong, naming the file, option or value concerned
     * @param remedy what the user can do about it, or null
     */
    public CommandFailure(int exitCode, String message, String remedy) {
        this(exitCode, message, remedy, null);
    }

    /**
     * @param exitCode one of {@link ExitCode}
     * @param message what went wrong, naming the file, option or value concerned
     * @param remedy what the user can do about it, or null
     * @param cause the underlying exception, shown under {@code --verbose}, or null
     */
    public CommandFailure(int exitCode, String message, String remedy, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.remedy = remedy;
    }

    /** @return the process exit code */
    public int exitCode() {
        return exitCode;
    }

    /** @return what the user can do about it, or null */
    public String remedy() {
        return remedy;
    }
}
