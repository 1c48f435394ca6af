package io.jsae.core.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/** A listener that logs a progress line every N steps and at each epoch end. */
public final class ProgressLogger implements TrainingListener {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressLogger.class);
    private final long everySteps;
    private long lastTime = System.nanoTime();
    private long lastTokens;

    /** @param everySteps steps between lines, at least 1 */
    public ProgressLogger(long everySteps) {
        if (everySteps < 1) {
            throw new IllegalArgumentException("everySteps must be >= 1, was " + everySteps);
        }
        this.everySteps = everySteps;
    }

    @Override
    public Action onStep(StepReport r) {
        if ((r.step() + 1) % everySteps == 0) {
            long now = System.nanoTime();
            double rate = (r.tokensSeen() - lastTokens) / ((now - lastTime) / 1e9);
            lastTime = now;
            lastTokens = r.tokensSeen();
            LOG.info(String.format(Locale.ROOT,
                    "step %d, %d tokens: loss %.5g, explained_variance %.4f, l0 %.1f, dead %.2f%%, lr %.3g, %.0f tokens/s",
                    r.step() + 1, r.tokensSeen(), r.metrics().loss(), r.metrics().explainedVariance(), r.metrics().l0(),
                    100 * r.deadFraction(), r.learningRate(), rate));
        }
        return Action.CONTINUE;
    }

    @Override
    public Action onEpoch(EpochSummary summary) {
        LOG.info(summary.toString());
        return Action.CONTINUE;
    }
}
