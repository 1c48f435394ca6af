package io.jsae.core.backend.cpu;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;
import org.bytedeco.pytorch.global.torch;

/**
 * Provides the CPU backend ("cpu", rank 0): the embedded default, available wherever the core jar's native
 * kernels and libtorch load.
 */
public final class CpuBackendProvider implements BackendProvider {
    /** The backend's name. */
    public static final String NAME = "cpu";

    /** JavaCPP's limit on the process's resident memory; 0 switches the check off. */
    static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

    private static BackendUnavailableException loadError;
    private static boolean loaded;

    /** Service constructor; loads nothing. */
    public CpuBackendProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public BackendUnavailableException probe() {
        return loadNatives();
    }

    @Override
    public Backend create(int deviceIndex) {
        if (deviceIndex != 0) {
            throw new BackendUnavailableException("the cpu backend has only device 0, not " + deviceIndex
                    + "; set jsae.device=0 or choose a GPU backend");
        }
        return new CpuBackend();
    }

    /** Loads the kernels library and libtorch once; @return null when loaded, else why not (with the cause) */
    static synchronized BackendUnavailableException loadNatives() {
        if (loaded || loadError != null) {
            return loadError;
        }
        // JavaCPP refuses new native allocations once the process's resident memory passes 4x the maximum heap,
        // a guard for memory that waits on the garbage collector. This backend frees its memory explicitly and
        // keeps gigabytes of weights off a small heap, so the guard would fail a 6 GB model under -Xmx1g. It
        // is switched off unless the user set it; it is read once, when JavaCPP's Pointer class initializes.
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null) {
            System.setProperty(MAX_PHYSICAL_BYTES, "0");
        }
        String reason = CpuKernels.load();
        if (reason != null) {
            loadError = new BackendUnavailableException(reason, CpuKernels.loadCause());
            return loadError;
        }
        try {
            // libtorch runs single-threaded inside each kernel thread: its OpenMP workers would otherwise spin
            // after every GEMM and steal the cores the sparse kernels need (9 ms instead of 1.3 ms per small
            // step on 2 cores).
            torch.set_num_threads(1);
        } catch (Throwable t) {
            loadError = new BackendUnavailableException("libtorch (bytedeco pytorch) could not be loaded: " + t
                    + "; add org.bytedeco:pytorch with the classifier of this platform", t);
            return loadError;
        }
        loaded = true;
        return null;
    }
}
