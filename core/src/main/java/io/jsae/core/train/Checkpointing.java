package io.jsae.core.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * When a trainer checkpoints: every N steps and/or every so much wall time, and once when the JVM is asked to
 * terminate (SIGTERM, e.g. a spot interruption). The SIGTERM hook is registered once per trainer and removed
 * when the trainer closes, so trainers made one after another in a JVM do not pile up hooks.
 *
 * <p>The hook only flags the trainer and waits (bounded) for it to write the checkpoint at the next step
 * boundary, or writes it itself when no training is in progress.
 */
final class Checkpointing {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointing.class);

    /** What the hook asks of the trainer. */
    interface Target {
        /** @return whether a step loop is running (it will write the checkpoint itself) */
        boolean training();

        /** Writes the termination checkpoint now, if there is anything to write. */
        void checkpointNow();
    }

    private CheckpointStore store;
    private long everySteps;
    private Duration every;
    private long lastNanos = System.nanoTime();
    private long lastStep = -1;
    private volatile boolean terminating;
    private final CountDownLatch terminationWritten = new CountDownLatch(1);
    private Thread hook;

    /** @return the store, or null when none was set */
    CheckpointStore store() {
        return store;
    }

    void useStore(CheckpointStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    void schedule(CheckpointStore store, long everySteps, Duration every) {
        if (everySteps < 0) {
            throw new IllegalArgumentException("everySteps must be >= 0, was " + everySteps);
        }
        if (every != null && (every.isNegative() || every.isZero())) {
            throw new IllegalArgumentException("the checkpoint interval must be positive, was " + every);
        }
        useStore(store);
        this.everySteps = everySteps;
        this.every = every;
    }

    /** @return whether a periodic checkpoint is due after {@code step} steps */
    boolean due(long step) {
        if (store == null || terminating || step == lastStep) {
            return false;
        }
        if (everySteps > 0 && step % everySteps == 0) {
            return true;
        }
        return every != null && System.nanoTime() - lastNanos >= every.toNanos();
    }

    void written(long step) {
        lastNanos = System.nanoTime();
        lastStep = step;
    }

    /** @return whether a checkpoint was already written at this step */
    boolean writtenAt(long step) {
        return lastStep == step;
    }

    /** @return whether the JVM is terminating (the trainer stops at the next step boundary) */
    boolean terminating() {
        return terminating;
    }

    /** Flags termination without a JVM shutdown (see {@code SaeTrainer.interrupt()}). */
    void requestTermination() {
        terminating = true;
    }

    /** Marks the termination checkpoint as done (written, or nothing to write), releasing the hook. */
    void terminationDone() {
        terminationWritten.countDown();
    }

    /** @return whether the termination checkpoint is still to be written */
    boolean terminationPending() {
        return terminating && terminationWritten.getCount() > 0;
    }

    /**
     * Registers the SIGTERM hook, once: a later call changes nothing.
     *
     * @param target  the trainer
     * @param maxWait bound on the hook's wait for the step in progress and the write
     */
    synchronized void onSigterm(Target target, Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait");
        if (hook != null) {
            return;
        }
        hook = new Thread(() -> {
            terminating = true;
            try {
                if (!target.training()) {
                    target.checkpointNow();
                } else if (!terminationWritten.await(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.error("no checkpoint within {} of SIGTERM; the last periodic checkpoint stands", maxWait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jsae-sigterm-checkpoint");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** @return whether the SIGTERM hook is registered */
    synchronized boolean hookRegistered() {
        return hook != null;
    }

    /** Removes the SIGTERM hook; a no-op when none, or when the JVM is already shutting down. */
    synchronized void removeHook() {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to; it must stay
        }
        hook = null;
    }
}
