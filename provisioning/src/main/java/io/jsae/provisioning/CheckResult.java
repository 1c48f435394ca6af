package io.jsae.provisioning;

import java.util.Objects;

/**
 * The outcome of one {@link PreflightCheck}.
 *
 * @param name    the check's name, e.g. "Hugging Face access to meta-llama/Llama-3.1-8B"
 * @param status  PASS, WARN or FAIL
 * @param message what was found
 * @param remedy  what to do about it; empty for PASS
 */
public record CheckResult(String name, Status status, String message, String remedy) {

    /**
     * Validates and normalises: a null remedy becomes empty.
     *
     * @param name the check's name, e.g. "Hugging Face access to meta-llama/Llama-3.1-8B"
     * @param status PASS, WARN or FAIL
     * @param message what was found
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
        FAIL
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
