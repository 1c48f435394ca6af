package io.jsae.provisioning;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a list of {@link PreflightCheck}s and reports every result, not only the first failure, so that one
 * look fixes everything before the meter starts.
 */
public final class Preflight {

    private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);

    private final List<PreflightCheck> checks;

    /**
     * A preflight of these checks, run in this order.
     *
     * @param checks the checks
     */
    public Preflight(List<PreflightCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    /**
     * A preflight of these checks, run in this order.
     *
     * @param checks the checks
     * @return the preflight
     */
    public static Preflight of(PreflightCheck... checks) {
        return new Preflight(List.of(checks));
    }

    /**
     * Runs every check. A check that throws is reported as a FAIL naming the exception.
     *
     * @return all results, in check order
     */
    public Report run() {
        List<CheckResult> results = new ArrayList<>();
        for (PreflightCheck check : checks) {
            CheckResult result;
            try {
                result = check.run();
                if (result == null) {
                    result = CheckResult.fail(check.name(), "the check returned no result",
                            "fix the check: it must return a CheckResult");
                }
            } catch (RuntimeException e) {
                result = CheckResult.fail(check.name(), "the check threw " + e.getClass().getSimpleName() + ": "
                        + e.getMessage(), "fix the check or its configuration; checks report problems as results");
            }
            LOG.info("preflight {}: {} - {}", result.status(), result.name(), result.message());
            results.add(result);
        }
        return new Report(results);
    }

    /**
     * The results of a preflight.
     *
     * @param results every result, in check order
     */
    public record Report(List<CheckResult> results) {

        /**
         * Copies the results.
         *
         * @param results every result, in check order
         */
        public Report {
            results = List.copyOf(results);
        }

        /**
         * Says whether no check failed (warnings and skipped checks allowed).
         *
         * @return true when ready to start
         */
        public boolean ready() {
            return results.stream().noneMatch(r -> r.status() == CheckResult.Status.FAIL);
        }

        /**
         * Results with one status.
         *
         * @param status the status
         * @return matching results, in check order
         */
        public List<CheckResult> withStatus(CheckResult.Status status) {
            return results.stream().filter(r -> r.status() == status).toList();
        }

        /**
         * The report as a Markdown table: Check | Status | Finding | Remedy.
         *
         * @return Markdown text
         */
        public String toMarkdown() {
            Markdown table = new Markdown("Check", "Status", "Finding", "Remedy");
            results.forEach(r -> table.row(r.name(), r.status().name(), oneLine(r.message()), oneLine(r.remedy())));
            return table.render();
        }

        private static String oneLine(String text) {
            return text.replaceAll("\\s*\\R\\s*", " ");
        }
    }
}
