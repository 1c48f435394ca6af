package io.jsae.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.SparseCodes;
import io.jsae.core.io.NpyFile;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SaeFolders;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectEncodeCommandTest {

    private static final int D_IN = 8;
    private static final int D_SAE = 16;
    private static final int K = 3;
    private static final int ROWS = 300;
    /** Its encoder row is zero and its bias negative: it never fires. */
    private static final int DEAD = 5;
    /** Its bias is far above every other pre-activation: it fires on every row. */
    private static final int DENSE = 7;

    @TempDir
    Path tmp;
    private SparseAutoencoder sae;
    private Path saeDir;
    private Path dataFile;
    private float[][] rows;


    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    private static CommandRun ok(String... args) {
        CommandRun r = run(args);
        assertEquals(0, r.code(), r.out() + r.err());
        return r;
    }

    @BeforeEach
    void setUp() throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        ParameterTensors w = ParameterTensors.zeros(D_IN, D_SAE);
        for (int i = 0; i < D_IN * D_SAE; i++) {
            w.wEnc()[i] = (float) (rnd.nextDouble() * 2 - 1);
            w.wDec()[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        for (int j = 0; j < D_SAE; j++) {
            w.bEnc()[j] = (float) (rnd.nextDouble() * 0.2 - 0.1);
        }
        Arrays.fill(w.wEnc(), DEAD * D_IN, (DEAD + 1) * D_IN, 0f);
        w.bEnc()[DEAD] = -1f;
        w.bEnc()[DENSE] = 100f;
        SaeConfig cfg = SaeConfig.builder(D_IN, D_SAE).activation(Activation.topK(K)).build();
        sae = new SparseAutoencoder(cfg, w, null, Double.NaN, 1.0,
                new SaeMetadata("test-model", "blocks.2.hook_resid_post", 2, 64, "synthetic"));
        saeDir = tmp.resolve("sae");
        SaeFolders.save(sae, saeDir);
        sae = SaeFolders.load(saeDir);

        rows = new float[ROWS][D_IN];
        float[] flat = new float[ROWS * D_IN];
        for (int r = 0; r < ROWS; r++) {
            for (int d = 0; d < D_IN; d++) {
                rows[r][d] = (float) (rnd.nextDouble() * 4 - 2);
                flat[r * D_IN + d] = rows[r][d];
            }
        }
        dataFile = tmp.resolve("acts.npy");
        NpyWriter.write(dataFile, flat, ROWS, D_IN);
    }

    @Test
    void inspectShowsConfigTensorsAndDecoderNorms() {
        CommandRun r = ok("inspect", saeDir.toString());
        assertTrue(r.out().contains("activation  topk  k=3"), r.out());
        assertTrue(r.out().contains("d_in 8  d_sae 16  dtype float32"), r.out());
        assertTrue(r.out().contains("model test-model  hook blocks.2.hook_resid_post  layer 2  context 64  dataset synthetic"), r.out());
        assertTrue(r.out().contains("W_enc      F32   [8,16]"), r.out());
        assertTrue(r.out().contains("W_dec      F32   [16,8]"), r.out());
        double[] norms = new double[D_SAE];
        for (int j = 0; j < D_SAE; j++) {
            double s = 0;
            for (float v : sae.decoderRow(j)) {
                s += v * (double) v;
            }
            norms[j] = Math.sqrt(s);
        }
        Arrays.sort(norms);
        String expected = String.format(Locale.ROOT, "decoder row norms  min %.6g  median %.6g  max %.6g", norms[0],
                (norms[D_SAE / 2 - 1] + norms[D_SAE / 2]) / 2, norms[D_SAE - 1]);
        assertTrue(r.out().contains(expected), expected + " in " + r.out());
        assertTrue(!r.out().contains("evaluation"), "no evaluation without --data");
    }

    @Test
    void inspectWithDataEvaluatesAsTheModelEncodes() throws IOException {
        Path json = tmp.resolve("report.json");
        CommandRun r = ok("inspect", saeDir.toString(), "--data", dataFile.toString(), "--json", json.toString());
        JsonNode e = new ObjectMapper().readTree(json.toFile()).get("evaluation");

        // independently: the model's own encode, row by row
        long[] fires = new long[D_SAE];
        double active = 0;
        double sse = 0;
        double variance = 0;
        double[] mean = new double[D_IN];
        for (float[] x : rows) {
            for (int d = 0; d < D_IN; d++) {
                mean[d] += x[d] / (double) ROWS;
            }
        }
        for (float[] x : rows) {
            SparseCodes c = sae.encode(new float[][] {x});
            for (int j : c.indices(0)) {
                fires[j]++;
            }
            active += c.count(0);
            float[] recon = sae.decode(c)[0];
            for (int d = 0; d < D_IN; d++) {
                sse += Math.pow(recon[d] - (double) x[d], 2);
                variance += Math.pow(x[d] - mean[d], 2);
            }
        }
        assertEquals(ROWS, e.get("tokens").asLong());
        assertEquals(active / ROWS, e.get("l0").asDouble(), 1e-12);
        assertEquals(K, e.get("l0").asDouble(), 1e-12, "every row has k positive pre-activations here");
        assertEquals(1 - sse / variance, e.get("explained_variance").asDouble(), 1e-9);
        List<Integer> dead = new ArrayList<>();
        List<Integer> dense = new ArrayList<>();
        for (int j = 0; j < D_SAE; j++) {
            if (fires[j] == 0) {
                dead.add(j);
            } else if (fires[j] > 0.1 * ROWS) {
                dense.add(j);
            }
        }
        assertTrue(dead.contains(DEAD) && dense.contains(DENSE), dead + " " + dense);
        assertEquals(dead.size(), e.get("dead_latents").get("count").asInt());
        assertEquals(dead.toString(), e.get("dead_latents").get("first").toString().replace(",", ", "));
        assertEquals(dense.size(), e.get("dense_latents").get("count").asInt());
        long inHistogram = 0;
        for (JsonNode bin : e.get("density_histogram")) {
            inHistogram += bin.get("latents").asLong();
        }
        assertEquals(D_SAE - dead.size(), inHistogram, "every live latent is in one bin");
        // the top bin [-0.5, 0) holds the latents firing on more than 10^-0.5 of the rows
        long top = Arrays.stream(fires).filter(f -> f > 0 && Math.log10(f / (double) ROWS) >= -0.5).count();
        JsonNode last = e.get("density_histogram").get(e.get("density_histogram").size() - 1);
        assertEquals(top, last.get("latents").asLong());

        assertTrue(r.out().contains(String.format(Locale.ROOT, "L0 %.3f", (double) K)), r.out());
        assertTrue(r.out().contains("dead latents (never fired)  " + dead.size()), r.out());
        assertTrue(r.out().contains("#"), "histogram bars: " + r.out());
    }

    /** The top n latents of a row from the model's own encode, best first. */
    private int[] expectedTop(float[] x, int n, float[] valuesOut) {
        SparseCodes c = sae.encode(new float[][] {x});
        int[] idx = c.indices(0);
        float[] val = c.values(0);
        Integer[] order = new Integer[idx.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> val[b] != val[a] ? Float.compare(val[b], val[a]) : Integer.compare(idx[a], idx[b]));
        int[] out = new int[n];
        Arrays.fill(out, -1);
        for (int i = 0; i < Math.min(n, order.length); i++) {
            out[i] = idx[order[i]];
            valuesOut[i] = val[order[i]];
        }
        return out;
    }

    @Test
    void anOutputPathThatIsAFolderIsAUsageErrorOfOneLine() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("a-folder"));
        CommandRun r = run("inspect", saeDir.toString(), "--json", folder.toString());
        assertFails(r, ExitCode.USAGE, folder.toString());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void aFailedEncodeLeavesNoPartialOutputAndKeepsAnEarlierOne() throws IOException {
        float[] flat = NpyFile.readFloats(dataFile);
        flat[(ROWS - 5) * D_IN + 2] = Float.NaN; // near the end: most rows are written before the failure
        Path bad = tmp.resolve("bad.npy");
        NpyWriter.write(bad, flat, ROWS, D_IN);
        Path out = tmp.resolve("codes-fail");
        CommandRun failed = run("encode", saeDir.toString(), "--data", bad.toString(), "--out", out.toString());
        assertFails(failed, ExitCode.BAD_DATA, "NaN", "encode keeps every row");
        assertFalse(failed.err().contains("--skip-non-finite"), "no remedy encode refuses: " + failed.err());
        assertFalse(Files.exists(out), "a new OUT folder is removed again: " + out);
        Path csv = tmp.resolve("codes-fail.csv");
        ok("encode", saeDir.toString(), "--data", dataFile.toString(), "--out", csv.toString(), "--format", "csv");
        byte[] before = Files.readAllBytes(csv);
        assertFails(run("encode", saeDir.toString(), "--data", bad.toString(), "--out", csv.toString(), "--format",
                "csv", "--force"), ExitCode.BAD_DATA, "NaN");
        assertArrayEquals(before, Files.readAllBytes(csv), "the earlier output stays whole");
        assertFalse(Files.exists(tmp.resolve("codes-fail.csv.partial")));
    }

    @Test
    void encodeWritesTopLatentsAsNpy() throws IOException {
        Path out = tmp.resolve("codes");
        ok("encode", saeDir.toString(), "--data", dataFile.toString(), "--out", out.toString(), "--top", "4");
        byte[] bytes = Files.readAllBytes(out.resolve("indices.npy"));
        int headerLen = 10 + (bytes[8] & 0xff | (bytes[9] & 0xff) << 8);
        String header = new String(bytes, 10, headerLen - 10, StandardCharsets.ISO_8859_1);
        assertTrue(header.contains("'descr': '<i4'") && header.contains("(300, 4)"), header);
        ByteBuffer ints = ByteBuffer.wrap(bytes, headerLen, bytes.length - headerLen).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = NpyFile.readFloats(out.resolve("values.npy"));
        assertEquals(ROWS * 4, values.length);
        for (int r = 0; r < ROWS; r++) {
            float[] expectedValues = new float[4];
            int[] expected = expectedTop(rows[r], 4, expectedValues);
            int[] actual = new int[4];
            for (int i = 0; i < 4; i++) {
                actual[i] = ints.getInt();
            }
            assertArrayEquals(expected, actual, "row " + r);
            assertEquals(-1, actual[3], "topk keeps 3: the fourth is padding");
            assertArrayEquals(expectedValues, Arrays.copyOfRange(values, r * 4, r * 4 + 4), "row " + r);
        }
        // OUT exists now: refused, then replaced with --force
        CommandRun again = run("encode", saeDir.toString(), "--data", dataFile.toString(), "--out", out.toString());
        assertEquals(ExitCode.USAGE, again.code());
        assertTrue(again.err().contains("already exists") && again.err().contains("--force"), again.err());
        ok("encode", saeDir.toString(), "--data", dataFile.toString(), "--out", out.toString(), "--force");
        assertTrue(new String(Files.readAllBytes(out.resolve("indices.npy")), StandardCharsets.ISO_8859_1)
                .contains("(300, 3)"), "--top defaults to k");
    }

    @Test
    void encodeWritesCsv() throws IOException {
        Path out = tmp.resolve("codes.csv");
        ok("encode", saeDir.toString(), "--data", dataFile.toString(), "--out", out.toString(), "--format", "csv");
        List<String> lines = Files.readAllLines(out);
        assertEquals("row,rank,latent,value", lines.get(0));
        int line = 1;
        for (int r = 0; r < ROWS; r++) {
            float[] expectedValues = new float[K];
            int[] expected = expectedTop(rows[r], K, expectedValues);
            for (int i = 0; i < K; i++) {
                String[] f = lines.get(line++).split(",");
                assertEquals(r, Integer.parseInt(f[0]));
                assertEquals(i, Integer.parseInt(f[1]));
                assertEquals(expected[i], Integer.parseInt(f[2]), "row " + r + " rank " + i);
                assertEquals(expectedValues[i], Float.parseFloat(f[3]));
            }
        }
        assertEquals(line, lines.size());
    }

    // ---------------------------------------------------------------------------------------------------
    // Bad input: one line naming what is wrong, and the exit code

    private static void assertFails(CommandRun r, int code, String... fragments) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.err().startsWith("jsae: error: "), r.err());
        assertEquals(r.err().lines().filter(l -> l.startsWith("jsae: error:")).count(), 1, r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "'" + f + "' in " + r.err());
        }
    }

    @Test
    void badFoldersAndData() throws IOException {
        Path missing = tmp.resolve("nope");
        assertFails(run("inspect", missing.toString()), ExitCode.BAD_DATA, missing.toString(), "no such SAE folder");

        Path noCfg = tmp.resolve("no-cfg");
        Files.createDirectories(noCfg);
        Files.copy(saeDir.resolve("sae_weights.safetensors"), noCfg.resolve("sae_weights.safetensors"));
        assertFails(run("inspect", noCfg.toString()), ExitCode.BAD_DATA, "cfg.json", "missing");

        Path corrupt = tmp.resolve("corrupt");
        Files.createDirectories(corrupt);
        Files.copy(saeDir.resolve("cfg.json"), corrupt.resolve("cfg.json"));
        Files.write(corrupt.resolve("sae_weights.safetensors"), new byte[] {(byte) 0xff, 0x7f, 0, 0, 0, 0, 0, 0, '{'});
        assertFails(run("encode", corrupt.toString(), "--data", dataFile.toString(), "--out",
                tmp.resolve("o").toString()), ExitCode.BAD_DATA, "sae_weights.safetensors", "not a readable safetensors");

        Path narrow = tmp.resolve("narrow.npy");
        NpyWriter.write(narrow, new float[6 * 10], 10, 6);
        assertFails(run("inspect", saeDir.toString(), "--data", narrow.toString()), ExitCode.BAD_DATA,
                "width 6", "d_in=8");
        assertFails(run("encode", saeDir.toString(), "--data", narrow.toString(), "--out", tmp.resolve("o2").toString()),
                ExitCode.BAD_DATA, "width 6", "d_in=8");

        assertFails(run("inspect", saeDir.toString(), "--data", tmp.resolve("absent.npy").toString()),
                ExitCode.BAD_DATA, "absent.npy", "no such file");
        assertFails(run("encode", saeDir.toString(), "--out", tmp.resolve("o3").toString()), ExitCode.USAGE, "--data");
        assertFails(run("encode", saeDir.toString(), "--data", dataFile.toString(), "--skip-non-finite", "--out",
                tmp.resolve("o4").toString()), ExitCode.USAGE, "--skip-non-finite");
        assertFails(run("encode", saeDir.toString(), "--data", dataFile.toString(), "--top", "17", "--out",
                tmp.resolve("o5").toString()), ExitCode.USAGE, "--top", "d_sae=16");
    }
}
