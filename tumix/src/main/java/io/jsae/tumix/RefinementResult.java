package io.jsae.tumix;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What one round (a training epoch, an evaluation, or an LLM refinement round) produced: the numbers
 * {@link TumixTermination} decides on.
 *
 * <p>Rounds are counted from 1: {@code round} r means r rounds are complete. In a history the rounds must
 * strictly increase; gaps are allowed (for example an evaluation every second epoch), and then
 * {@code minRounds}, {@code maxRounds} compare with the round number while {@code patience} counts results.
 *
 * <p>A value a round does not have (say the loss of an LLM refinement round) is {@link Double#NaN}; only the
 * monitored value must be finite, a non-finite monitored value stops the run. Metrics hold any other named
 * number (SAELens names such as {@code explained_variance}, {@code l0}, {@code dead_features}, and
 * {@link #COST}); answers hold the candidate answers of the agents in an LLM refinement round, compared
 * verbatim by the consensus rule (normalize them before recording).
 *
 * @param round           the round number, 1 or more
 * @param loss            the round's loss; {@code NaN} if it has none
 * @param validationScore the round's validation score (higher is better); {@code NaN} if it has none
 * @param metrics         further named values, kept in the given order; an entry named {@code loss} or
 *                        {@code validationScore} is allowed only if it equals the field of that name
 * @param answers         the agents' answers in this round (may be empty)
 */
public record RefinementResult(int round, double loss, double validationScore, Map<String, Double> metrics,
                               List<String> answers) {

    /** Name under which {@link #loss()} is monitored or gated. */
    public static final String LOSS = "loss";
    /** Name under which {@link #validationScore()} is monitored or gated. */
    public static final String VALIDATION_SCORE = "validationScore";
    /** Metric holding the cumulative cost so far (dollars, tokens, GPU hours: any unit the budget uses). */
    public static final String COST = "cost";

    /**
     * Validates and copies the arguments, so that a result never changes after it is recorded.
     *
     * @param round the round number, 1 or more
     * @param loss the round's loss
     * @param validationScore the round's validation score
     * @param metrics further named values
     * @param answers the agents' answers
     * @throws IllegalArgumentException naming the field that is wrong
     */
    public RefinementResult {
        if (round < 1) {
            throw new IllegalArgumentException("round must be 1 or more (rounds are counted from 1), got " + round);
        }
        metrics = copyMetrics(round, loss, validationScore, metrics);
        answers = copyAnswers(round, answers);
    }

    /**
     * A result with no further metrics and no answers.
     *
     * @param round           the round number, 1 or more
     * @param loss            the round's loss; {@code NaN} if it has none
     * @param validationScore the round's validation score; {@code NaN} if it has none
     */
    public RefinementResult(int round, double loss, double validationScore) {
        this(round, loss, validationScore, Map.of(), List.of());
    }

    /**
     * A result with metrics and no answers.
     *
     * @param round           the round number, 1 or more
     * @param loss            the round's loss; {@code NaN} if it has none
     * @param validationScore the round's validation score; {@code NaN} if it has none
     * @param metrics         further named values
     */
    public RefinementResult(int round, double loss, double validationScore, Map<String, Double> metrics) {
        this(round, loss, validationScore, metrics, List.of());
    }

    /**
     * The value of a name: {@link #LOSS} and {@link #VALIDATION_SCORE} read the fields, any other name reads
     * {@link #metrics()}.
     *
     * @param name a field or metric name
     * @return the value, possibly non-finite; empty if this round has no metric of that name
     */
    public OptionalDouble value(String name) {
        if (LOSS.equals(name)) {
            return OptionalDouble.of(loss);
        }
        if (VALIDATION_SCORE.equals(name)) {
            return OptionalDouble.of(validationScore);
        }
        Double v = metrics.get(name);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    private static Map<String, Double> copyMetrics(int round, double loss, double validationScore,
                                                   Map<String, Double> metrics) {
        if (metrics == null) {
            throw new IllegalArgumentException("metrics of round " + round + " must not be null (use Map.of())");
        }
        Map<String, Double> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            String key = e.getKey();
            Double value = e.getValue();
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("metrics of round " + round + " has a null or blank name");
            }
            if (value == null) {
                throw new IllegalArgumentException("metrics of round " + round + ": '" + key
                        + "' has no value (use Double.NaN for a missing number)");
            }
            // A trainer's metric map often repeats the loss; accept it, but never two different values.
            if (LOSS.equals(key) && Double.compare(value, loss) != 0) {
                throw new IllegalArgumentException("metrics of round " + round + ": 'loss' is " + value
                        + " but the loss field is " + loss);
            }
            if (VALIDATION_SCORE.equals(key) && Double.compare(value, validationScore) != 0) {
                throw new IllegalArgumentException("metrics of round " + round + ": 'validationScore' is " + value
                        + " but the validationScore field is " + validationScore);
            }
            copy.put(key, value);
        }
        return Collections.unmodifiableMap(copy);
    }

    private static List<String> copyAnswers(int round, List<String> answers) {
        if (answers == null) {
            throw new IllegalArgumentException("answers of round " + round + " must not be null (use List.of())");
        }
        List<String> copy = new ArrayList<>(answers.size());
        for (int i = 0; i < answers.size(); i++) {
            String a = answers.get(i);
            if (a == null) {
                throw new IllegalArgumentException("answers of round " + round + ": answer " + i + " is null");
            }
            copy.add(a);
        }
        return Collections.unmodifiableList(copy);
    }
}
