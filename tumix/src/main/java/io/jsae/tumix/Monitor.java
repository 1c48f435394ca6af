package io.jsae.tumix;

import java.util.OptionalDouble;

/**
 * Which value of each {@link RefinementResult} {@link TumixTermination} watches, and which way is better.
 *
 * <p>The name {@link RefinementResult#LOSS} reads the loss field, {@link RefinementResult#VALIDATION_SCORE}
 * the validation score field, and any other name the metric of that name, which every round of the history
 * must then report.
 *
 * @param name      the field or metric name
 * @param direction whether smaller or larger values are better
 */
public record Monitor(String name, Direction direction) {

    /** Which way a monitored value gets better. */
    public enum Direction {
        /** Smaller is better (loss, FVU, dead features). */
        MINIMIZE,
        /** Larger is better (validation score, explained variance, accuracy). */
        MAXIMIZE
    }

    /**
     * Validates the arguments.
     *
     * @param name the field or metric name
     * @param direction whether smaller or larger is better
     * @throws IllegalArgumentException if the name is blank or the direction missing
     */
    public Monitor {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("monitor name must not be blank");
        }
        if (direction == null) {
            throw new IllegalArgumentException("monitor direction must not be null (MINIMIZE or MAXIMIZE)");
        }
    }

    /**
     * The default monitor: the loss, minimized.
     *
     * @return a monitor of {@link RefinementResult#loss()}
     */
    public static Monitor loss() {
        return new Monitor(RefinementResult.LOSS, Direction.MINIMIZE);
    }

    /**
     * The validation score, maximized.
     *
     * @return a monitor of {@link RefinementResult#validationScore()}
     */
    public static Monitor validationScore() {
        return new Monitor(RefinementResult.VALIDATION_SCORE, Direction.MAXIMIZE);
    }

    /**
     * A named metric with a direction.
     *
     * @param name      the metric name, e.g. {@code explained_variance}
     * @param direction whether smaller or larger is better
     * @return the monitor
     */
    public static Monitor metric(String name, Direction direction) {
        return new Monitor(name, direction);
    }

    /**
     * Reads the monitored value of a round.
     *
     * @param result the round
     * @return its value, possibly non-finite
     * @throws IllegalArgumentException if the round does not report the monitored metric
     */
    public double valueOf(RefinementResult result) {
        OptionalDouble v = result.value(name);
        if (v.isEmpty()) {
            throw new IllegalArgumentException("round " + result.round() + " has no metric '" + name
                    + "' to monitor (it has " + result.metrics().keySet()
                    + "); report it in every round or monitor another value");
        }
        return v.getAsDouble();
    }

    /**
     * How much better {@code value} is than {@code reference}: positive when better, negative when worse.
     *
     * @param value     the new value
     * @param reference the value it is compared with
     * @return the signed gain in the monitored unit
     */
    public double gain(double value, double reference) {
        return direction == Direction.MINIMIZE ? reference - value : value - reference;
    }
}
