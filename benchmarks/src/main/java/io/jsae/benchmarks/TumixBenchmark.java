package io.jsae.benchmarks;

import io.jsae.tumix.RefinementResult;
import io.jsae.tumix.StopDecision;
import io.jsae.tumix.TumixTermination;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Times {@link TumixTermination#shouldStop(List)} on a long history (1,000 rounds by default), against a baseline
 * measured in the same run: one pass that only reads each round's loss, the floor any decision over the whole
 * history pays.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TumixBenchmark -f 1 -wi 5 -i 5 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TumixBenchmark {

    /** Rounds in the history. */
    @Param("1000")
    public int rounds;

    private List<RefinementResult> history;
    private TumixTermination defaults;
    private TumixTermination allRules;

    /** Builds a noisy, slowly converging history with SAE metrics, a cumulative cost and five agents' answers. */
    @Setup
    public void setUp() {
        Random random = new Random(42);
        history = new ArrayList<>(rounds);
        double cost = 0;
        for (int r = 1; r <= rounds; r++) {
            double loss = 0.1 + 0.9 * Math.exp(-r / 200.0) * (1 + 0.01 * random.nextGaussian());
            cost += 0.01;
            String majority = Integer.toString(r / 50);
            history.add(new RefinementResult(r, loss, 1 - loss,
                    Map.of("explained_variance", 1 - loss, "l0", 60.0 + random.nextInt(8), RefinementResult.COST, cost),
                    List.of(majority, majority, majority, Integer.toString(r), "other")));
        }
        // maxRounds above the history so that the decision is made mid-run and every rule is evaluated.
        defaults = TumixTermination.builder().maxRounds(2 * rounds).build();
        allRules = TumixTermination.builder().maxRounds(2 * rounds).patience(3)
                .requireAtLeast("explained_variance", 0.5).requireAtMost("l0", 64)
                .divergenceThreshold(10).costBudget(1e9).stopOnConsensus(true).build();
    }

    /**
     * The default configuration.
     *
     * @return the decision, so that it is not optimized away
     */
    @Benchmark
    public StopDecision shouldStopDefaults() {
        return defaults.shouldStop(history);
    }

    /**
     * Every rule on: gates, divergence bound, budget, consensus, patience 3.
     *
     * @return the decision, so that it is not optimized away
     */
    @Benchmark
    public StopDecision shouldStopAllRules() {
        return allRules.shouldStop(history);
    }

    /**
     * Baseline: read every round's loss once.
     *
     * @return the sum, so that it is not optimized away
     */
    @Benchmark
    public double baselineReadLosses() {
        double sum = 0;
        for (RefinementResult r : history) {
            sum += r.loss();
        }
        return sum;
    }
}
