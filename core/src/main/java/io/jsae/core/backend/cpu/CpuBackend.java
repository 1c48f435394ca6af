package io.jsae.core.backend.cpu;

import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.DeviceSae;
import org.bytedeco.pytorch.global.torch;

/**
 * The CPU backend: libtorch (bytedeco pytorch) tensors and GEMM plus the project's fused sparse kernels.
 * Threads: the system property {@code jsae.threads}, else the available processors. The backend owns its
 * threads: it sets libtorch's intra-op pool to one thread (process-wide) and splits the encoder GEMM by rows
 * across its own threads. Same seed and same thread count give bitwise identical weights.
 */
public final class CpuBackend implements Backend {
    private final int threads;
    private final String unavailableReason;
    private RangeExecutor exec;

    /** Creates the backend with the default thread count. */
    public CpuBackend() {
        this(Integer.getInteger("jsae.threads", Runtime.getRuntime().availableProcessors()));
    }

    /** @param threads worker threads for the kernels and libtorch */
    public CpuBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        this.threads = threads;
        String reason = CpuKernels.load();
        if (reason == null) {
            try {
                // libtorch runs single-threaded inside each kernel thread: its OpenMP workers would otherwise
                // spin after every GEMM and steal the cores the sparse kernels need (9 ms instead of 1.3 ms
                // per small step on 2 cores).
                torch.set_num_threads(1);
            } catch (Throwable t) {
                reason = "libtorch (bytedeco pytorch) could not be loaded: " + t
                        + "; add org.bytedeco:pytorch with the classifier of this platform";
            }
        }
        this.unavailableReason = reason;
    }

    /** @return the thread count */
    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public boolean isAvailable() {
        return unavailableReason == null;
    }

    @Override
    public String unavailableReason() {
        return unavailableReason;
    }

    @Override
    public synchronized DeviceSae load(SaeConfig config, ParameterTensors weights) {
        if (!isAvailable()) {
            throw new IllegalStateException("CPU backend unavailable: " + unavailableReason);
        }
        if (weights.dIn() != config.dIn() || weights.dSae() != config.dSae()) {
            throw new IllegalArgumentException("weights have dIn=" + weights.dIn() + ", dSae=" + weights.dSae()
                    + " but the config says dIn=" + config.dIn() + ", dSae=" + config.dSae());
        }
        if (exec == null) {
            exec = new RangeExecutor(threads);
        }
        return new CpuSae(config, weights, exec);
    }

    @Override
    public synchronized void close() {
        if (exec != null) {
            exec.close();
            exec = null;
        }
    }
}
