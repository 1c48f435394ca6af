package io.jsae.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.jsae.core.io.ModelFolderTestSupport.BATCH_THRESHOLD;
import static io.jsae.core.io.ModelFolderTestSupport.D_IN;
import static io.jsae.core.io.ModelFolderTestSupport.D_SAE;
import static io.jsae.core.io.ModelFolderTestSupport.Tensor;
import static io.jsae.core.io.ModelFolderTestSupport.assertCloseOutputs;
import static io.jsae.core.io.ModelFolderTestSupport.assertRejected;
import static io.jsae.core.io.ModelFolderTestSupport.assertSameOutputs;
import static io.jsae.core.io.ModelFolderTestSupport.editJson;
import static io.jsae.core.io.ModelFolderTestSupport.editTensors;
import static io.jsae.core.io.ModelFolderTestSupport.inputs;
import static io.jsae.core.io.ModelFolderTestSupport.model;
import static io.jsae.core.io.ModelFolderTestSupport.readJson;
import static io.jsae.core.io.ModelFolderTestSupport.readTensors;
import static io.jsae.core.io.ModelFolderTestSupport.writeTensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SaeLensFormatTest {

    @TempDir
    Path tmp;

    static Stream<Activation> activations() {
        return Stream.of(Activation.topK(4), Activation.batchTopK(4), Activation.relu(0.003), Activation.jumpRelu());
    }

    private Path saved(SparseAutoencoder m) throws IOException {
        Path dir = tmp.resolve("sae");
        SaeFolders.save(m, dir);
        return dir;
    }

    @ParameterizedTest
    @MethodSource("activations")
    void roundTripIsBitwiseWithoutInputScale(Activation act) throws IOException {
        SparseAutoencoder m = model(act, 1.0, 1);
        SparseAutoencoder back = SaeFolders.load(saved(m));

        assertEquals(m.config().activation(), back.config().activation());
        assertEquals(D_IN, back.dIn());
        assertEquals(D_SAE, back.dSae());
        assertTrue(m.weights().bitwiseEquals(back.weights()));
        assertArrayEquals(m.jumpThresholds(), back.jumpThresholds());
        assertEquals(Double.doubleToLongBits(m.batchTopKThreshold()), Double.doubleToLongBits(back.batchTopKThreshold()));
        assertEquals(1.0, back.inputScale());
        assertEquals(m.metadata(), back.metadata());
        assertSameOutputs(m, back, inputs(2));
    }

    @ParameterizedTest
    @MethodSource("activations")
    void inputScaleIsFoldedIntoTheWeights(Activation act) throws IOException {
        double s = 2.7;
        SparseAutoencoder m = model(act, s, 3);
        Path dir = saved(m);
        SparseAutoencoder back = SaeFolders.load(dir);

        assertEquals(1.0, back.inputScale());
        assertEquals("none", readJson(dir.resolve("cfg.json")).get("normalize_activations").asText());
        assertEquals(s, readJson(dir.resolve("cfg.json")).get("jsae").get("folded_input_scale").asDouble());
        ParameterTensors w = m.weights();
        ParameterTensors f = back.weights();
        for (int i = 0; i < w.wEnc().length; i++) {
            assertEquals((float) (w.wEnc()[i] * s), f.wEnc()[i]);
            assertEquals((float) (w.wDec()[i] / s), f.wDec()[i]);
        }
        for (int d = 0; d < D_IN; d++) {
            assertEquals((float) (w.bDec()[d] / s), f.bDec()[d]);
        }
        assertArrayEquals(w.bEnc(), f.bEnc());
        assertArrayEquals(m.jumpThresholds(), back.jumpThresholds());
        // raw inputs in, raw reconstructions out, as before folding
        assertCloseOutputs(m, back, inputs(4));
        // a second round trip of the folded model is exact
        Path again = tmp.resolve("again");
        SaeFolders.save(back, again);
        assertTrue(back.weights().bitwiseEquals(SaeFolders.load(again).weights()));
    }

    @Test
    void fileLayoutFollowsSaeLens() throws IOException {
        SparseAutoencoder m = model(Activation.topK(4), 1.0, 5);
        Path dir = saved(m);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("cfg.json", "sae_weights.safetensors"),
                    s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
        }
        JsonNode cfg = readJson(dir.resolve("cfg.json"));
        assertEquals("topk", cfg.get("architecture").asText());
        assertEquals(D_IN, cfg.get("d_in").asInt());
        assertEquals(D_SAE, cfg.get("d_sae").asInt());
        assertEquals("float32", cfg.get("dtype").asText());
        assertEquals("cpu", cfg.get("device").asText());
        assertTrue(cfg.get("apply_b_dec_to_input").asBoolean());
        assertEquals(4, cfg.get("k").asInt());
        assertEquals(4, cfg.get("activation_fn_kwargs").get("k").asInt());
        assertEquals("test-model", cfg.get("model_name").asText());
        assertEquals("blocks.3.hook_resid_post", cfg.get("hook_name").asText());
        assertEquals(3, cfg.get("hook_layer").asInt());

        Map<String, Tensor> t = readTensors(dir.resolve("sae_weights.safetensors"));
        assertEquals(Set.of("W_enc", "W_dec", "b_enc", "b_dec"), t.keySet());
        assertArrayEquals(new long[] {D_IN, D_SAE}, t.get("W_enc").shape());
        assertArrayEquals(new long[] {D_SAE, D_IN}, t.get("W_dec").shape());
        assertArrayEquals(new long[] {D_SAE}, t.get("b_enc").shape());
        assertArrayEquals(new long[] {D_IN}, t.get("b_dec").shape());
        t.values().forEach(x -> assertEquals(DType.F32, x.dtype()));
        float[] wEnc = m.weights().wEnc();
        for (int d = 0; d < D_IN; d++) {
            for (int j = 0; j < D_SAE; j++) {
                assertEquals(wEnc[j * D_IN + d], t.get("W_enc").data()[d * D_SAE + j], "W_enc is the transpose");
            }
        }
    }

    @Test
    void jumpReluWritesItsThresholds() throws IOException {
        SparseAutoencoder m = model(Activation.jumpRelu(), 1.0, 6);
        Path dir = saved(m);
        assertEquals("jumprelu", readJson(dir.resolve("cfg.json")).get("architecture").asText());
        Tensor th = readTensors(dir.resolve("sae_weights.safetensors")).get("threshold");
        assertArrayEquals(new long[] {D_SAE}, th.shape());
        assertArrayEquals(m.jumpThresholds(), th.data());
    }

    @Test
    void batchTopKWithThresholdIsSavedAsJumpReluSaeLensCanRun() throws IOException {
        SparseAutoencoder m = model(Activation.batchTopK(4), 1.0, 7);
        Path dir = saved(m);
        JsonNode cfg = readJson(dir.resolve("cfg.json"));
        assertEquals("jumprelu", cfg.get("architecture").asText());
        assertEquals("batchtopk", cfg.get("jsae").get("architecture").asText());
        assertEquals(BATCH_THRESHOLD, cfg.get("jsae").get("batchtopk_threshold").asDouble());
        float[] th = readTensors(dir.resolve("sae_weights.safetensors")).get("threshold").data();
        float[] expected = new float[D_SAE];
        Arrays.fill(expected, (float) BATCH_THRESHOLD);
        assertArrayEquals(expected, th);
        SparseAutoencoder back = SaeFolders.load(dir);
        assertEquals(Activation.batchTopK(4), back.config().activation());
        assertEquals(BATCH_THRESHOLD, back.batchTopKThreshold());
        assertNull(back.jumpThresholds());
    }

    @Test
    void batchTopKWithoutThresholdIsSavedAsTopK() throws IOException {
        SparseAutoencoder base = model(Activation.batchTopK(4), 1.0, 8);
        SparseAutoencoder m = new SparseAutoencoder(base.config(), base.weights(), null, Double.NaN, 1.0);
        Path dir = saved(m);
        JsonNode cfg = readJson(dir.resolve("cfg.json"));
        assertEquals("topk", cfg.get("architecture").asText());
        assertFalse(readTensors(dir.resolve("sae_weights.safetensors")).containsKey("threshold"));
        SparseAutoencoder back = SaeFolders.load(dir);
        assertEquals(Activation.batchTopK(4), back.config().activation());
        assertTrue(Double.isNaN(back.batchTopKThreshold()));
        assertEquals(SaeMetadata.NONE, back.metadata());
        assertSameOutputs(m, back, inputs(9));
    }

    @Test
    void reluIsStandardWithItsL1Coefficient() throws IOException {
        Path dir = saved(model(Activation.relu(0.003), 1.0, 10));
        JsonNode cfg = readJson(dir.resolve("cfg.json"));
        assertEquals("standard", cfg.get("architecture").asText());
        assertEquals(0.003, cfg.get("l1_coefficient").asDouble());
        assertFalse(cfg.has("k"));
    }

    // ---------------------------------------------------------------------------------------------------
    // Saving: atomic, never mixing files

    @Test
    void saveRefusesANonEmptyFolderAndLeavesItAlone() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(dir.resolve("notes.txt"), "keep me");
        SparseAutoencoder m = model(Activation.topK(4), 1.0, 11);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> SaeFolders.save(m, dir));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
        assertEquals("keep me", Files.readString(dir.resolve("notes.txt")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
        assertNoTemporaryFolders();
    }

    @Test
    void saveFillsAnEmptyFolderOrCreatesMissingParents() throws IOException {
        SparseAutoencoder m = model(Activation.topK(4), 1.0, 12);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        SaeFolders.save(m, empty);
        assertTrue(SaeFolders.load(empty).weights().bitwiseEquals(m.weights()));
        Path nested = tmp.resolve("a").resolve("b").resolve("sae");
        SaeFolders.save(m, nested);
        assertTrue(SaeFolders.load(nested).weights().bitwiseEquals(m.weights()));
        assertNoTemporaryFolders();
    }

    @Test
    void saveRefusesNonFiniteWeightsBeforeWritingAnything() throws IOException {
        SparseAutoencoder base = model(Activation.topK(4), 1.0, 13);
        ParameterTensors w = base.weights();
        w.wDec()[5] = Float.NaN;
        SparseAutoencoder bad = new SparseAutoencoder(base.config(), w, null, Double.NaN, 1.0);
        Path dir = tmp.resolve("bad");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SaeFolders.save(bad, dir));
        assertTrue(e.getMessage().contains("'W_dec'"), e.getMessage());
        assertFalse(Files.exists(dir));
        assertNoTemporaryFolders();
    }

    private void assertNoTemporaryFolders() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().contains(".tmp-")).collect(Collectors.toList());
            assertEquals(List.of(), left);
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Reading what others wrote

    @Test
    void readsHalfPrecisionWeights() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 14));
        Path file = dir.resolve("sae_weights.safetensors");
        Map<String, Tensor> t = readTensors(file);
        t.put("W_enc", new Tensor(DType.F16, t.get("W_enc").shape(), t.get("W_enc").data()));
        t.put("W_dec", new Tensor(DType.BF16, t.get("W_dec").shape(), t.get("W_dec").data()));
        writeTensors(file, t);
        Map<String, Tensor> rounded = readTensors(file);
        SparseAutoencoder back = SaeFolders.load(dir);
        assertArrayEquals(rounded.get("W_dec").data(), back.weights().wDec());
        float[] wEncT = rounded.get("W_enc").data();
        assertEquals(wEncT[D_SAE + 2], back.weights().wEnc()[2 * D_IN + 1]);
        assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(t.get("W_dec").data()[7])), back.weights().wDec()[7]);
    }

    @Test
    void readsSaeLensSixMetadataObject() throws IOException {
        Path dir = saved(model(Activation.jumpRelu(), 1.0, 15));
        editJson(dir.resolve("cfg.json"), c -> {
            c.remove(List.of("model_name", "hook_name", "hook_layer", "jsae"));
            c.putObject("meta").put("model_name", "gpt2").put("hook_name", "blocks.8.hook_resid_pre")
                    .put("hook_layer", 8).put("sae_lens_version", "6.5.0");
        });
        SparseAutoencoder back = SaeFolders.load(dir);
        assertEquals(new SaeMetadata("gpt2", "blocks.8.hook_resid_pre", 8), back.metadata());
        assertEquals(Activation.jumpRelu(), back.config().activation());
    }

    @Test
    void foldsDecoderBiasWhenItIsNotAppliedToTheInput() throws IOException {
        SparseAutoencoder m = model(Activation.relu(0), 1.0, 16);
        Path dir = saved(m);
        editJson(dir.resolve("cfg.json"), c -> c.put("apply_b_dec_to_input", false));
        SparseAutoencoder back = SaeFolders.load(dir);
        // SAELens then computes pre = x·W_enc + b_enc: check the loaded model against that directly
        ParameterTensors w = m.weights();
        float[][] x = inputs(17);
        float[][] codes = dense(back, x);
        for (int b = 0; b < x.length; b++) {
            for (int j = 0; j < D_SAE; j++) {
                double pre = w.bEnc()[j];
                for (int d = 0; d < D_IN; d++) {
                    pre += x[b][d] * (double) w.wEnc()[j * D_IN + d];
                }
                assertEquals(Math.max(0, pre), codes[b][j], 1e-5, "row " + b + " latent " + j);
            }
        }
    }

    private static float[][] dense(SparseAutoencoder m, float[][] x) {
        var codes = m.encode(x);
        float[][] out = new float[x.length][m.dSae()];
        for (int b = 0; b < x.length; b++) {
            int[] idx = codes.indices(b);
            float[] val = codes.values(b);
            for (int i = 0; i < idx.length; i++) {
                out[b][idx[i]] = val[i];
            }
        }
        return out;
    }

    @Test
    void acceptsAScalingFactorOfOnes() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 18));
        float[] ones = new float[D_SAE];
        Arrays.fill(ones, 1f);
        editTensors(dir.resolve("sae_weights.safetensors"),
                t -> t.put("scaling_factor", new Tensor(DType.F32, new long[] {D_SAE}, ones)));
        assertEquals(D_SAE, SaeFolders.load(dir).dSae());
        ones[3] = 2f;
        editTensors(dir.resolve("sae_weights.safetensors"),
                t -> t.put("scaling_factor", new Tensor(DType.F32, new long[] {D_SAE}, ones)));
        assertRejected(dir, "sae_weights.safetensors", "tensor 'scaling_factor'", "2.0");
    }

    // ---------------------------------------------------------------------------------------------------
    // Malformed folders: each names the file and the field or tensor

    @Test
    void missingConfig() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 20));
        Files.delete(dir.resolve("cfg.json"));
        assertRejected(dir, "cfg.json", "missing", "sae_weights.safetensors");
    }

    @Test
    void missingWeightsFile() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 21));
        Files.delete(dir.resolve("sae_weights.safetensors"));
        assertRejected(dir, "sae_weights.safetensors", "missing");
    }

    @Test
    void notAFolder() {
        assertRejected(tmp.resolve("nowhere"), "nowhere", "not a folder");
    }

    @Test
    void badJson() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 22));
        Files.writeString(dir.resolve("cfg.json"), "{\"d_in\": 12,\n \"d_sae\": }");
        assertRejected(dir, "cfg.json", "not valid JSON", "line 2");
    }

    @Test
    void configThatIsNotAnObject() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 23));
        Files.writeString(dir.resolve("cfg.json"), "[1, 2]");
        assertRejected(dir, "cfg.json", "JSON object");
    }

    @Test
    void unknownArchitecture() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 24));
        editJson(dir.resolve("cfg.json"), c -> c.put("architecture", "gated"));
        ModelFormatException e = assertRejected(dir, "cfg.json", "field 'architecture'", "'gated'", "standard, topk and jumprelu");
        assertEquals("field 'architecture'", e.part());
        assertEquals(dir.resolve("cfg.json"), e.file());
    }

    @Test
    void missingSize() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 25));
        editJson(dir.resolve("cfg.json"), c -> c.remove("d_in"));
        assertRejected(dir, "cfg.json", "field 'd_in'", "missing");
        editJson(dir.resolve("cfg.json"), c -> c.put("d_in", "twelve"));
        assertRejected(dir, "cfg.json", "field 'd_in'", "integer");
    }

    @Test
    void topKWithoutKOrWithKAboveWidth() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 26));
        editJson(dir.resolve("cfg.json"), c -> c.remove(List.of("k", "activation_fn_kwargs", "jsae")));
        assertRejected(dir, "cfg.json", "field 'k'", "missing");
        editJson(dir.resolve("cfg.json"), c -> c.put("k", 21));
        assertRejected(dir, "cfg.json", "field 'k'", "21", "d_sae=20");
    }

    @Test
    void unsupportedNormalization() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 27));
        editJson(dir.resolve("cfg.json"), c -> c.put("normalize_activations", "expected_average_only_in"));
        assertRejected(dir, "cfg.json", "field 'normalize_activations'", "expected_average_only_in");
    }

    @Test
    void inconsistentJsaeFields() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 28));
        editJson(dir.resolve("cfg.json"), c -> ((ObjectNode) c.get("jsae")).put("k", 5));
        assertRejected(dir, "cfg.json", "field 'jsae.k'");
    }

    @Test
    void missingTensor() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 30));
        editTensors(dir.resolve("sae_weights.safetensors"), t -> t.remove("b_enc"));
        ModelFormatException e = assertRejected(dir, "sae_weights.safetensors", "tensor 'b_enc'", "missing", "'W_enc'");
        assertEquals("tensor 'b_enc'", e.part());
    }

    @Test
    void jumpReluWithoutThreshold() throws IOException {
        Path dir = saved(model(Activation.jumpRelu(), 1.0, 31));
        editTensors(dir.resolve("sae_weights.safetensors"), t -> t.remove("threshold"));
        assertRejected(dir, "sae_weights.safetensors", "tensor 'threshold'", "missing");
    }

    @Test
    void transposedEncoder() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 32));
        editTensors(dir.resolve("sae_weights.safetensors"), t -> t.put("W_enc",
                new Tensor(DType.F32, new long[] {D_SAE, D_IN}, t.get("W_enc").data())));
        assertRejected(dir, "sae_weights.safetensors", "tensor 'W_enc'", "[20, 12]", "[d_in, d_sae] = [12, 20]", "transpose");
    }

    @Test
    void configWidthDisagreeingWithTensors() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 33));
        editJson(dir.resolve("cfg.json"), c -> c.put("d_sae", 24));
        assertRejected(dir, "sae_weights.safetensors", "tensor 'W_enc'", "[12, 20]", "d_sae=24 from cfg.json");
    }

    @Test
    void nonFiniteWeight() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 34));
        editTensors(dir.resolve("sae_weights.safetensors"), t -> t.get("W_dec").data()[2 * D_IN + 3] = Float.NaN);
        assertRejected(dir, "sae_weights.safetensors", "tensor 'W_dec'", "NaN", "[2, 3]");
        editTensors(dir.resolve("sae_weights.safetensors"), t -> {
            t.get("W_dec").data()[2 * D_IN + 3] = 0f;
            t.get("b_dec").data()[7] = Float.NEGATIVE_INFINITY;
        });
        assertRejected(dir, "sae_weights.safetensors", "tensor 'b_dec'", "-Infinity", "[7]");
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 35));
        Path file = dir.resolve("sae_weights.safetensors");
        // the writer only writes float types: build the I32 file by hand
        Map<String, Tensor> t = readTensors(file);
        t.remove("b_dec");
        writeTensors(file, t);
        SafetensorsTest.raw(file, header(t, "b_dec", "I32", D_IN), payload(t, new byte[4 * D_IN]));
        assertRejected(dir, "sae_weights.safetensors", "tensor 'b_dec'", "I32", "F32, F16, BF16 or F64");
    }

    /** A safetensors header for the given F32 tensors (sorted by name) plus one more tensor at the end. */
    private static String header(Map<String, Tensor> t, String extra, String dtype, int extraElems) {
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (String name : new TreeSet<>(t.keySet())) {
            long bytes = 4L * t.get(name).data().length;
            h.append('"').append(name).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(Arrays.toString(t.get(name).shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(off).append(',').append(off + bytes).append("]},");
            off += bytes;
        }
        h.append('"').append(extra).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":[").append(extraElems)
                .append("],\"data_offsets\":[").append(off).append(',').append(off + 4L * extraElems).append("]}}");
        return h.toString();
    }

    private static byte[] payload(Map<String, Tensor> t, byte[] extra) {
        List<byte[]> parts = new ArrayList<>();
        for (String name : new TreeSet<>(t.keySet())) {
            parts.add(SafetensorsTest.f32(t.get(name).data()));
        }
        parts.add(extra);
        return SafetensorsTest.concat(parts.toArray(new byte[0][]));
    }

    @Test
    void unexpectedTensor() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 36));
        editTensors(dir.resolve("sae_weights.safetensors"),
                t -> t.put("log_threshold", new Tensor(DType.F32, new long[] {D_SAE}, new float[D_SAE])));
        assertRejected(dir, "sae_weights.safetensors", "tensor 'log_threshold'", "not part of this format");
    }

    @Test
    void corruptWeightsFile() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 37));
        Path file = dir.resolve("sae_weights.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 10));
        assertRejected(dir, "sae_weights.safetensors", "not a readable safetensors file");
    }

    @Test
    void batchTopKThresholdsThatDiffer() throws IOException {
        Path dir = saved(model(Activation.batchTopK(4), 1.0, 38));
        editTensors(dir.resolve("sae_weights.safetensors"), t -> t.get("threshold").data()[5] = 0.5f);
        assertRejected(dir, "sae_weights.safetensors", "tensor 'threshold'", "[5]", "jsae.batchtopk_threshold");
    }
}
