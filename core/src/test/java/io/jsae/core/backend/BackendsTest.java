package io.jsae.core.backend;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendsTest {
    @AfterEach
    void clear() {
        System.clearProperty(Backends.PROPERTY);
    }

    @Test
    void cudaIsUnavailableWithAReasonAndBestFallsBackToCpu() {
        try (Backend cuda = Backends.cuda()) {
            assertFalse(cuda.isAvailable());
            assertNotNull(cuda.unavailableReason());
            assertTrue(cuda.unavailableReason().contains("cuda") || cuda.unavailableReason().contains("CUDA"));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cuda.load(io.jsae.core.SaeConfig.builder(4, 8).activation(io.jsae.core.Activation.topK(2)).build(),
                            io.jsae.core.ParameterTensors.zeros(4, 8)));
            assertTrue(e.getMessage().contains(cuda.unavailableReason()));
        }
        try (Backend best = Backends.best()) {
            assertEquals("cpu", best.name());
            assertTrue(best.isAvailable());
        }
    }

    @Test
    void forcingAnUnavailableBackendFailsWithItsReason() {
        System.setProperty(Backends.PROPERTY, "cuda");
        IllegalStateException e = assertThrows(IllegalStateException.class, Backends::best);
        assertTrue(e.getMessage().contains("jsae.backend=cuda"), e.getMessage());
        System.setProperty(Backends.PROPERTY, "tpu");
        assertThrows(IllegalArgumentException.class, Backends::best);
        System.setProperty(Backends.PROPERTY, "cpu");
        try (Backend b = Backends.best()) {
            assertEquals("cpu", b.name());
        }
    }
}
