package io.jsae.provisioning;

import java.util.List;
import java.util.Objects;

/**
 * The answer of {@link SpotAdvisor}'s decision tree: spot or on-demand, with every factor that was weighed
 * and which way it pointed.
 *
 * @param choice  the recommended pricing model
 * @param factors every factor, in the order the tree weighs them
 */
public record Recommendation(Choice choice, List<Factor> factors) {

    /**
     * Validates and copies.
     *
     * @param choice the recommended pricing model
     * @param factors every factor, in the order the tree weighs them
     */
    public Recommendation {
        Objects.requireNonNull(choice, "choice");
        factors = List.copyOf(factors);
    }

    /** What to rent. */
    public enum Choice {
        /** Interruptible spare capacity at a discount. */
        SPOT,
        /** An uninterrupted instance at the list price. */
        ON_DEMAND
    }

    /**
     * One factor of the decision.
     *
     * @param name    what was asked, e.g. "planned runs"
     * @param value   the answer, e.g. "3"
     * @param favours which choice this answer points to
     * @param why     why it points there
     */
    public record Factor(String name, String value, Choice favours, String why) {
    }

    /**
     * The reasoning as text: the choice, then one line per factor.
     *
     * @return several lines of text
     */
    public String reasoning() {
        StringBuilder out = new StringBuilder("Recommendation: ").append(label(choice)).append('\n');
        for (Factor f : factors) {
            out.append("- ").append(f.name()).append(": ").append(f.value()).append(" -> favours ")
                    .append(label(f.favours())).append(": ").append(f.why()).append('\n');
        }
        return out.toString();
    }

    static String label(Choice choice) {
        return choice == Choice.SPOT ? "spot" : "on-demand";
    }
}
