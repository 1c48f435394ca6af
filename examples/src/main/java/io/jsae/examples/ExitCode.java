package io.jsae.examples;

/**
 * The exit codes of the {@code jsae} command, one per kind of outcome a script may want to tell apart.
 * README.md lists them too.
 */
public final class ExitCode {
    /** The command did what was asked (including "the run is already complete"). */
    public static final int OK = 0;
    /** An unexpected failure: a bug or an I/O error with no better code; rerun with --verbose for the trace. */
    public static final int FAILURE = 1;
    /** The command line is wrong: an unknown option, a bad value, a missing argument, an existing --out. */
    public static final int USAGE = 2;
    /** The input data or model folder cannot be read as asked: missing, malformed, non-finite, wrong shape. */
    public static final int BAD_DATA = 3;
    /** The backend asked for (or every backend) cannot run here. */
    public static final int BACKEND_UNAVAILABLE = 4;
    /** A preflight check failed. */
    public static final int PREFLIGHT_FAILED = 5;
    /** Interrupted by SIGINT or SIGTERM after writing a checkpoint; run the same command to resume. */
    public static final int INTERRUPTED = 130;

    private ExitCode() {
    }
}
