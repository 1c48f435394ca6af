package io.jsae.core.backend;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds backends through {@link ServiceLoader} ({@link BackendProvider}) and opens one.
 * {@link #best()} takes the available, selectable provider of highest rank (CUDA over the CPU);
 * {@code -Djsae.backend=NAME} forces one and {@code -Djsae.device=N} picks its device, and forcing a backend
 * that cannot run fails with its reason instead of silently falling back.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    /** System property that forces a backend by name. */
    public static final String PROPERTY = "jsae.backend";

    /** System property with the device index for {@link #best()} (default 0). */
    public static final String DEVICE_PROPERTY = "jsae.device";

    /** Highest rank first, ties by name. */
    private static final Comparator<BackendProvider> BY_RANK =
            Comparator.comparingInt(BackendProvider::rank).reversed().thenComparing(BackendProvider::name);

    private Backends() {
    }

    /** @return every provider on the class path, highest rank first (a provider that fails to load is logged) */
    public static List<BackendProvider> providers() {
        return providers(Backends.class.getClassLoader());
    }

    /**
     * @param loader class loader to search
     * @return every provider visible to it, highest rank first
     */
    public static List<BackendProvider> providers(ClassLoader loader) {
        List<BackendProvider> out = new ArrayList<>();
        var it = ServiceLoader.load(BackendProvider.class, loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                out.add(it.next());
            } catch (ServiceConfigurationError e) {
                // A broken provider must not hide the working ones.
                LOG.warn("a backend provider could not be loaded: {}", e.toString());
            }
        }
        out.sort(BY_RANK);
        return out;
    }

    /**
     * Opens the backend named by {@code jsae.backend}, or else the best available one, on device
     * {@code jsae.device} (default 0).
     *
     * @return an open backend, owned by the caller
     * @throws BackendUnavailableException if the forced backend, or every backend, cannot run here
     * @throws IllegalArgumentException    if {@code jsae.backend} names no provider
     */
    public static Backend best() {
        return best(providers(), System.getProperty(PROPERTY), Integer.getInteger(DEVICE_PROPERTY, 0));
    }

    /**
     * Opens a backend by name.
     *
     * @param name        provider name
     * @param deviceIndex device to use
     * @return an open backend, owned by the caller
     * @throws BackendUnavailableException if it cannot run here (the cause is kept)
     * @throws IllegalArgumentException    if no provider has that name
     */
    public static Backend named(String name, int deviceIndex) {
        return best(providers(), name, deviceIndex);
    }

    /**
     * The choice itself, over explicit providers (for tests and embedders with their own class loaders).
     *
     * @param providers   candidates, in any order
     * @param forced      provider name to force, or null/blank to choose
     * @param deviceIndex device to use
     * @return an open backend
     */
    public static Backend best(List<BackendProvider> providers, String forced, int deviceIndex) {
        List<BackendProvider> ranked = new ArrayList<>(providers);
        ranked.sort(BY_RANK);
        if (forced != null && !forced.isBlank()) {
            String name = forced.trim();
            BackendProvider p = ranked.stream().filter(x -> x.name().equalsIgnoreCase(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(PROPERTY + "=" + name + " names no backend on the "
                            + "class path; found: " + ranked.stream().map(BackendProvider::name).collect(Collectors.joining(", "))));
            BackendUnavailableException why = p.probe();
            if (why != null) {
                throw new BackendUnavailableException(PROPERTY + "=" + name + " but that backend is unavailable: "
                        + why.getMessage(), why);
            }
            Backend b = p.create(deviceIndex);
            LOG.info("using the {} backend ({}), forced by {}", b.name(), b.description(), PROPERTY);
            return b;
        }
        List<String> reasons = new ArrayList<>();
        BackendUnavailableException first = null;
        for (BackendProvider p : ranked) {
            if (!p.selectable()) {
                continue;
            }
            BackendUnavailableException why = p.probe();
            if (why == null) {
                try {
                    Backend b = p.create(deviceIndex);
                    if (!reasons.isEmpty()) {
                        LOG.info("using the {} backend ({}); passed over: {}", b.name(), b.description(),
                                String.join("; ", reasons));
                    } else {
                        LOG.info("using the {} backend ({})", b.name(), b.description());
                    }
                    return b;
                } catch (BackendUnavailableException e) {
                    why = e;
                }
            }
            reasons.add(p.name() + ": " + why.getMessage());
            if (first == null) {
                first = why;
            }
        }
        throw new BackendUnavailableException("no backend is available: "
                + (reasons.isEmpty() ? "no backend provider on the class path (add jsae-core)" : String.join("; ", reasons)),
                first);
    }
}
