package io.jsae.core.backend.cpu;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.DeviceSae;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CPU SAE's input buffers, which the loader writes every batch into, are on 2 MiB pages where Linux offers
 * transparent huge pages: the kernel reports huge pages in the mapping that holds each buffer.
 */
class CpuInputMemoryTest {

    @Test
    void bothInputBuffersLieOnTwoMebibytePages() throws Exception {
        Path setting = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        Path smaps = Path.of("/proc/self/smaps");
        assumeTrue(Files.isReadable(setting) && Files.isReadable(smaps)
                && !Files.readString(setting).contains("[never]"), "no transparent huge pages here");
        SaeConfig config = SaeConfig.builder(1024, 64).activation(Activation.topK(8)).batchSize(2048).build();
        try (Backend backend = CpuConformanceTest.openCpuBackend(); DeviceSae sae = backend.create(config)) {
            for (FloatBuffer input : List.of(sae.inputBuffer(), sae.followingInputBuffer())) {
                long address = new Pointer(input).address();
                long hugeKib = hugeKibOfMappingHolding(smaps, address);
                assertTrue(hugeKib > 0, "huge pages in the mapping of the buffer at 0x"
                        + Long.toHexString(address) + ": " + hugeKib + " KiB");
            }
        }
    }

    /** AnonHugePages of the mapping of /proc/self/smaps that contains {@code address}, in KiB; -1 if none does. */
    private static long hugeKibOfMappingHolding(Path smaps, long address) throws Exception {
        boolean inside = false;
        for (String line : Files.readAllLines(smaps)) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long from = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = address >= from && address < to;
            } else if (inside && line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
