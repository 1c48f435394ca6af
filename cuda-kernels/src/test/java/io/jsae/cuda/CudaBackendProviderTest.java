package io.jsae.cuda;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.DeviceSae;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module's providers are found through the service file: cuda ranks above the CPU and, without a GPU, says
 * why it cannot run; cuda-emulated is never chosen on its own but opens when named.
 */
class CudaBackendProviderTest {

    @Test
    void discoveredInRankOrder() {
        List<BackendProvider> providers = Backends.providers();
        assertEquals(List.of("cuda", "cpu", "cuda-emulated"), providers.stream().map(BackendProvider::name).toList());
        assertFalse(providers.get(2).selectable(), "the emulation is only reached by name");
    }

    @Test
    void cudaGivesItsReasonWhereItCannotRun() {
        BackendUnavailableException why = new CudaBackendProvider().probe();
        if (why == null) {
            return; // a GPU answers here: the gpu-tagged conformance test covers it
        }
        String m = why.getMessage();
        assertTrue(m.contains("no usable NVIDIA GPU") || m.contains("carries no device kernels")
                || m.contains("sees no device"), m);
        BackendUnavailableException forced = assertThrows(BackendUnavailableException.class,
                () -> Backends.named("cuda", 0));
        assertTrue(forced.getMessage().contains("jsae.backend=cuda"), forced.getMessage());
        assertTrue(forced.getCause() instanceof BackendUnavailableException, "the probe's reason is kept as the cause");
    }

    @Test
    void bestNeverPicksTheEmulation() {
        try (Backend b = Backends.best(Backends.providers(), null, 0)) {
            assertNotEquals("cuda-emulated", b.name());
        } catch (BackendUnavailableException e) {
            assertTrue(e.getMessage().contains("cpu:"), e.getMessage());
        }
    }

    @Test
    void theEmulationOpensByNameAndSaysWhatItIs() {
        assertNull(new EmulatedCudaBackendProvider().probe());
        try (Backend b = Backends.named("cuda-emulated", 0)) {
            assertEquals("cuda-emulated", b.name());
            assertTrue(b.description().contains("emulation"), b.description());
            assertThrows(BackendUnavailableException.class, () -> Backends.named("cuda-emulated", 3));
        }
    }

    @Test
    void outOfMemorySaysHowManyBytesWereAsked() {
        SaeConfig huge = SaeConfig.builder(1 << 16, 1 << 20).activation(new Activation.TopK(32)).batchSize(1 << 20)
                .build();
        try (Backend b = Backends.named("cuda-emulated", 0)) {
            CudaFailureException e = assertThrows(CudaFailureException.class, () -> b.create(huge));
            assertTrue(e.getMessage().contains("out of device memory: asked"), e.getMessage());
            assertTrue(e.getMessage().contains("bytes free"), e.getMessage());
            // the backend stays usable after a failed allocation
            try (DeviceSae small = b.create(SaeConfig.builder(8, 16).activation(new Activation.TopK(2)).batchSize(4)
                    .build())) {
                assertEquals(4, small.maxRows());
            }
        }
    }
}
