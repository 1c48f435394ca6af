package io.jsae.cuda;

import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.DeviceSae;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The CUDA backend on one device: every SAE's weights, Adam moments, counters and scratch live in device
 * memory, the encoder GEMM runs in cuBLAS and everything else in the project's kernels ({@code
 * src/main/native}). The same class drives the host emulation of those kernels ({@code cuda-emulated}), which
 * runs them unchanged on the CPU for tests.
 *
 * <p>It owns the device SAEs it makes: {@link #close()} closes those still open.
 */
public final class CudaBackend implements Backend {
    private final KernelLibrary library;
    private final String name;
    private final int device;
    private final String description;
    private final Set<Precision> precisions;
    private final Set<CudaSae> live = new LinkedHashSet<>();
    private boolean closed;
    /** Shared-memory candidates of the per-row top-k's two-read path; -1: the native default, 0: never. */
    private int topkCandidates = -1;

    /**
     * Opens the backend on a device.
     *
     * @param library the kernel build
     * @param name    the provider's name
     * @param device  device index
     * @throws BackendUnavailableException if the library cannot load, no device answers or the index is out of range
     */
    CudaBackend(KernelLibrary library, String name, int device) {
        // The emulation rounds TF32 and BF16 operands as the GPU does, but the conformance kit's inputs are drawn
        // away from ties for FP32 rounding only, so it offers FP32; tests reach the others through the constructor
        // below.
        this(library, name, device, library == KernelLibrary.DEVICE ? EnumSet.allOf(Precision.class)
                : EnumSet.of(Precision.FP32));
    }

    /**
     * Opens the backend on a device, offering the given operand precisions.
     *
     * @param library    the kernel build
     * @param name       the provider's name
     * @param device     device index
     * @param precisions the operand precisions to offer
     * @throws BackendUnavailableException if the library cannot load, no device answers or the index is out of range
     */
    CudaBackend(KernelLibrary library, String name, int device, Set<Precision> precisions) {
        BackendUnavailableException why = library.open();
        if (why != null) {
            throw why;
        }
        int count = deviceCount(library);
        if (device < 0 || device >= count) {
            throw new BackendUnavailableException(name + ": device " + device + " does not exist; " + count
                    + " device(s) are visible (-Djsae.device picks one, CUDA_VISIBLE_DEVICES limits them)");
        }
        byte[] line = new byte[512];
        NativeCuda.jsae_glue_device_describe(library.id(), device, line, line.length);
        this.library = library;
        this.name = name;
        this.device = device;
        this.description = KernelLibrary.text(line) + "; " + NativeCuda.jsae_glue_build_info(library.id());
        this.precisions = EnumSet.copyOf(precisions);
    }

    /**
     * @return the number of devices the library sees
     * @throws BackendUnavailableException with CUDA's reason when it cannot count them, or when there are none
     */
    static int deviceCount(KernelLibrary library) {
        int[] count = new int[1];
        byte[] err = new byte[1024];
        if (NativeCuda.jsae_glue_device_count(library.id(), count, err, err.length) != 0) {
            throw new BackendUnavailableException("no usable NVIDIA GPU here (" + KernelLibrary.text(err)
                    + "); install the NVIDIA driver, or use the cpu backend");
        }
        if (count[0] < 1) {
            throw new BackendUnavailableException("the CUDA runtime sees no device");
        }
        return count[0];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int deviceIndex() {
        return device;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Set<Precision> precisions() {
        return Set.copyOf(precisions);
    }

    @Override
    public synchronized DeviceSae create(SaeConfig config) {
        if (closed) {
            throw new IllegalStateException("this " + name + " backend was closed");
        }
        if (!precisions.contains(config.precision())) {
            throw new IllegalArgumentException("the " + name + " backend multiplies with " + precisions
                    + " operands; precision " + config.precision() + " is not one of them");
        }
        CudaSae[] made = new CudaSae[1];
        made[0] = new CudaSae(library, name, device, config, topkCandidates, () -> forget(made[0]));
        live.add(made[0]);
        return made[0];
    }

    /**
     * Sets the capacity of the per-row top-k's shared-memory candidates for SAEs created afterwards (tests: 0
     * forces the five-read radix path everywhere).
     *
     * @param candidates capacity, 0 for never, -1 for the default
     * @return this backend
     */
    synchronized CudaBackend topkCandidates(int candidates) {
        this.topkCandidates = candidates;
        return this;
    }

    private synchronized void forget(CudaSae sae) {
        live.remove(sae);
    }

    @Override
    public void close() {
        List<CudaSae> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(live);
        }
        for (CudaSae s : toClose) {
            s.close();
        }
    }
}
