package io.jsae.core.backend.cpu;

import io.jsae.core.backend.BackendUnavailableException;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * The benchmarks' way to the CPU backend's per-row top-k kernel ({@code jsae_topk_rows}), which core keeps
 * package-private. This class lives in the benchmarks module but in core's package, so it only works with both
 * on the class path (as the benchmarks jar runs them); on the module path the package is core's alone.
 */
public final class TopKRowsKernel {
    private TopKRowsKernel() {
    }

    /**
     * Loads the kernels library and libtorch as the CPU backend does (which also sets libtorch to one thread).
     *
     * @throws BackendUnavailableException if they cannot be loaded here
     */
    public static void load() {
        BackendUnavailableException why = CpuBackendProvider.loadNatives();
        if (why != null) {
            throw why;
        }
    }

    /**
     * Per row {@code b} in {@code [b0, b1)}, the indices of the {@code k} largest of {@code pre[b, 0..dSae)}
     * (lower index first among equal values), ascending, written to {@code idx[b·k ..]}: what the CPU step
     * runs for a topk SAE, on its own thread.
     *
     * @param pre  row-major pre-activations, at least {@code b1 × dSae} floats
     * @param dSae row width
     * @param k    entries kept per row, at most dSae
     * @param idx  output, at least {@code b1 × k} ints
     * @param b0   first row
     * @param b1   end of the rows (exclusive)
     */
    public static void select(FloatPointer pre, long dSae, int k, IntPointer idx, long b0, long b1) {
        CpuKernels.jsae_topk_rows(pre, dSae, k, null, idx, b0, b1);
    }
}
