package io.jsae.cuda;

import io.jsae.core.backend.BackendUnavailableException;
import org.bytedeco.javacpp.Loader;

import java.io.File;
import java.nio.charset.StandardCharsets;

/**
 * The two builds of the CUDA core's native library, both packed in this module's jar under the platform folder
 * of {@code io/jsae/cuda}: the device build (nvcc, the real GPU) and the host emulation (g++, for tests without
 * a GPU). They implement the same C interface ({@code jsae_cuda.h}) and are opened through the same binding
 * ({@link NativeCuda}); both can be open in one JVM. Opening never throws: it returns why it failed.
 */
enum KernelLibrary {
    /** The kernels compiled by nvcc; {@code -Djsae.cuda.library=FILE} substitutes a library built elsewhere. */
    DEVICE(0, "jsae_cuda", "jsae.cuda.library"),
    /** The same kernels compiled with g++ against the project's emulation of the CUDA built-ins. */
    EMULATED(1, "jsae_cuda_emulated", "jsae.cuda.emulated.library");

    private final int id;
    private final String fileName;
    private final String overrideProperty;
    private volatile boolean open;
    private volatile BackendUnavailableException failure;

    KernelLibrary(int id, String baseName, String overrideProperty) {
        this.id = id;
        this.fileName = System.mapLibraryName(baseName);
        this.overrideProperty = overrideProperty;
    }

    /** @return the library's id in the binding's calls */
    int id() {
        return id;
    }

    /**
     * Loads the binding and this library once.
     *
     * @return null when the library is open, else why it cannot be (the cause kept)
     */
    synchronized BackendUnavailableException open() {
        if (open) {
            return null;
        }
        if (failure != null) {
            return failure;
        }
        try {
            Loader.load(NativeCuda.class);
        } catch (Throwable t) {
            failure = new BackendUnavailableException("the CUDA binding library (jniNativeCuda) could not be loaded "
                    + "on " + Loader.getPlatform() + ": " + t + "; rebuild jsae-cuda-kernels with a C++ compiler on the "
                    + "path for this platform", t);
            return failure;
        }
        File file;
        try {
            file = locate();
        } catch (Exception e) {
            failure = new BackendUnavailableException("the " + fileName + " kernels could not be unpacked: " + e, e);
            return failure;
        }
        if (file == null) {
            failure = new BackendUnavailableException(this == DEVICE
                    ? "this build of jsae-cuda-kernels carries no device kernels (" + fileName + "): nvcc was not on "
                    + "the PATH when it was built; rebuild the module with the CUDA toolkit installed, or point -D"
                    + overrideProperty + " at a library built with src/main/native/build.sh"
                    : "this build of jsae-cuda-kernels carries no emulated kernels (" + fileName + "): no C++ "
                    + "compiler was on the PATH when it was built");
            return failure;
        }
        byte[] err = new byte[2048];
        if (NativeCuda.jsae_glue_open(id, file.getAbsolutePath(), err, err.length) != 0) {
            failure = new BackendUnavailableException("the kernel library " + file + " could not be opened: "
                    + text(err));
            return failure;
        }
        if (this == DEVICE) {
            useRedistCublas();
        }
        open = true;
        return null;
    }

    /**
     * When bytedeco's CUDA redist jar is on the class path (the {@code cublas-redist} Maven profile of this
     * module), unpacks its cuBLAS and has SAEs open that one first. Any failure leaves the other sources
     * (JSAE_CUBLAS, the loader path) in place.
     */
    private void useRedistCublas() {
        String folder = "/org/bytedeco/cuda/" + Loader.getPlatform() + "/";
        for (String version : new String[] {"13", "12"}) {
            String cublas = folder + "libcublas.so." + version;
            String cublasLt = folder + "libcublasLt.so." + version;
            if (KernelLibrary.class.getResource(cublas) == null || KernelLibrary.class.getResource(cublasLt) == null) {
                continue;
            }
            try {
                Loader.cacheResource(KernelLibrary.class, cublasLt);
                File lib = Loader.cacheResource(KernelLibrary.class, cublas);
                NativeCuda.jsae_glue_set_cublas_library(id, lib.getAbsolutePath());
            } catch (Exception e) {
                // fall back to the loader path; creating an SAE names what is missing
            }
            return;
        }
    }

    private File locate() throws Exception {
        String forced = System.getProperty(overrideProperty);
        if (forced != null && !forced.isBlank()) {
            File f = new File(forced.trim());
            if (!f.isFile()) {
                throw new IllegalArgumentException("-D" + overrideProperty + "=" + forced + " is not a file");
            }
            return f;
        }
        String resource = Loader.getPlatform() + "/" + fileName;
        if (NativeCuda.class.getResource(resource) == null) {
            return null;
        }
        return Loader.cacheResource(NativeCuda.class, resource);
    }

    /** @return the zero-terminated text of a buffer the native side filled */
    static String text(byte[] buffer) {
        int n = 0;
        while (n < buffer.length && buffer[n] != 0) {
            n++;
        }
        return new String(buffer, 0, n, StandardCharsets.UTF_8);
    }
}
