package io.jsae.provisioning;

/**
 * One readiness check to run before a paid GPU run starts. A check reports problems as a {@link CheckResult}
 * with a remedy rather than throwing; {@link Preflight} turns an unexpected exception into a FAIL anyway.
 */
@FunctionalInterface
public interface PreflightCheck {

    /**
     * Runs the check.
     *
     * @return the outcome
     */
    CheckResult run();

    /**
     * A name for reports when the check fails before producing a result.
     *
     * @return the name; the class name unless overridden, "unnamed check" for a lambda or anonymous class
     */
    default String name() {
        Class<?> type = getClass();
        return type.isSynthetic() || type.isAnonymousClass() ? "unnamed check" : type.getSimpleName();
    }
}
