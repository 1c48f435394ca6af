package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.DataFormatException;
import io.jsae.core.io.NpyFile;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SafetensorsFile;
import io.jsae.core.io.SafetensorsWriter;
import io.jsae.core.io.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Corrupts valid files at random (seeded: truncation, byte flips, header edits, length-field edits) and
 * checks that every outcome is either a correct read or a {@link DataFormatException} (a
 * {@link io.jsae.core.io.TensorFileException} or an {@link ActivationDataException}) with a message naming
 * the file: never another exception, a hang, or an out-of-memory error.
 */
class CorruptFileFuzzTest {

    private static final int CASES = 400;
    private static final String HEADER_CHARS = "0123456789{}[]\",: -.eE'()TrueFalsF24<>|";

    @TempDir
    Path dir;

    @Test
    void corruptedFilesReadCorrectlyOrFailWithTheLibrarysException() throws IOException {
        Path npy32 = dir.resolve("orig32.npy");
        Path npy16 = dir.resolve("orig16.npy");
        Path st = dir.resolve("orig.safetensors");
        float[] values = TestShards.rows(0, 12, 5);
        NpyWriter.write(npy32, values, 12, 5);
        NpyWriter.write(npy16, DType.F16, values, 12, 5);
        new SafetensorsWriter().metadata("k", "v").add("acts", DType.BF16, new long[]{12, 5}, values)
                .add("w", new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6}).add("h", DType.F16, new long[]{5}, Arrays.copyOf(values, 5))
                .write(st);
        Path[] originals = {npy32, npy16, st};
        Random rnd = new Random(20240611);
        int failures = 0;
        int successes = 0;
        for (int i = 0; i < CASES; i++) {
            Path orig = originals[i % originals.length];
            byte[] good = Files.readAllBytes(orig);
            int headerEnd = headerEnd(orig);
            byte[] bad = corrupt(good, headerEnd, rnd);
            String name = "case-" + i + (orig.toString().endsWith(".npy") ? ".npy" : ".safetensors");
            Path file = dir.resolve(name);
            Files.write(file, bad);
            String what = "case " + i + " (" + orig.getFileName() + ")";
            boolean ok = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> check(file, good, bad, headerEnd, what), what);
            if (ok) {
                successes++;
            } else {
                failures++;
            }
            Files.delete(file);
        }
        assertTrue(failures > CASES / 4, "most corruptions are detected: " + failures);
        assertTrue(successes > 0, "some corruptions (in the data area) still read: " + successes);
    }

    private static int headerEnd(Path orig) {
        if (orig.toString().endsWith(".npy")) {
            return (int) NpyFile.readHeader(orig).dataOffset();
        }
        try (SafetensorsFile f = SafetensorsFile.open(orig)) {
            return (int) f.dataStart();
        }
    }

    private static byte[] corrupt(byte[] good, int headerEnd, Random rnd) {
        byte[] b = good.clone();
        switch (rnd.nextInt(5)) {
            case 0: // truncation
                return Arrays.copyOf(b, rnd.nextInt(b.length));
            case 1: // byte flips anywhere
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            case 2: // byte flips in the header
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                    b[rnd.nextInt(headerEnd)] = (byte) rnd.nextInt(256);
                }
                return b;
            case 3: { // header edit: a plausible character replaced, e.g. a digit of a shape or an offset
                String text = new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1);
                int at = 8 + rnd.nextInt(headerEnd - 8);
                for (int tries = 0; tries < 20 && !Character.isDigit(text.charAt(at)); tries++) {
                    at = 8 + rnd.nextInt(headerEnd - 8);
                }
                b[at] = (byte) HEADER_CHARS.charAt(rnd.nextInt(HEADER_CHARS.length()));
                return b;
            }
            default: { // length field or shape replaced by a huge value
                if (rnd.nextBoolean()) {
                    int pos = good[0] == (byte) 0x93 ? 8 : 0;
                    int len = good[0] == (byte) 0x93 ? 2 : 8;
                    for (int k = 0; k < len; k++) {
                        b[pos + k] = (byte) (rnd.nextInt(3) == 0 ? rnd.nextInt(256) : b[pos + k] + rnd.nextInt(3) - 1);
                    }
                    return b;
                }
                String text = new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1);
                String huge = text.replaceFirst("12", "999999999999").replaceFirst("\\[0,", "[0 ,");
                byte[] h = huge.getBytes(StandardCharsets.ISO_8859_1);
                byte[] out = Arrays.copyOf(b, b.length + (h.length - headerEnd));
                System.arraycopy(h, 0, out, 0, h.length);
                System.arraycopy(b, headerEnd, out, h.length, b.length - headerEnd);
                return out;
            }
        }
    }

    /** Reads the corrupted file with the file API and as a source; true if both read, false if both failed. */
    private boolean check(Path file, byte[] good, byte[] bad, int headerEnd, String what) {
        boolean fileOk = outcome(file, what, () -> readFile(file, good, bad, headerEnd, what));
        boolean sourceOk = outcome(file, what, () -> readSource(file));
        if (!fileOk && sourceOk) {
            fail(what + ": the source read a file the reader rejected");
        }
        return fileOk && sourceOk;
    }

    private static boolean outcome(Path file, String what, Runnable r) {
        try {
            r.run();
            return true;
        } catch (DataFormatException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what + ": empty message");
            assertTrue(e.getMessage().contains(file.getFileName().toString()),
                    what + ": message does not name the file: " + e.getMessage());
            return false;
        } catch (Throwable t) {
            throw new AssertionError(what + ": unexpected " + t, t);
        }
    }

    private static void readFile(Path file, byte[] good, byte[] bad, int headerEnd, String what) {
        boolean sameHeader = bad.length >= headerEnd && Arrays.equals(good, 0, headerEnd, bad, 0, headerEnd);
        if (file.toString().endsWith(".npy")) {
            float[] v = NpyFile.readFloats(file);
            assertEquals(60, v.length, what);
            assertTrue(sameHeader || bad.length == good.length, what);
            if (sameHeader) {
                assertUnchangedElementsEqual(file, good, bad, headerEnd, NpyFile.readHeader(file).dtype(), v, what);
            }
        } else {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (TensorInfo t : f.tensors()) {
                    if (t.dtype().decodable()) {
                        float[] v = f.readFloats(t.name());
                        assertEquals(t.elementCount(), v.length, what);
                        if (sameHeader) {
                            assertUnchangedElementsEqual(file, good, bad, (int) t.fileOffset(), t.dtype(), v, what);
                        }
                    }
                }
                assertFalse(f.tensors().isEmpty() && f.dataStart() > bad.length, what);
            }
        }
    }

    /** Decoded elements whose bytes the corruption did not touch equal the original file's elements. */
    private static void assertUnchangedElementsEqual(Path file, byte[] good, byte[] bad, int offset, DType dtype, float[] v,
                                                     String what) {
        int es = dtype.byteSize();
        java.nio.ByteBuffer orig = java.nio.ByteBuffer.wrap(good).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        float[] one = new float[1];
        for (int i = 0; i < v.length; i++) {
            int at = offset + i * es;
            if (Arrays.equals(good, at, at + es, bad, at, at + es)) {
                dtype.decode(orig, at, one, 0, 1);
                assertEquals(Float.floatToIntBits(one[0]), Float.floatToIntBits(v[i]), what + " element " + i + " of " + file);
            }
        }
    }

    private static void readSource(Path file) {
        LoaderOptions o = LoaderOptions.builder().shuffle(1).chunkRows(3).shuffleBufferRows(5).readThreads(1).build();
        ActivationSource src = file.toString().endsWith(".npy")
                ? NpyActivationSource.builder().file(file).options(o).build()
                : SafetensorsActivationSource.builder().file(file).tensor("acts").options(o).build();
        try (src) {
            long rows = 0;
            java.nio.FloatBuffer buf = TestShards.buffer(4, src.dIn());
            int n;
            do {
                buf.clear();
                n = src.read(buf, 4);
                rows += n;
            } while (n > 0);
            assertEquals(src.rowsPerEpoch(), rows);
        }
    }
}
