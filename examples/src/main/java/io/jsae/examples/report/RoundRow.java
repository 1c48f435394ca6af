package io.jsae.examples.report;

import java.util.Map;
import java.util.Objects;

/**
 * One TUMIX round as the report's table shows it.
 *
 * @param round          round number
 * @param metrics        the round's metrics by name, in display order
 * @param monitored      the quantity TUMIX compares (e.g. "fvu = 1 - explained variance")
 * @param monitoredValue its value this round
 * @param stop           whether TUMIX decided to stop after this round
 * @param decision       the decision in words
 * @param reasoning      why TUMIX decided so
 */
public record RoundRow(int round, Map<String, Double> metrics, String monitored, double monitoredValue,
                       boolean stop, String decision, String reasoning) {

    /**
     * Checks that the metrics map is there; it may be empty.
     *
     * @param round          round number
     * @param metrics        the round's metrics by name, in display order
     * @param monitored      the quantity TUMIX compares (e.g. "fvu = 1 - explained variance")
     * @param monitoredValue its value this round
     * @param stop           whether TUMIX decided to stop after this round
     * @param decision       the decision in words
     * @param reasoning      why TUMIX decided so
     * @throws NullPointerException when metrics is null
     */
    public RoundRow {
        Objects.requireNonNull(metrics, "metrics");
    }
}
