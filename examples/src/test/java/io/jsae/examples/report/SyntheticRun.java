package io.jsae.examples.report;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A made-up but plausible training run for the report's tests, the same on every call. */
final class SyntheticRun {

    /** Latents in the synthetic density. */
    static final int LATENTS = 2048;
    /** Of them, the ones that never fire. */
    static final int DEAD = 150;
    /** Of them, the ones that fire on 20% of tokens. */
    static final int DENSE = 12;
    /** Evaluation tokens of the synthetic density. */
    static final long EVAL_TOKENS = 100_000;

    private SyntheticRun() {
    }

    /**
     * @param count how many steps to sample, 100 steps apart
     * @return steps whose loss decays, explained variance rises and L0 settles, with a little noise; the first point's
     *         explained variance is NaN, as it is when the first sample comes before any measurement
     */
    static List<StepPoint> steps(int count) {
        Random random = new Random(7);
        List<StepPoint> steps = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long step = 100L * (i + 1);
            double t = i / (double) count;
            double loss = 0.02 + 0.5 * Math.exp(-6 * t) + 0.004 * random.nextGaussian();
            double ev = i == 0 ? Double.NaN : 0.95 - 0.6 * Math.exp(-5 * t) + 0.003 * random.nextGaussian();
            double l0 = 64 + 400 * Math.exp(-8 * t) + random.nextGaussian();
            steps.add(new StepPoint(step, step * 4096, loss, ev, l0, 0.2 * Math.exp(-4 * t), 4e-4,
                    1.29 * step / 20_000.0));
        }
        return steps;
    }

    /** @return three TUMIX rounds, the last one stopping */
    static List<RoundRow> rounds() {
        String monitored = "fvu = 1 - explained variance";
        return List.of(
                new RoundRow(1, metrics(0.31, 0.69, 88), monitored, 0.31, false, "continue",
                        "FVU fell from 0.52 to 0.31, more than the 5% minimum gain."),
                new RoundRow(2, metrics(0.12, 0.88, 70), monitored, 0.12, false, "continue",
                        "FVU fell by 61%, so another round is worth its cost."),
                new RoundRow(3, metrics(0.115, 0.885, 66), monitored, 0.115, true, "stop: gain below 5%",
                        "FVU fell only 4.2%; two agents of three agree the gain is below the 5% threshold."));
    }

    private static Map<String, Double> metrics(double fvu, double ev, double l0) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("fvu", fvu);
        m.put("explained_variance", ev);
        m.put("l0", l0);
        m.put("dead_features", 0.07);
        return m;
    }

    /** @return fire counts with {@link #DEAD} dead latents, {@link #DENSE} dense ones and the rest spread out */
    static Density density() {
        Random random = new Random(11);
        long[] fires = new long[LATENTS];
        for (int i = 0; i < LATENTS; i++) {
            if (i < DEAD) {
                fires[i] = 0;
            } else if (i < DEAD + DENSE) {
                fires[i] = EVAL_TOKENS / 5;
            } else {
                double log10 = -2.8 + 0.6 * random.nextGaussian();
                fires[i] = Math.max(1, Math.min(EVAL_TOKENS / 20, Math.round(Math.pow(10, log10) * EVAL_TOKENS)));
            }
        }
        return new Density(EVAL_TOKENS, fires);
    }

    /**
     * @param costSoFar    dollars spent
     * @param fractionDone how much of the run is done
     * @return a cost against the guide's "$15.48 ± 10%" estimate
     */
    static CostSummary cost(String costSoFar, double fractionDone) {
        return new CostSummary("Lambda 1x A100 40 GB", new BigDecimal("1.29"), new BigDecimal(costSoFar),
                new BigDecimal("15.48"), new BigDecimal("0.10"), fractionDone);
    }

    /** @return a full report: 300 steps, 3 rounds, a density and a cost whose projection is in its band */
    static RunReport full() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("config", "topk k=64, d_in=768, d_sae=2048");
        settings.put("backend", "cpu");
        settings.put("data", "activations/gpt2-layer8 (30,000 rows)");
        settings.put("TUMIX rules", "stop when FVU improves by less than 5% over a round; at most 5 rounds");
        settings.put("offer", "Lambda 1x A100 40 GB at $1.29/h");
        return new RunReport("jsae training run: gpt2 layer 8", Instant.parse("2026-11-30T01:00:00Z"), settings,
                steps(300), rounds(), "Stopped after round 3: FVU improved by 4.2%, below the 5% threshold.",
                density(), cost("7.10", 0.5));
    }
}
