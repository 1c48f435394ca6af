package io.jsae.core.backend.cpu;

import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.DeviceSae;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The CPU backend: libtorch (bytedeco pytorch) tensors and GEMM plus the project's fused sparse kernels.
 * Threads: the system property {@code jsae.threads}, else the available processors. The backend owns its
 * threads: it sets libtorch's intra-op pool to one thread (process-wide) and splits the encoder GEMM by rows
 * across its own threads. Same seed and same thread count give bitwise identical weights.
 *
 * <p>It owns the device SAEs it makes: {@link #close()} closes those still open, then stops its threads.
 */
public final class CpuBackend implements Backend {
    private final int threads;
    private final RangeExecutor exec;
    private final Set<CpuSae> live = new LinkedHashSet<>();
    private boolean closed;

    /**
     * Opens the backend with {@code jsae.threads} threads, else one per available processor.
     *
     * @throws BackendUnavailableException if the native kernels or libtorch cannot load here
     */
    public CpuBackend() {
        this(Integer.getInteger("jsae.threads", Runtime.getRuntime().availableProcessors()));
    }

    /**
     * @param threads worker threads for the kernels and libtorch
     * @throws BackendUnavailableException if the native kernels or libtorch cannot load here
     */
    public CpuBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        BackendUnavailableException why = CpuBackendProvider.loadNatives();
        if (why != null) {
            throw why;
        }
        this.threads = threads;
        this.exec = new RangeExecutor(threads);
    }

    /** @return the thread count */
    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return CpuBackendProvider.NAME;
    }

    @Override
    public int deviceIndex() {
        return 0;
    }

    @Override
    public String description() {
        return "libtorch GEMM and native sparse kernels, " + threads + " threads";
    }

    @Override
    public Set<Precision> precisions() {
        return Set.of(Precision.FP32);
    }

    @Override
    public synchronized DeviceSae create(SaeConfig config) {
        if (closed) {
            throw new IllegalStateException("this CPU backend was closed");
        }
        if (config.precision() != Precision.FP32) {
            throw new IllegalArgumentException("the cpu backend multiplies in FP32 only; precision "
                    + config.precision() + " needs a GPU backend (set precision FP32 for the CPU)");
        }
        CpuSae[] made = new CpuSae[1];
        made[0] = new CpuSae(config, exec, () -> forget(made[0]));
        live.add(made[0]);
        return made[0];
    }

    private synchronized void forget(CpuSae sae) {
        live.remove(sae);
    }

    /** @return device SAEs made by this backend and not yet closed */
    synchronized int openSaes() {
        return live.size();
    }

    @Override
    public void close() {
        List<CpuSae> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(live);
        }
        for (CpuSae s : toClose) {
            s.close();
        }
        exec.close();
    }
}
