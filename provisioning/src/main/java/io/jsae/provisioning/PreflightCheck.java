package io.jsae.provisioning;

import java.util.Objects;
import java.util.function.Supplier;

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

    /**
     * A check with a name, so that it is named in a report even when it throws.
     *
     * @param name  the name
     * @param check what it runs
     * @return the check
     */
    static PreflightCheck named(String name, Supplier<CheckResult> check) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(check, "check");
        return new PreflightCheck() {
            @Override
            public CheckResult run() {
                return check.get();
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
