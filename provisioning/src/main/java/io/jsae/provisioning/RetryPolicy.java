package io.jsae.provisioning;

import java.time.Duration;
import java.util.Objects;

/**
 * How a live price source retries an HTTP 429 (rate limited) or 5xx answer: at most {@code maxRetries} more
 * attempts, waiting what the server's {@code Retry-After} asks, else {@code initialBackoff} doubling per
 * attempt, and never longer than {@code maxBackoff} per wait.
 *
 * @param maxRetries     retries after the first attempt, 0 or more
 * @param initialBackoff first wait when the server gives no Retry-After
 * @param maxBackoff     the longest single wait, Retry-After included
 */
public record RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff) {

    /** Three retries, 1 s doubling, at most 30 s per wait. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(30));

    /**
     * Validates the bounds.
     *
     * @param maxRetries retries after the first attempt, 0 or more
     * @param initialBackoff first wait when the server gives no Retry-After
     * @param maxBackoff the longest single wait, Retry-After included
     */
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxRetries < 0 || initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("retry policy " + maxRetries + " retries, " + initialBackoff + " .. "
                    + maxBackoff + " is not bounded; give retries >= 0 and 0 <= initialBackoff <= maxBackoff");
        }
    }

    /**
     * The wait before retry number {@code attempt} (from 1) when the server gave no Retry-After.
     *
     * @param attempt retry number, from 1
     * @return the wait, at most {@link #maxBackoff()}
     */
    public Duration backoff(int attempt) {
        Duration wait = initialBackoff.multipliedBy(1L << Math.min(attempt - 1, 30));
        return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    }
}
