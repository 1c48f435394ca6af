package io.jsae.examples.report;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the report shows about one training run. Lists and the settings map may be empty; nullable fields are
 * said so.
 *
 * @param title         the page's title and heading
 * @param generatedAt   when the report was written
 * @param settings      run settings in display order (config, backend, data, TUMIX rules, offer)
 * @param steps         sampled steps in order
 * @param rounds        TUMIX rounds in order
 * @param stopReasoning nullable: TUMIX's reasoning for the final decision
 * @param density       nullable: no evaluation pass
 * @param cost          nullable: no cost meter
 */
public record RunReport(String title, Instant generatedAt, Map<String, String> settings, List<StepPoint> steps,
                        List<RoundRow> rounds, String stopReasoning, Density density, CostSummary cost) {

    /**
     * Checks that the required parts are there; lists and maps may be empty, not null.
     *
     * @param title         the page's title and heading
     * @param generatedAt   when the report was written
     * @param settings      run settings in display order (config, backend, data, TUMIX rules, offer)
     * @param steps         sampled steps in order
     * @param rounds        TUMIX rounds in order
     * @param stopReasoning nullable: TUMIX's reasoning for the final decision
     * @param density       nullable: no evaluation pass
     * @param cost          nullable: no cost meter
     * @throws NullPointerException when title, generatedAt, settings, steps or rounds is null
     */
    public RunReport {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(generatedAt, "generatedAt");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(rounds, "rounds");
    }
}
