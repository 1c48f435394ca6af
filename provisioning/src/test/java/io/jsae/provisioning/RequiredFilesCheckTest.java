package io.jsae.provisioning;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequiredFilesCheckTest {

    // sha256("abc")
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @TempDir
    Path root;

    @Test
    void passesWhenEveryFileIsReady() throws IOException {
        Files.writeString(root.resolve("config.json"), "{}");
        Files.createDirectories(root.resolve("shards"));
        Files.writeString(root.resolve("shards/0.npy"), "abc");

        CheckResult r = new RequiredFilesCheck(root, List.of("config.json")).withSha256("shards/0.npy", ABC).run();

        assertEquals(CheckResult.Status.PASS, r.status(), r.message());
        assertTrue(r.message().contains("all 2 required files"), r.message());
        assertTrue(r.message().contains("1 SHA-256 digests match"), r.message());
    }

    @Test
    void listsEveryProblemNotOnlyTheFirst() throws IOException {
        Files.writeString(root.resolve("empty.bin"), "");
        Files.createDirectories(root.resolve("folder"));
        Files.writeString(root.resolve("wrong.bin"), "abd");

        CheckResult r = new RequiredFilesCheck(root, List.of("missing-1.npy", "empty.bin", "folder", "missing-2.npy"))
                .withSha256("wrong.bin", ABC.toUpperCase()).run();

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().startsWith("5 of 5 required files are not ready"), r.message());
        for (String expected : new String[] {"missing-1.npy is missing", "missing-2.npy is missing",
                "empty.bin is empty", "folder is not a regular file", "wrong.bin has SHA-256 ", "expected " + ABC}) {
            assertTrue(r.message().contains(expected), expected + " in " + r.message());
        }
        assertTrue(r.remedy().contains(root.toString()), r.remedy());
    }

    @Test
    void rejectsMalformedDigestsAndEmptyLists() {
        RequiredFilesCheck check = new RequiredFilesCheck(root, List.of("a"));
        assertThrows(IllegalArgumentException.class, () -> check.withSha256("a", "abc"));
        assertThrows(IllegalArgumentException.class, () -> new RequiredFilesCheck(root, List.of()));
    }
}
