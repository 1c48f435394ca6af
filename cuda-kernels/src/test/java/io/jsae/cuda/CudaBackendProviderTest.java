package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The module's provider is found through the service file, ranks above the CPU and says why it cannot run. */
class CudaBackendProviderTest {

    @Test
    void discoveredAboveTheCpuAndUnavailableWithItsReason() {
        List<BackendProvider> providers = Backends.providers();
        assertEquals(List.of("cuda", "cpu"), providers.stream().map(BackendProvider::name).toList());
        BackendUnavailableException why = providers.get(0).probe();
        assertNotNull(why);
        assertTrue(why.getMessage().contains("no CUDA kernels"), why.getMessage());
        BackendUnavailableException forced = assertThrows(BackendUnavailableException.class,
                () -> Backends.named("cuda", 0));
        assertTrue(forced.getMessage().contains("jsae.backend=cuda"), forced.getMessage());
        assertTrue(forced.getCause() instanceof BackendUnavailableException, "the probe's reason is kept as the cause");
    }

    @Test
    void bestFallsBackToTheCpu() {
        try (Backend b = Backends.best(Backends.providers(), null, 0)) {
            assertEquals("cpu", b.name());
        } catch (BackendUnavailableException e) {
            // the CPU kernels could not load here either: then both reasons must be in the message
            assertTrue(e.getMessage().contains("cuda:") && e.getMessage().contains("cpu:"), e.getMessage());
        }
    }
}
