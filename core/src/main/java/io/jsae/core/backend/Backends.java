package io.jsae.core.backend;

import io.jsae.core.backend.cpu.CpuBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * Finds backends. {@link #best()} picks CUDA when it is available, else the CPU; the system property
 * {@code jsae.backend} ({@code cpu} or {@code cuda}) overrides the choice, and forcing an unavailable backend
 * fails with its reason rather than silently falling back.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    /** System property that forces a backend. */
    public static final String PROPERTY = "jsae.backend";

    private Backends() {
    }

    /** @return a new CPU backend (check {@link Backend#isAvailable()}) */
    public static Backend cpu() {
        return new CpuBackend();
    }

    /** @return a new CUDA backend (check {@link Backend#isAvailable()}) */
    public static Backend cuda() {
        return new CudaBackend();
    }

    /**
     * @return the fastest available backend, or the one named by {@code jsae.backend}
     * @throws IllegalStateException if the forced backend, or every backend, is unavailable
     */
    public static Backend best() {
        String forced = System.getProperty(PROPERTY);
        if (forced != null && !forced.isBlank()) {
            Backend b = switch (forced.trim().toLowerCase(Locale.ROOT)) {
                case "cpu" -> cpu();
                case "cuda" -> cuda();
                default -> throw new IllegalArgumentException(PROPERTY + "=" + forced + " is not a backend; use cpu or cuda");
            };
            if (!b.isAvailable()) {
                throw new IllegalStateException(PROPERTY + "=" + forced + " but that backend is unavailable: "
                        + b.unavailableReason());
            }
            return b;
        }
        Backend cuda = cuda();
        if (cuda.isAvailable()) {
            LOG.info("using the cuda backend");
            return cuda;
        }
        Backend cpu = cpu();
        if (!cpu.isAvailable()) {
            throw new IllegalStateException("no backend is available: cuda: " + cuda.unavailableReason() + "; cpu: "
                    + cpu.unavailableReason());
        }
        LOG.info("using the cpu backend (cuda unavailable: {})", cuda.unavailableReason());
        return cpu;
    }
}
