package io.jsae.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What Linux says of this process's memory mappings ({@code /proc/self/smaps}), for tests of memory on 2 MiB pages:
 * the flags of the mapping that holds an address ({@code hg}: asked for transparent huge pages).
 */
public final class ProcessMappings {

    private static final Path SMAPS = Path.of("/proc/self/smaps");
    private static final Path THP = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private ProcessMappings() {
    }

    /**
     * Whether mappings can be read and the kernel offers transparent huge pages on request (mode "always" or
     * "madvise"), with 2 MiB as their size: where tests of 2 MiB pages mean something.
     *
     * @return false elsewhere (another system, THP "never", other page sizes, a sandbox without smaps)
     * @throws IOException if a file that exists cannot be read
     */
    public static boolean hugePagesOffered() throws IOException {
        Path pmdSize = Path.of("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
        return Files.isReadable(SMAPS) && Files.isReadable(THP) && !Files.readString(THP).contains("[never]")
                && Files.isReadable(pmdSize) && Files.readString(pmdSize).strip().equals(String.valueOf(2 << 20))
                && Files.readString(SMAPS).contains("VmFlags:");
    }

    /**
     * The {@code VmFlags} of the mapping that holds {@code address}, or null if no mapping holds it.
     *
     * @param address a virtual address of this process
     * @return the flags, space-separated as the kernel writes them
     * @throws IOException if the mappings cannot be read
     */
    public static String flagsOfMappingHolding(long address) throws IOException {
        boolean inside = false;
        boolean found = false;
        for (String line : lines()) {
            long[] range = range(line);
            if (range != null) {
                inside = Long.compareUnsigned(address, range[0]) >= 0 && Long.compareUnsigned(address, range[1]) < 0;
                found |= inside;
            } else if (inside && line.startsWith("VmFlags:")) {
                return line.substring("VmFlags:".length()).strip();
            }
        }
        return found ? "" : null;
    }

    private static List<String> lines() throws IOException {
        return Files.readAllLines(SMAPS);
    }

    /** The [from, to) of a mapping's first line ("from-to perms ..."), or null for another line. */
    private static long[] range(String line) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        if (dash < 1 || space < dash) {
            return null;
        }
        String from = line.substring(0, dash);
        String to = line.substring(dash + 1, space);
        if (!from.matches("[0-9a-f]+") || !to.matches("[0-9a-f]+")) {
            return null;
        }
        return new long[] {Long.parseUnsignedLong(from, 16), Long.parseUnsignedLong(to, 16)};
    }
}
