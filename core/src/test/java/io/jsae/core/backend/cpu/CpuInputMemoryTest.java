package io.jsae.core.backend.cpu;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.data.ProcessMappings;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CPU SAE's input buffers, which the loader writes every batch into, ask for 2 MiB pages where Linux offers
 * transparent huge pages (the kernel marks their mapping {@code hg}).
 */
class CpuInputMemoryTest {

    @Test
    void bothInputBuffersStartOnTwoMebibytesAndAskForTwoMebibytePages() throws Exception {
        assumeTrue(ProcessMappings.hugePagesOffered(), "no transparent huge pages of 2 MiB here");
        SaeConfig config = SaeConfig.builder(1024, 64).activation(Activation.topK(8)).batchSize(2048).build();
        try (Backend backend = CpuConformanceTest.openCpuBackend(); DeviceSae sae = backend.create(config)) {
            for (FloatBuffer input : List.of(sae.inputBuffer(), sae.followingInputBuffer())) {
                long address = new Pointer(input).address();
                String flags = ProcessMappings.flagsOfMappingHolding(address);
                assertNotNull(flags, "no mapping holds the input buffer");
                assertTrue((" " + flags + " ").contains(" hg "), "flags of the input buffer's mapping: " + flags);
                assertTrue(address % (2 << 20) == 0, "input buffer at 0x" + Long.toHexString(address));
            }
        }
    }
}
