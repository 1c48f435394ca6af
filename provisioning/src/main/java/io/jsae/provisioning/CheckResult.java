package io.jsae.provisioning;

import java.util.Objects;

/**
 * The outcome of one {@link PreflightCheck}.
 *
 * @param name    the check's name, e.g. "Hugging Face access to meta-llama/Llama-3.1-8B"
 * @param status  PASS, WARN, FAIL or SKIP
 * @param message what was found (for SKIP: why the check did not run)
 * @param remedy  what to do about it; empty for PASS
 */
public record CheckResult(String name, Status status, String message, String remedy) {

    /**
     * Validates and normalises: a null remedy becomes empty.
     *
     * @param name the check's name, e.g. "Hugging Face access to meta-llama/Llama-3.1-8B"
     * @param status PASS, WARN, FAIL or SKIP
     * @param message what was found (for SKIP: why the check did not run)
     * @param remedy what to do about it; empty for PASS
     */
    public CheckResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(message, "message");
        remedy = remedy == null ? "" : remedy;
    }

    /** How a check ended. */
    public enum Status {
        /** Ready. */
        PASS,
        /** Works, but something deserves a look before paying for the run. */
        WARN,
        /** Not ready: starting the run would waste money. */
        FAIL,
        /** Not run, on purpose (for example a network check run offline); the message says why. */
        SKIP
    }

    /**
     * A passing result.
     *
     * @param name    check name
     * @param message what was found
     * @return the result
     */
    public static CheckResult pass(String name, String message) {
        return new CheckResult(name, Status.PASS, message, "");
    }

    /**
     * A warning.
     *
     * @param name    check name
     * @param message what was found
     * @param remedy  what to do
     * @return the result
     */
    public static CheckResult warn(String name, String message, String remedy) {
        return new CheckResult(name, Status.WARN, message, remedy);
    }

    /**
     * A check that was not run on purpose; it does not make a preflight fail.
     *
     * @param name check name
     * @param why  why it was not run
     * @param remedy how to run it, or empty
     * @return the result
     */
    public static CheckResult skip(String name, String why, String remedy) {
        return new CheckResult(name, Status.SKIP, why, remedy);
    }

    /**
     * A failure.
     *
     * @param name    check name
     * @param message what was found
     * @param remedy  what to do
     * @return the result
     */
    public static CheckResult fail(String name, String message, String remedy) {
        return new CheckResult(name, Status.FAIL, message, remedy);
    }
}
