package io.jsae.core.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits a range into one contiguous part per thread and runs a kernel on each part. The split depends
 * only on the range and the thread count, and the kernels write disjoint outputs, so results do not
 * depend on scheduling.
 */
final class RangeExecutor implements AutoCloseable {
    /** A kernel over the half-open range [lo, hi). */
    @FunctionalInterface
    interface RangeBody {
        void run(long lo, long hi);
    }

    private final int threads;
    private final ExecutorService pool;

    RangeExecutor(int threads) {
        this.threads = threads;
        AtomicInteger n = new AtomicInteger();
        this.pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "jsae-cpu-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }) : null;
    }

    int threads() {
        return threads;
    }

    /** Runs body over [0, n) split into at most {@code threads} parts; the caller's thread takes the first. */
    void forRange(long n, RangeBody body) {
        int parts = (int) Math.min(threads, Math.max(1, n));
        if (parts == 1) {
            body.run(0, n);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            long lo = n * p / parts;
            long hi = n * (p + 1) / parts;
            futures.add(pool.submit(() -> body.run(lo, hi)));
        }
        body.run(0, n / parts);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a CPU kernel", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("CPU kernel failed: " + c, c);
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
